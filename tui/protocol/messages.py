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
import logging
import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.tensors import cards as insp

if TYPE_CHECKING:  # resolved by name when a message is checked (see ``field_types``)
    from tui.tensors.pictures import Picture
    from tui.training.report import Report, Summary

log = logging.getLogger(__name__)

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
class PictureRequest:
    """A picture of the object kept under ``key`` (a card's), fitted to ``cols`` x ``rows``
    cells: for shapes that are not drawn by default, and for a new room."""

    id: str = ""
    key: int = -1
    cols: int = 36
    rows: int = 16


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
class TrainView:
    """What the dashboard shows of its runs beyond the curve. ``filters``: a picture of the
    model's first Conv2d's filters, fitted to ``cols`` x ``rows`` cells, comes with the
    reports (at most twice a second); False: none is sent. The agent keeps the last view
    for every run of this app until the next one."""

    id: str = ""
    filters: bool = False
    cols: int = 0
    rows: int = 0


@dataclass
class ExportRequest:
    """Save run ``run_id``'s model (its state dict) to ``path`` (model.pt), in the kernel."""

    id: str = ""
    run_id: int = 0
    path: str = ""


@dataclass
class Ping:
    id: str = ""


@dataclass
class SetRoom:
    """The room the app has for what the kernel draws: the REPL log's columns (inline
    pictures, print width) and rows (an inline picture is seen whole), and a card's
    picture (columns, cell rows). Sent at start and after a resize; the agent sizes
    pictures to it."""

    id: str = ""
    log_cols: int = 80
    #: The log's visible rows; 0 where not known.
    log_rows: int = 0
    card_cols: int = 36
    card_rows: int = 16


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
    card: insp.Card | None = None


@dataclass
class PreviewReply:
    id: str = ""
    preview: insp.Preview | None = None


@dataclass
class PictureReply:
    """``picture`` None: ``note`` says why (the object is gone, or cannot be drawn)."""

    id: str = ""
    picture: Picture | None = None
    note: str = ""


@dataclass
class VariablesReply:
    id: str = ""
    rows: list[insp.VarRow] = field(default_factory=list)


@dataclass
class CellPayload:
    """Pushed after every cell: its cards, the variables, the watches, the checks."""

    number: int = 0
    cards: list[insp.Card] = field(default_factory=list)
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
    #: The model has a Conv2d: its filters can be shown (``TrainView``).
    conv: bool = False


@dataclass
class TrainReport:
    run_id: int = 0
    report: Report | None = None


@dataclass
class TrainEnded:
    run_id: int = 0
    summary: Summary | None = None
    error: str | None = None


@dataclass
class ExportReply:
    """``written``: model.pt is there; else ``note`` says why not (a DDP run, a restart)."""

    id: str = ""
    written: bool = False
    note: str = ""


# -- the codec -----------------------------------------------------------------------------
def _registry() -> dict[str, type]:
    from tui.tensors import pictures
    from tui.training import config, probe, report

    classes: list[type] = [
        obj for obj in globals().values() if isinstance(obj, type) and dataclasses.is_dataclass(obj)
    ]
    for module in (insp, config, probe, report, pictures):
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
        if _PLAIN_TYPE_SET.issuperset(map(type, value)):  # a list of numbers: as it is
            return value
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
    """The message in a comm's ``data``, checked against its declared types and bounds.

    ProtocolError when it is not ours, not this version, too big, or not what its class
    says: the kernel runs the learner's code, which can reach the agent's comms."""
    if not isinstance(data, dict) or not isinstance(data.get("json"), str):
        raise ProtocolError("not a torch-tui message")
    if data.get("v") != VERSION:
        raise VersionError(
            f"the agent speaks protocol {str(data.get('v'))[:20]}, the app {VERSION}: "
            "install the same torch-tui in the kernel's environment"
        )
    text = data["json"]
    if len(text) > MAX_MESSAGE:
        raise ProtocolError(
            f"a message of {len(text) / 1e6:.1f} MB (the limit is {MAX_MESSAGE_MB} MB)"
        )
    try:
        message = _build(json.loads(text))
    except (TypeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"a message that does not decode: {str(exc)[:200]}") from None
    if not dataclasses.is_dataclass(message) or isinstance(message, type):
        raise ProtocolError("a message that is not one of the protocol's classes")
    _Checker().check(message, type(message), type(message).__name__)
    return message


# -- bounds: what the app accepts from the kernel --------------------------------------------
#: A whole message, as JSON text. A card, a report or a payload is a few KB to a few 100 KB.
MAX_MESSAGE_MB = 4
MAX_MESSAGE = MAX_MESSAGE_MB * 1_000_000
#: One string (a name, a message, a repr). Longer ones are refused, not cut: the agent cuts.
MAX_TEXT = 100_000
#: One list or dict, and every value in a message together.
MAX_ITEMS = 200_000
MAX_VALUES = 1_000_000
MAX_DEPTH = 24


class VersionError(ProtocolError):
    """The agent in the kernel is another torch-tui: the kernel cannot be used."""


class _Checker:
    """Walks a built message against its classes' type hints, counting what it sees."""

    def __init__(self) -> None:
        self.values = 0

    def check(self, value: Any, hint: Any, where: str, depth: int = 0) -> None:
        self.values += 1
        if self.values > MAX_VALUES:
            raise ProtocolError(f"a message with over {MAX_VALUES} values")
        if depth > MAX_DEPTH:
            raise ProtocolError(f"{where}: nested over {MAX_DEPTH} deep")
        if hint is Any or hint is object:
            self._any(value, where, depth)
            return
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            self._union(value, typing.get_args(hint), where, depth)
            return
        if hint is None or hint is type(None):
            if value is not None:
                raise ProtocolError(f"{where}: {_kind(value)} where None was expected")
            return
        if origin in (list, tuple):
            self._sequence(value, hint, origin, where, depth)
            return
        if origin is dict or hint is dict:
            if not isinstance(value, dict):
                raise ProtocolError(f"{where}: {_kind(value)} where a dict was expected")
            self._dict(value, typing.get_args(hint), where, depth)
            return
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            if not isinstance(value, hint):
                raise ProtocolError(f"{where}: {_kind(value)} where {hint.__name__} was expected")
            self._fields(value, where, depth)
            return
        if hint in _SCALARS:
            if not _SCALARS[hint](value):
                raise ProtocolError(f"{where}: {_kind(value)} where {hint.__name__} was expected")
            if isinstance(value, str) and len(value) > MAX_TEXT:
                raise ProtocolError(f"{where}: a text of {len(value)} characters")
            return
        if hint is NDArray:
            self._numbers(value, where, depth)
            return
        self._any(value, where, depth)  # a hint this checker does not know: bounds only

    def _fields(self, value: Any, where: str, depth: int) -> None:
        hints = field_types(type(value))
        for f in dataclasses.fields(value):
            self.check(
                getattr(value, f.name), hints.get(f.name, Any), f"{where}.{f.name}", depth + 1
            )
        shape_of = _SHAPES.get(type(value).__name__)
        if shape_of is not None:
            problem = shape_of(value)
            if problem:
                raise ProtocolError(f"{where}: {problem}")

    def _union(self, value: Any, options: tuple[Any, ...], where: str, depth: int) -> None:
        if value is None and type(None) in options:
            return
        options = tuple(o for o in options if o is not type(None))
        if len(options) == 1:
            self.check(value, options[0], where, depth)
            return
        errors = []
        for option in options:
            trial = _Checker()
            trial.values = self.values
            try:
                trial.check(value, option, where, depth)
            except ProtocolError as exc:
                errors.append(str(exc))
                continue
            self.values = trial.values
            return
        raise ProtocolError(f"{where}: {_kind(value)} fits none of its types ({errors[0]})")

    def _sequence(self, value: Any, hint: Any, origin: Any, where: str, depth: int) -> None:
        if not isinstance(value, (list, tuple)):
            raise ProtocolError(f"{where}: {_kind(value)} where a list was expected")
        if len(value) > MAX_ITEMS:
            raise ProtocolError(f"{where}: a list of {len(value)} items")
        args = typing.get_args(hint)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise ProtocolError(f"{where}: {len(value)} items where {len(args)} were expected")
            for i, (item, arg) in enumerate(zip(value, args, strict=True)):
                self.check(item, arg, f"{where}[{i}]", depth + 1)
            return
        item_hint = args[0] if args else Any
        for i, item in enumerate(value):
            self.check(item, item_hint, f"{where}[{i}]", depth + 1)

    def _dict(self, value: dict[Any, Any], args: tuple[Any, ...], where: str, depth: int) -> None:
        if len(value) > MAX_ITEMS:
            raise ProtocolError(f"{where}: a dict of {len(value)} items")
        value_hint = args[1] if len(args) == 2 else Any
        for key, item in value.items():
            self.check(key, str, f"{where} key", depth + 1)
            self.check(item, value_hint, f"{where}[{str(key)[:40]!r}]", depth + 1)

    def _numbers(self, value: Any, where: str, depth: int) -> None:
        """An array: numbers (or None) in nested lists. Checked item by item without the
        general walk: a training report's losses are a thousand of them, ten a second."""
        if not isinstance(value, list):
            self.check(value, float | int | bool | None, where, depth)
            return
        if len(value) > MAX_ITEMS:
            raise ProtocolError(f"{where}: an array of {len(value)} items")
        if value and depth + 1 > MAX_DEPTH:
            raise ProtocolError(f"{where}[0]: nested over {MAX_DEPTH} deep")
        self.values += len(value)
        if self.values > MAX_VALUES:
            raise ProtocolError(f"a message with over {MAX_VALUES} values")
        if _FLAT_NUMBER_TYPES.issuperset(map(type, value)):  # the usual case, at C speed
            return
        for i, item in enumerate(value):
            if type(item) in _FLAT_NUMBER_TYPES:
                continue
            if isinstance(item, list):
                self._numbers(item, f"{where}[{i}]", depth + 1)
            elif not isinstance(item, (int, float)):  # bool and subclasses are numbers too
                raise ProtocolError(f"{where}[{i}]: {_kind(item)} where a number was expected")

    def _any(self, value: Any, where: str, depth: int) -> None:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            self._fields(value, where, depth)
        elif isinstance(value, (list, tuple)):
            self._sequence(value, list, list, where, depth)
        elif isinstance(value, dict):
            self._dict(value, (), where, depth)
        elif isinstance(value, str):
            self.check(value, str, where, depth)
        elif value is not None and not isinstance(value, (bool, int, float)):
            raise ProtocolError(f"{where}: {_kind(value)}")


def _preview_shape(v: Any) -> str:
    if len(v.row_labels) != len(v.cells):
        return "a preview whose row labels do not match its rows"
    if any(len(row) != len(v.col_labels) for row in v.cells):
        return "a preview whose rows do not match its column labels"
    return ""


def _histogram_shape(v: Any) -> str:
    if not (math.isfinite(v.lo) and math.isfinite(v.hi) and v.lo <= v.hi):
        return "a histogram without a finite range"
    if len(v.counts) > 4096 or any(c < 0 for c in v.counts) or v.step < 1:
        return "a histogram of impossible counts"
    return ""


def _graph_shape(v: Any) -> str:
    if any(not (-1 <= node.parent < i) or node.depth < 0 for i, node in enumerate(v.nodes)):
        return "a graph whose nodes point at no earlier node"
    return ""


def _grid(rows: Any) -> bool:
    return isinstance(rows, list) and all(
        isinstance(r, list) and len(r) == len(rows[0]) for r in rows
    )


def _boundary_shape(v: Any) -> str:
    extent_ok = len(v.extent) == 4 and all(math.isfinite(x) for x in v.extent)
    grids = (v.classes, v.confidence)
    if not extent_ok or not all(_grid(g) for g in grids) or len(v.classes) != len(v.confidence):
        return "a decision boundary of mismatched grids"
    if not _grid(v.points) or len(v.points) != len(v.point_classes) or not 0 < v.n_classes < 1000:
        return "a decision boundary of mismatched points"
    return ""


def _picture_shape(v: Any) -> str:
    if not (0 < v.width <= 1000 and 0 < v.height <= 1000) or v.height % 2:
        return "a picture of an impossible size"
    if len(v.data) != 4 * v.width * v.height:  # base64 of width * height RGB pixels
        return "a picture whose bytes do not match its size"
    return ""


#: Invariants a class's fields keep together (the widgets index by them).
_SHAPES: dict[str, Callable[[Any], str]] = {
    "Picture": _picture_shape,
    "Preview": _preview_shape,
    "Histogram": _histogram_shape,
    "Graph": _graph_shape,
    "Boundary": _boundary_shape,
}

#: A flat array's items: checked in one C call (``set.issuperset(map(type, ...))``).
_FLAT_NUMBER_TYPES = frozenset((float, int, bool, type(None)))
#: What JSON gives that ``_build`` keeps as it is.
_PLAIN_TYPE_SET = frozenset((float, int, bool, str, type(None)))
_SCALARS: dict[Any, Callable[[Any], bool]] = {
    str: lambda v: isinstance(v, str),
    bool: lambda v: isinstance(v, bool),
    int: lambda v: isinstance(v, int),
    float: lambda v: isinstance(v, (int, float)),
}

_HINTS: dict[type, dict[str, Any]] = {}


class NDArray:
    """What ``np.ndarray`` hints resolve to here: numbers as nested lists on the wire
    (numpy is only imported where a type checker looks)."""


def field_types(cls: type) -> dict[str, Any]:
    """A class's field types, resolved once (its annotations are strings here)."""
    if cls not in _HINTS:
        try:
            names = {**_types(), "np": types.SimpleNamespace(ndarray=NDArray)}
            _HINTS[cls] = typing.get_type_hints(cls, localns=names)
        except (NameError, AttributeError, TypeError, SyntaxError) as exc:
            # an unresolvable hint (a name not in the registry): bounds only for that class
            log.warning("the fields of %s are checked for bounds only: %r", cls.__name__, exc)
            _HINTS[cls] = {}
    return _HINTS[cls]


def _kind(value: Any) -> str:
    return type(value).__name__
