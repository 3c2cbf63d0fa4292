"""Module, optimizer and autograd summaries, the variables list and watches.

The kernel side of the inspector, beside the tensor summaries of
``tui.tensors.summaries`` (which it uses for a module's filters and for cards).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import Any

from tui.tensors import summaries
from tui.tensors.cards import (
    HIDDEN_NAMES,
    MAX_LAYER_ROWS,
    MAX_RESULT_CARDS,
    MAX_VARIABLES,
    Card,
    LayerRow,
    ModuleCard,
    OptimizerCard,
    ParamGroup,
    VarRow,
    WatchValue,
    format_device,
    format_dtype,
    format_number,
    format_shape,
)

log = logging.getLogger(__name__)


def _torch() -> Any:
    import torch

    return torch


# -- modules and optimizers ----------------------------------------------------------------
def first_conv(m: Any) -> Any:
    """The first ``nn.Conv2d`` in ``m`` (``m`` itself included, pre-order), or None; None
    too for a learner's module whose walk raises."""
    conv = _torch().nn.Conv2d
    try:
        return next((mod for mod in m.modules() if isinstance(mod, conv)), None)
    except Exception as exc:  # noqa: BLE001 - the learner's module: no filters
        log.info("no filters for %s: %r", type(m).__name__, exc)
        return None


def module_card(m: Any, title: str = "", room: Any = None) -> ModuleCard:
    """Layer tree and parameter counts; a parameter shared by two layers counts once. The
    first Conv2d's filters come as a grid fitted to ``room`` (cells)."""
    seen: set[int] = set()
    trainable = frozen = nbytes = 0
    devices: list[str] = []
    dtypes: list[str] = []
    for p in m.parameters():  # parameters() already de-duplicates shared tensors
        if id(p) in seen:
            continue
        seen.add(id(p))
        n = p.numel()
        if p.requires_grad:
            trainable += n
        else:
            frozen += n
        nbytes += n * p.element_size()
        for lst, v in ((devices, format_device(p.device)), (dtypes, format_dtype(p.dtype))):
            if v not in lst:
                lst.append(v)
    buffer_bytes = sum(b.numel() * b.element_size() for b in m.buffers())
    layers: list[LayerRow] = []
    truncated = False
    counted: set[int] = set()
    # iterative walk, pre-order, so a very deep model cannot hit the recursion limit
    stack: list[tuple[int, str, Any]] = [(0, title or type(m).__name__, m)]
    while stack:
        depth, name, mod = stack.pop()
        if len(layers) >= MAX_LAYER_ROWS:
            truncated = True
            break
        own = 0
        for p in mod.parameters(recurse=False):
            if id(p) not in counted:
                counted.add(id(p))
                own += p.numel()
        try:
            detail = mod.extra_repr()
        except Exception as exc:  # noqa: BLE001 - the learner's module: its row without detail
            log.info("%s.extra_repr() failed: %r", type(mod).__name__, exc)
            detail = ""
        layers.append(LayerRow(depth, name, type(mod).__name__, own, detail[:80]))
        children = list(mod.named_children())
        for child_name, child in reversed(children):
            stack.append((depth + 1, child_name, child))
    return ModuleCard(
        title=title,
        type_name=type(m).__name__,
        layers=layers,
        trainable=trainable,
        frozen=frozen,
        nbytes=nbytes,
        buffer_bytes=buffer_bytes,
        devices=devices,
        dtypes=dtypes,
        training=bool(getattr(m, "training", False)),
        truncated=truncated,
        filters=_filters(m, room),
    )


def _filters(m: Any, room: Any) -> Any:
    conv = first_conv(m)
    if conv is None or not isinstance(getattr(conv, "weight", None), _torch().Tensor):
        return None
    return summaries.tensor_picture(conv.weight, room, module="Conv2d")


def optimizer_card(opt: Any, title: str = "") -> OptimizerCard:
    groups = []
    for i, g in enumerate(opt.param_groups):
        params = g.get("params", [])
        hyper = []
        for k, v in g.items():
            if k == "params":
                continue
            hyper.append((k, format_number(v) if isinstance(v, int | float) else repr(v)[:40]))
        groups.append(ParamGroup(i, len(params), sum(int(p.numel()) for p in params), hyper))
    return OptimizerCard(title, type(opt).__name__, groups, len(getattr(opt, "state", {})))


# -- namespace -------------------------------------------------------------------------------
def _kind_of(value: Any) -> str | None:
    torch = _torch()
    if isinstance(value, torch.nn.Parameter):
        return "parameter"
    if isinstance(value, torch.Tensor):
        return "tensor"
    if isinstance(value, torch.nn.Module):
        return "module"
    if isinstance(value, torch.optim.Optimizer):
        return "optimizer"
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        return "ndarray"
    return None


def list_variables(namespace: dict, limit: int = MAX_VARIABLES) -> list[VarRow]:
    """The learner's tensors, modules, optimizers and ndarrays, sorted by name."""
    rows: list[VarRow] = []
    for name in sorted(namespace):
        if name.startswith("_") or name in HIDDEN_NAMES:
            continue
        value = namespace[name]
        kind = _kind_of(value)
        if kind is None:
            continue
        if kind in ("tensor", "parameter"):
            rows.append(
                VarRow(
                    name,
                    kind,
                    format_shape(value.shape),
                    format_dtype(value.dtype),
                    format_device(value.device),
                )
            )
        elif kind == "ndarray":
            rows.append(VarRow(name, kind, format_shape(value.shape), str(value.dtype), "cpu"))
        elif kind == "module":
            n = sum(p.numel() for p in value.parameters())
            devs = {format_device(p.device) for p in value.parameters()}
            rows.append(
                VarRow(name, type(value).__name__, f"{n:,} params", "", ", ".join(sorted(devs)))
            )
        else:
            rows.append(
                VarRow(name, type(value).__name__, f"{len(value.param_groups)} groups", "", "")
            )
        if len(rows) >= limit:
            break
    return rows


def card_for(
    value: Any, title: str, namespace: dict, key: int = -1, room: Any = None
) -> Card | None:
    """The card for a value; its picture (if any) fitted to ``room`` (cols, rows)."""
    kind = _kind_of(value)
    if kind in ("tensor", "parameter"):
        return summaries.tensor_card(value, title, namespace, key=key, room=room)
    if kind == "module":
        return module_card(value, title, room)
    if kind == "optimizer":
        return optimizer_card(value, title)
    if kind == "ndarray":
        torch = _torch()
        try:
            card = summaries.tensor_card(
                torch.from_numpy(value), title, namespace, key=key, room=room
            )
            card.kind = "ndarray"
            return card
        except (TypeError, ValueError):  # a dtype torch lacks (object, str), negative strides
            return None
    return None


def find_cardables(
    value: Any, title: str, limit: int = MAX_RESULT_CARDS
) -> tuple[list[tuple[str, Any]], int]:
    """(title, object) for a result and the tensors inside a tuple/list/dict (one level)."""
    if _kind_of(value) is not None:
        return [(title, value)], 0
    found: list[tuple[str, Any]] = []
    items: Iterable[tuple[str, Any]]
    if isinstance(value, dict):
        items = ((f"{title}[{k!r}]", v) for k, v in value.items())
    elif isinstance(value, list | tuple):
        items = ((f"{title}[{i}]", v) for i, v in enumerate(value))
    else:
        return [], 0
    more = 0
    for t, v in items:
        if _kind_of(v) is None:
            continue
        if len(found) < limit:
            found.append((t, v))
        else:
            more += 1
    return found, more


# -- watches ---------------------------------------------------------------------------------
def watch_text(value: Any) -> str:
    """One or two lines for a watch: tensors summarised (stats on device), others repr'd."""
    torch = _torch()
    t = summaries
    if isinstance(value, torch.Tensor):
        s = t.tensor_stats(value)
        head = (
            f"{format_shape(value.shape)} {format_dtype(value.dtype)} {format_device(value.device)}"
        )
        if value.dim() == 0 and t._has_data(value):
            scalar = t.tensor_preview(value)
            text = scalar.cells[0][0] if scalar and scalar.cells else "?"
            return f"{text}  ({format_dtype(value.dtype)} scalar tensor, {format_device(value.device)})"
        if value.numel() <= 8 and value.layout == torch.strided and t._has_data(value):
            prev = t.tensor_preview(value.reshape(-1))
            vals = " ".join(prev.cells[0]) if prev and prev.cells else ""
            return f"{head}\n[{vals}]"
        if s.note:
            return f"{head}\n{s.note}"
        return (
            f"{head}\nmin {format_number(s.min)} max {format_number(s.max)} "
            f"mean {format_number(s.mean)} std {format_number(s.std)}"
            + (f" nan {s.nan}" if s.nan else "")
            + (f" inf {s.inf}" if s.inf else "")
        )
    if _kind_of(value) in ("module", "optimizer"):
        return type(value).__name__
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def evaluate_watch(expr: str, namespace: dict) -> WatchValue:
    try:
        code = compile(expr, "<watch>", "eval")
    except SyntaxError as exc:
        return WatchValue(expr, False, f"SyntaxError: {exc.msg}")
    try:
        value = eval(code, namespace)  # noqa: S307 - the learner's own expression, in their namespace
        return WatchValue(expr, True, watch_text(value))
    except BaseException as exc:  # noqa: BLE001 - a watch that raises keeps going
        # The learner's own expression, evaluated at every report: its error is its value
        # on screen, not a log line.
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            return WatchValue(expr, False, f"{type(exc).__name__}")
        return WatchValue(expr, False, f"{type(exc).__name__}: {exc}"[:300])
