"""The typed messages between the app and the agent in the kernel.

Every message is a dataclass registered here. On the wire (a Jupyter comm) a message is
``{"v": VERSION, "json": "<text>"}``; the text is the message with each dataclass tagged
by its class name, so nested payloads (cards, previews, reports) come back as the same
dataclasses on the other side. numpy arrays and tuples travel as lists. The app renders
what arrives and never sees a tensor; a big tensor is summarised in the kernel.

Requests carry an ``id``; the agent's reply repeats it. Pushes (cell payloads, training
reports) have no id.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

from tui.core import inspect_types as insp

VERSION = 1
TARGET = "torch_tui.agent"
EVENTS_TARGET = "torch_tui.events"


class ProtocolError(ValueError):
    """A message from another version, or one that does not decode."""


# -- app -> agent --------------------------------------------------------------------------
@dataclass
class Hello:
    id: str = ""
    version: int = VERSION
    device: str | None = None


@dataclass
class CardRequest:
    """A card for a namespace name, or for the object kept under ``key``."""

    id: str = ""
    name: str = ""


@dataclass
class PreviewRequest:
    id: str = ""
    key: int = -1
    index: list[int] = field(default_factory=list)


@dataclass
class VariablesRequest:
    id: str = ""


@dataclass
class SetWatches:
    id: str = ""
    exprs: list[str] = field(default_factory=list)


@dataclass
class ExerciseSpec:
    """What the agent needs to check one exercise (the lesson file stays in the app)."""

    id: str
    title: str
    check: str
    check_line: int = 1


@dataclass
class SetExercises:
    """The current lesson's exercises, checked after every cell (empty: none)."""

    id: str = ""
    lesson: str = ""
    exercises: list[ExerciseSpec] = field(default_factory=list)


@dataclass
class CheckNow:
    id: str = ""


@dataclass
class TrainStart:
    """``config`` is a TrainConfig mapping; ``source`` "repl" trains the REPL's model.

    ``workers`` > 1 trains the config data parallel (DDP) on that many processes."""

    id: str = ""
    run_id: int = 0
    source: str = "playground"
    config: dict[str, Any] = field(default_factory=dict)
    workers: int = 1
    paused: bool = False  # start paused, to be stepped one batch at a time


@dataclass
class TrainControl:
    id: str = ""
    run_id: int = 0
    action: str = "stop"  # stop | pause | resume | step (one batch, then paused)


@dataclass
class ExportRequest:
    """Save run ``run_id``'s model (its state dict) to ``path`` (model.pt), in the kernel."""

    id: str = ""
    run_id: int = 0
    path: str = ""


@dataclass
class Ping:
    id: str = ""


# -- agent -> app --------------------------------------------------------------------------
@dataclass
class DeviceRow:
    name: str
    label: str
    total_memory: int | None = None


@dataclass
class Welcome:
    """The reply to Hello: what the kernel has."""

    id: str = ""
    version: int = VERSION
    torch_version: str = ""
    device: str = "cpu"
    devices: list[DeviceRow] = field(default_factory=list)
    warning: str = ""
    pid: int = 0


@dataclass
class Error:
    """A request the agent could not serve; ``text`` is for the user."""

    id: str = ""
    text: str = ""


@dataclass
class Ack:
    id: str = ""


@dataclass
class CheckResultRow:
    id: str
    passed: bool
    message: str = ""
    line: int = 0


@dataclass
class Checks:
    id: str = ""
    lesson: str = ""
    results: list[CheckResultRow] = field(default_factory=list)


@dataclass
class CardReply:
    id: str = ""
    card: Any = None


@dataclass
class PreviewReply:
    id: str = ""
    preview: insp.Preview | None = None


@dataclass
class VariablesReply:
    id: str = ""
    rows: list[insp.VarRow] = field(default_factory=list)


@dataclass
class CellPayload:
    """Pushed after every cell: its cards, the variables, the watches, the checks."""

    number: int = 0
    cards: list[Any] = field(default_factory=list)
    more_cards: int = 0
    variables: list[insp.VarRow] = field(default_factory=list)
    watches: list[insp.WatchValue] = field(default_factory=list)
    checks: Checks | None = None
    changed: list[str] = field(default_factory=list)
    #: Set while a run trains the REPL's model and this cell used ``model``.
    warning: str = ""


@dataclass
class WatchValues:
    """The reply to SetWatches (with its ``id``), and pushed while a run trains (no id)."""

    values: list[insp.WatchValue] = field(default_factory=list)
    id: str = ""


@dataclass
class TrainBegun:
    run_id: int = 0
    label: str = ""
    device: str = ""
    total_steps: int = 0
    two_d: bool = False
    lr: float | None = None
    config: dict[str, Any] = field(default_factory=dict)
    epochs: int = 0


@dataclass
class TrainReport:
    run_id: int = 0
    report: Any = None


@dataclass
class TrainEnded:
    run_id: int = 0
    summary: Any = None
    error: str | None = None


@dataclass
class ExportReply:
    """``written``: model.pt is there; else ``note`` says why not (a DDP run, a restart)."""

    id: str = ""
    written: bool = False
    note: str = ""


# -- the codec -----------------------------------------------------------------------------
def _registry() -> dict[str, type]:
    from tui.core import inspect as inspect_all
    from tui.core import training as training_types

    classes: list[type] = [
        obj for obj in globals().values() if isinstance(obj, type) and dataclasses.is_dataclass(obj)
    ]
    for module in (insp, inspect_all, training_types):
        classes += [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type) and dataclasses.is_dataclass(obj)
        ]
    return {cls.__name__: cls for cls in classes}


_TYPES: dict[str, type] = {}


def _types() -> dict[str, type]:
    if not _TYPES:
        _TYPES.update(_registry())
    return _TYPES


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {"__t": type(value).__name__}
        for f in dataclasses.fields(value):
            out[f.name] = _plain(getattr(value, f.name))
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__f": repr(value)}
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # numpy arrays and scalars
        return _numpy(value)
    return value


def _numpy(value: Any) -> Any:
    """An array in one C call when it needs no tagging (the trainer sends these ~10 times
    a second, from its own thread: per-element Python would take its time)."""
    kind = value.dtype.kind
    if kind in "iub":
        return value.tolist()
    if kind == "f":
        import numpy as np

        if np.isfinite(value).all():
            return value.tolist()
    return _plain(value.tolist())


def _build(value: Any) -> Any:
    if isinstance(value, list):
        return [_build(v) for v in value]
    if isinstance(value, dict):
        if "__f" in value:
            return float(value["__f"])
        tag = value.get("__t")
        if tag is None:
            return {k: _build(v) for k, v in value.items()}
        cls = _types().get(tag)
        if cls is None:
            raise ProtocolError(f"unknown message type {tag!r}")
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: _build(v) for k, v in value.items() if k in names}
        return cls(**kwargs)
    return value


def encode(message: Any) -> dict[str, Any]:
    """The comm ``data`` for a message."""
    return {"v": VERSION, "json": json.dumps(_plain(message), separators=(",", ":"))}


def decode(data: Any) -> Any:
    """The message in a comm's ``data``; ProtocolError when it is not ours or not this version."""
    if not isinstance(data, dict) or "json" not in data:
        raise ProtocolError("not a torch-tui message")
    if data.get("v") != VERSION:
        raise ProtocolError(
            f"the agent speaks protocol {data.get('v')}, the app {VERSION}: "
            "install the same torch-tui in the kernel's environment"
        )
    try:
        return _build(json.loads(data["json"]))
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"a message that does not decode: {exc}") from None
