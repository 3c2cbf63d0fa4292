"""Summaries of tensors, modules and optimizers for the inspector, as plain data.

This runs in the kernel (``tui.agent``), never in the app: the results are small
dataclasses of str/int/float/lists (``tui.tensors.cards``) that the widgets only
render. Big tensors are never copied whole to the host: statistics are reduced on the
tensor's own device and only scalars, a corner of values and histogram counts travel.

This module holds a tensor's card, with its autograd graph; modules, optimizers, the
namespace and watches are in ``tui.tensors.objects``.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from tui.tensors.cards import (
    AUTOGRAD_NODE_CAP,
    FAST_STD_ABOVE,
    HIST_BINS,
    HIST_SAMPLE,
    PREVIEW_EDGE,
    Graph,
    GraphNode,
    Histogram,
    Preview,
    Stats,
    TensorCard,
    format_device,
    format_dtype,
    format_number,
    format_shape,
)
from tui.tensors.pictures import DEFAULT_COLS, DEFAULT_ROWS, Picture, picture_kind, picture_of

log = logging.getLogger(__name__)

#: A room for pictures, in cells: (columns, rows of two pixels each).
Room = tuple[int, int]
#: What the kernel accepts as a room from the app (a picture is at most 1000 pixels a side).
ROOM_COLS = (8, 400)
ROOM_ROWS = (2, 200)


# -- host transfer: the one place where device data comes to the CPU ------------------------
def _to_host(t: Any) -> Any:
    """Bring a *small* tensor to the host as Python values: a number for a 0-d tensor, else
    a (nested) list (tests patch this to count)."""
    return t.detach().cpu().tolist()


# -- tensors ---------------------------------------------------------------------------------
def _torch():
    import torch

    return torch


def _has_data(t: Any) -> bool:
    return t.device.type != "meta"


def tensor_stats(t: Any) -> Stats:
    """Min/max/mean/std and NaN/Inf counts, reduced on the tensor's device."""
    torch = _torch()
    try:
        if not _has_data(t):
            return Stats(note="meta tensor: no data")
        if t.layout != torch.strided:
            if t.layout == torch.sparse_coo:
                t = t.coalesce().values()
                of = "stored values"
            else:
                return Stats(note=f"no stats for layout {format_dtype(t.layout)}")
        else:
            of = ""
        t = t.detach()
        if t.numel() == 0:
            return Stats(of=of, note="empty tensor")
        if t.dtype == torch.bool:
            n_true = int(_to_host(t.sum()))
            return Stats(
                min=bool(n_true == t.numel()),
                max=bool(n_true > 0),
                mean=n_true / t.numel(),
                of=of or f"{n_true} True",
            )
        if t.is_complex():
            flags = torch.stack([torch.isnan(t).sum(), torch.isinf(t).sum()])
            nan, inf = (int(v) for v in _to_host(flags))
            mag = t.abs()
            s = _float_stats(mag, nan, inf)
            s.of = "|z|"
            return s
        if t.is_floating_point():
            if t.dtype in (torch.float16, torch.bfloat16) and t.device.type == "cpu":
                t = t.float()
            # min and max are finite exactly when there is no NaN and no Inf: one cheap pass
            lo_hi = torch.aminmax(t)
            lo, hi = _to_host(torch.stack(list(lo_hi)).double())
            if math.isfinite(lo) and math.isfinite(hi):
                return _float_stats(t, 0, 0, of=of, lo_hi=lo_hi)
            flags = torch.stack([torch.isnan(t).sum(), torch.isinf(t).sum()])
            nan, inf = (int(v) for v in _to_host(flags))
            finite = t[torch.isfinite(t)]
            s = _float_stats(finite, nan, inf, of="finite values")
            return s
        # integers (incl. uint8 and friends): exact min/max, float64 mean/std
        lo_hi = torch.stack([t.min(), t.max()])
        lo, hi = (int(v) for v in _to_host(lo_hi))
        tf = t.to(torch.float64)
        std, mean = torch.std_mean(tf) if t.numel() > 1 else (None, tf.mean())
        mean_v = float(_to_host(mean))
        std_v = float(_to_host(std)) if std is not None else None
        return Stats(min=lo, max=hi, mean=mean_v, std=std_v, of=of)
    except Exception as exc:  # noqa: BLE001 - an exotic tensor must not break the card
        log.info("no stats for a tensor: %r", exc)
        return Stats(note=f"stats unavailable: {type(exc).__name__}: {exc}"[:200])


def _float_stats(t: Any, nan: int, inf: int, of: str = "", lo_hi: Any = None) -> Stats:
    """Reductions in as few passes as possible: this is what keeps a 4096x4096 card fast."""
    torch = _torch()
    n = t.numel()
    if n == 0:
        return Stats(nan=nan, inf=inf, of=of, note="no finite values")
    lo, hi = torch.aminmax(t) if lo_hi is None else lo_hi
    if n == 1:
        lo_v, hi_v = (float(v) for v in _to_host(torch.stack([lo, hi]).double()))
        return Stats(min=lo_v, max=hi_v, mean=lo_v, nan=nan, inf=inf, of=of)
    if n > FAST_STD_ABOVE and t.is_contiguous() and t.dtype == torch.float32:
        # Big tensors: sum and dot are allocation-free passes, where std_mean is a slow
        # Welford pass; var = (sum x^2 - n mean^2) / (n - 1), fine unless it cancels.
        flat = t.view(-1)
        values = _to_host(torch.stack([lo, hi, flat.sum(), torch.dot(flat, flat)]).double())
        lo_v, hi_v, total, sumsq = (float(v) for v in values)
        mean_v = total / n
        var = (sumsq - n * mean_v * mean_v) / (n - 1)
        if var > 0 and mean_v * mean_v < var:
            return Stats(
                min=lo_v, max=hi_v, mean=mean_v, std=math.sqrt(var), nan=nan, inf=inf, of=of
            )
    std, mean = torch.std_mean(t)
    values = _to_host(torch.stack([lo, hi, mean, std]).double())
    lo_v, hi_v, mean_v, std_v = (float(v) for v in values)
    return Stats(min=lo_v, max=hi_v, mean=mean_v, std=std_v, nan=nan, inf=inf, of=of)


def _edge_index(n: int, edge: int) -> tuple[list[int], bool]:
    """Indices shown along an axis of length n: all, or head+tail with a gap."""
    if n <= 2 * edge + 1:
        return list(range(n)), False
    return list(range(edge)) + list(range(n - edge, n)), True


def _cell(value: Any, is_bool: bool) -> str:
    if is_bool:
        return "T" if value else "F"
    return format_number(value)


def tensor_preview(
    t: Any, index: list[int] | None = None, edge: int = PREVIEW_EDGE
) -> Preview | None:
    """A head/tail corner of the 2-D slice ``t[index]``; only that corner is copied to host."""
    torch = _torch()
    try:
        if not _has_data(t):
            return None
        if t.layout != torch.strided:
            if t.numel() <= 4096:
                t = t.to_dense()
            else:
                return Preview([], [], [], [], [], note="sparse: too big to preview densely")
        t = t.detach()
        lead = [int(d) for d in t.shape[:-2]] if t.dim() > 2 else []
        idx = list(index or [0] * len(lead))
        idx = [min(max(int(i), 0), max(d - 1, 0)) for i, d in zip(idx, lead, strict=False)]
        idx += [0] * (len(lead) - len(idx))
        if any(d == 0 for d in lead):
            return Preview([], [], [], idx, lead, note="empty leading dimension")
        plane = t[tuple(idx)] if lead else t
        is_bool = plane.dtype == torch.bool
        if plane.dim() == 0:
            v = _to_host(plane)
            return Preview([[_cell(v, is_bool)]], [""], [""], idx, lead)
        if plane.dim() == 1:
            plane = plane.unsqueeze(0)
            one_d = True
        else:
            one_d = False
        rows, rgap = _edge_index(plane.shape[0], edge)
        cols, cgap = _edge_index(plane.shape[1], edge)
        if not rows or not cols:
            return Preview([], [], [], idx, lead, note="empty")
        dev = plane.device
        sub = plane.index_select(0, torch.tensor(rows, device=dev)).index_select(
            1, torch.tensor(cols, device=dev)
        )
        if sub.dtype in (torch.float16, torch.bfloat16):
            sub = sub.float()
        values = _to_host(sub)
        cells = [[_cell(v, is_bool) for v in row] for row in values]
        col_labels = [str(c) for c in cols]
        row_labels = [str(r) for r in rows] if not one_d else [""]
        if cgap:
            for row in cells:
                row.insert(edge, "…")
            col_labels.insert(edge, "…")
        if rgap:
            cells.insert(edge, ["⋮"] * len(cells[0]))
            row_labels.insert(edge, "⋮")
        return Preview(cells, row_labels, col_labels, idx, lead)
    except Exception as exc:  # noqa: BLE001 - the same for its corner of values
        log.info("no preview of a tensor: %r", exc)
        return Preview([], [], [], [], [], note=f"preview unavailable: {type(exc).__name__}")


def tensor_histogram(t: Any, stats: Stats, bins: int = HIST_BINS) -> Histogram | None:
    """Counts per bin for real tensors (computed on device with ``torch.histc``); integer
    tensors get one bin per value when they fit, edges between the integers."""
    torch = _torch()
    try:
        whole = not t.is_floating_point() and not t.is_complex() and t.dtype != torch.bool
        if (
            not _has_data(t)
            or t.layout != torch.strided
            or not (t.is_floating_point() or whole)
            or t.numel() < 2
            or stats.min is None
            or stats.max is None
        ):
            return None
        lo, hi = float(stats.min), float(stats.max)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return None
        if whole:  # edges between the integers: min and max sit mid-bin
            bins = min(bins, int(hi - lo) + 1)
            lo, hi = lo - 0.5, hi + 0.5
        elif hi <= lo:
            hi = lo + 1.0
        src = t.detach()
        step = 1
        if src.numel() > HIST_SAMPLE:
            step = -(-src.numel() // HIST_SAMPLE)
            flat = src.view(-1) if src.is_contiguous() else src.reshape(-1)
            src = flat[::step]
        if whole or src.dtype in (torch.float16, torch.bfloat16, torch.float64):
            src = src.float()
        counts = torch.histc(src, bins=bins, min=lo, max=hi)
        return Histogram([int(c) for c in _to_host(counts)], lo, hi, step, whole)
    except Exception as exc:  # noqa: BLE001 - the same for its histogram: the card without it
        log.info("no histogram of a tensor: %r", exc)
        return None


def _grad_fn_name(t: Any) -> str | None:
    fn = getattr(t, "grad_fn", None)
    return None if fn is None else type(fn).__name__


def fit_room(cols: int, rows: int) -> Room:
    """The app's room, within what a picture may be."""
    return (
        min(max(int(cols), ROOM_COLS[0]), ROOM_COLS[1]),
        min(max(int(rows), ROOM_ROWS[0]), ROOM_ROWS[1]),
    )


def _module_of(t: Any) -> str:
    """A 4-D parameter is a convolution's weight: drawn as its filters."""
    return "Conv2d" if isinstance(t, _torch().nn.Parameter) and t.dim() == 4 else ""


def tensor_picture(t: Any, room: Room | None = None, module: str = "") -> Picture | None:
    """A picture of ``t`` fitted to ``room``, or None (no data, not drawable, or it failed:
    a picture is never worth a card). Only every k-th value is copied (see pictures)."""
    torch = _torch()
    cols, rows = room or (DEFAULT_COLS, DEFAULT_ROWS)
    try:
        if not _has_data(t) or t.layout != torch.strided or t.numel() == 0:
            return None
        return picture_of(t, cols, rows, module=module or _module_of(t))
    except Exception as exc:  # noqa: BLE001 - an exotic dtype or device: the card without it
        log.info("no picture of a tensor: %r", exc)
        return None


def tensor_card(
    t: Any,
    title: str = "",
    namespace: dict | None = None,
    index: list[int] | None = None,
    key: int = -1,
    room: Room | None = None,
) -> TensorCard:
    """Everything the tensor card shows, computed here so the UI only renders. A shape
    drawn by default (``picture_kind``) comes with its picture, fitted to ``room``."""
    torch = _torch()
    strided = t.layout == torch.strided
    stats = tensor_stats(t)
    try:
        has_grad = t.grad is not None if t.is_leaf else False
    except RuntimeError:  # a tensor subclass or backend without gradients
        has_grad = False
    graph = None
    if t.grad_fn is not None:
        graph = autograd_graph(t, namespace or {})
    nbytes = t.element_size() * t.numel() if strided else _sparse_bytes(t)
    return TensorCard(
        title=title,
        shape=[int(d) for d in t.shape],
        dtype=format_dtype(t.dtype),
        device=format_device(t.device),
        layout=format_dtype(t.layout),
        requires_grad=bool(t.requires_grad),
        is_leaf=bool(t.is_leaf),
        grad_fn=_grad_fn_name(t),
        has_grad=has_grad,
        numel=int(t.numel()),
        nbytes=int(nbytes),
        stride=[int(s) for s in t.stride()] if strided else None,
        contiguous=bool(t.is_contiguous()) if strided else None,
        stats=stats,
        preview=tensor_preview(t, index),
        histogram=tensor_histogram(t, stats),
        graph=graph,
        key=key,
        picture=tensor_picture(t, room) if picture_kind(t.shape, _module_of(t)) else None,
    )


def _sparse_bytes(t: Any) -> int:
    try:
        c = t.coalesce()
        return (
            c.values().element_size() * c.values().numel()
            + c.indices().element_size() * c.indices().numel()
        )
    except RuntimeError:  # a sparse layout that does not coalesce (CSR, BSR...)
        return 0


# -- autograd ----------------------------------------------------------------------------
# -- autograd ------------------------------------------------------------------------------
def tensor_names(namespace: dict, max_modules: int = 20) -> dict[int, str]:
    """id(tensor) -> the name a learner knows it by (variables, then module parameters)."""
    torch = _torch()
    names: dict[int, str] = {}
    modules = []
    for k, v in list(namespace.items()):
        if k.startswith("_"):
            continue
        if isinstance(v, torch.Tensor):
            names.setdefault(id(v), k)
        elif isinstance(v, torch.nn.Module):
            modules.append((k, v))
    for k, mod in modules[:max_modules]:
        for pname, p in mod.named_parameters():
            names.setdefault(id(p), f"{k}.{pname}")
    return names


def autograd_graph(t: Any, namespace: dict, cap: int = AUTOGRAD_NODE_CAP) -> Graph:
    """Walk ``grad_fn.next_functions`` iteratively (no recursion) up to ``cap`` nodes."""
    names = tensor_names(namespace)
    nodes: list[GraphNode] = []
    root = t.grad_fn
    if root is None:
        return Graph(nodes)
    seen: set[int] = set()
    stack: list[tuple[Any, int, int]] = [(root, -1, 0)]
    truncated = False
    while stack:
        fn, parent, depth = stack.pop()
        if len(nodes) >= cap:
            truncated = True
            break
        repeat = id(fn) in seen
        seen.add(id(fn))
        nodes.append(GraphNode(_node_label(fn, names), parent, depth, repeat))
        if repeat:
            continue
        me = len(nodes) - 1
        children = [c for c, _ in getattr(fn, "next_functions", ()) if c is not None]
        for child in reversed(children):
            stack.append((child, me, depth + 1))
    return Graph(nodes, truncated, cap)


def _node_label(fn: Any, names: dict[int, str]) -> str:
    kind = type(fn).__name__
    var = getattr(fn, "variable", None)
    if var is not None:
        name = names.get(id(var))
        shape = format_shape(var.shape)
        return f"{kind} {name} {shape}" if name else f"{kind} (unnamed leaf) {shape}"
    return kind
