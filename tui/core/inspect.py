"""Summaries of tensors, modules and optimizers for the inspector, as plain data.

Everything here runs on the session's exec thread (torch work never happens on the UI
thread); the results are small dataclasses of str/int/float/lists that the widgets only
render. Big tensors are never copied whole to the host: statistics are reduced on the
tensor's own device and only scalars, a corner of values and histogram counts travel.
"""

from __future__ import annotations

import math
import sys
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: Rows/columns shown at each end of a preview axis (a 4096-wide axis shows 2*EDGE values).
PREVIEW_EDGE = 4
HIST_BINS = 32
MAX_RESULT_CARDS = 8
MAX_ASSIGNED_CARDS = 3
MAX_VARIABLES = 500
AUTOGRAD_NODE_CAP = 200
MAX_LAYER_ROWS = 200
#: Cell results kept alive so that slice navigation can ask for another preview.
KEEP_OBJECTS = 32
#: Above this many elements std comes from sum and norm (two fast passes), not Welford.
FAST_STD_ABOVE = 1 << 20
#: The histogram counts every k-th value of bigger tensors so it stays a ~20 ms pass.
HIST_SAMPLE = 1 << 18
#: Namespace names the variables panel hides: the preloaded helpers, not the learner's own.
HIDDEN_NAMES = {"torch", "nn", "F", "np", "device"}


# -- plain-data payloads ------------------------------------------------------------------
@dataclass
class Stats:
    """Reductions of a tensor; ``None`` where a figure does not apply (e.g. std of bools)."""

    min: float | int | bool | None = None
    max: float | int | bool | None = None
    mean: float | None = None
    std: float | None = None
    nan: int = 0
    inf: int = 0
    #: What the figures are of, e.g. "|z|" for complex tensors, "finite values" with NaNs.
    of: str = ""
    note: str = ""


@dataclass
class Preview:
    """A 2-D window of values as text, plus where it sits in an N-D tensor."""

    cells: list[list[str]]
    row_labels: list[str]
    col_labels: list[str]
    #: Indices chosen along the leading dims (all dims but the last two); () for <= 2-D.
    index: list[int]
    lead_shape: list[int]
    note: str = ""

    @property
    def slice_count(self) -> int:
        return math.prod(self.lead_shape) if self.lead_shape else 1

    @property
    def slice_label(self) -> str:
        if not self.lead_shape:
            return ""
        return "[" + ", ".join([str(i) for i in self.index] + [":", ":"]) + "]"


@dataclass
class Histogram:
    counts: list[int]
    lo: float
    hi: float
    #: 1 when every value was counted; k when every k-th value was (big tensors).
    step: int = 1


@dataclass
class GraphNode:
    """One node of the autograd graph, flattened; ``parent`` indexes the list (-1: root)."""

    label: str
    parent: int
    depth: int
    #: True when this node was already shown elsewhere (a DAG seen as a tree).
    repeat: bool = False


@dataclass
class Graph:
    nodes: list[GraphNode]
    truncated: bool = False
    cap: int = AUTOGRAD_NODE_CAP


@dataclass
class TensorCard:
    title: str
    shape: list[int]
    dtype: str
    device: str
    layout: str
    requires_grad: bool
    is_leaf: bool
    grad_fn: str | None
    has_grad: bool
    numel: int
    nbytes: int
    stride: list[int] | None
    contiguous: bool | None
    stats: Stats
    preview: Preview | None
    histogram: Histogram | None
    graph: Graph | None
    #: Key for ``Inspector.preview`` (slice navigation); -1 when not kept.
    key: int = -1
    kind: str = "tensor"

    @property
    def shape_text(self) -> str:
        return format_shape(self.shape)


@dataclass
class LayerRow:
    depth: int
    name: str
    type_name: str
    params: int
    detail: str = ""


@dataclass
class ModuleCard:
    title: str
    type_name: str
    layers: list[LayerRow]
    trainable: int
    frozen: int
    nbytes: int
    buffer_bytes: int
    devices: list[str]
    dtypes: list[str]
    training: bool
    truncated: bool = False
    kind: str = "module"

    @property
    def total(self) -> int:
        return self.trainable + self.frozen


@dataclass
class ParamGroup:
    index: int
    tensors: int
    numel: int
    hyper: list[tuple[str, str]]


@dataclass
class OptimizerCard:
    title: str
    type_name: str
    groups: list[ParamGroup]
    state_entries: int
    kind: str = "optimizer"


Card = TensorCard | ModuleCard | OptimizerCard


@dataclass
class VarRow:
    name: str
    kind: str
    shape: str
    dtype: str
    device: str


@dataclass
class WatchValue:
    expr: str
    ok: bool
    text: str


@dataclass
class Payload:
    """What the post-run hook hands the inspector widget after each cell."""

    cards: list[Card] = field(default_factory=list)
    variables: list[VarRow] = field(default_factory=list)
    watches: list[WatchValue] = field(default_factory=list)
    more_cards: int = 0


# -- formatting ------------------------------------------------------------------------------
def format_shape(shape: Iterable[int]) -> str:
    dims = [int(d) for d in shape]
    if len(dims) == 1:
        return f"({dims[0]},)"
    return "(" + ", ".join(str(d) for d in dims) + ")"


def format_dtype(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


def format_device(device: Any) -> str:
    """``cuda:0`` style, also for devices given without an index."""
    text = str(device)
    return text


def format_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def format_number(value: Any) -> str:
    """Short, aligned-looking numbers: 4 significant digits, ints as ints."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, complex):
        return f"{format_number(value.real)}{'+' if value.imag >= 0 else '-'}{format_number(abs(value.imag))}j"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value == int(value) and abs(value) < 1e6:
            return f"{value:.1f}"
        return f"{value:.4g}"
    return str(value)


# -- host transfer: the one place where device data comes to the CPU ------------------------
def _to_host(t: Any) -> list:
    """Bring a *small* tensor to the host as Python values (tests patch this to count)."""
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
    except Exception as exc:  # an exotic tensor must not break the card
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
    except Exception as exc:
        return Preview([], [], [], [], [], note=f"preview unavailable: {type(exc).__name__}")


def tensor_histogram(t: Any, stats: Stats, bins: int = HIST_BINS) -> Histogram | None:
    """Counts per bin for real floating tensors (computed on device with ``torch.histc``)."""
    torch = _torch()
    try:
        if (
            not _has_data(t)
            or t.layout != torch.strided
            or not t.is_floating_point()
            or t.numel() < 2
            or stats.min is None
            or stats.max is None
        ):
            return None
        lo, hi = float(stats.min), float(stats.max)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return None
        if hi <= lo:
            hi = lo + 1.0
        src = t.detach()
        step = 1
        if src.numel() > HIST_SAMPLE:
            step = -(-src.numel() // HIST_SAMPLE)
            flat = src.view(-1) if src.is_contiguous() else src.reshape(-1)
            src = flat[::step]
        if src.dtype in (torch.float16, torch.bfloat16, torch.float64):
            src = src.float()
        counts = torch.histc(src, bins=bins, min=lo, max=hi)
        return Histogram([int(c) for c in _to_host(counts)], lo, hi, step)
    except Exception:
        return None


def _grad_fn_name(t: Any) -> str | None:
    fn = getattr(t, "grad_fn", None)
    return None if fn is None else type(fn).__name__


def tensor_card(
    t: Any,
    title: str = "",
    namespace: dict | None = None,
    index: list[int] | None = None,
    key: int = -1,
) -> TensorCard:
    """Everything the tensor card shows, computed here so the UI only renders."""
    torch = _torch()
    strided = t.layout == torch.strided
    stats = tensor_stats(t)
    try:
        has_grad = t.grad is not None if t.is_leaf else False
    except Exception:
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
    )


def _sparse_bytes(t: Any) -> int:
    try:
        c = t.coalesce()
        return (
            c.values().element_size() * c.values().numel()
            + c.indices().element_size() * c.indices().numel()
        )
    except Exception:
        return 0


# -- modules and optimizers ----------------------------------------------------------------
def module_card(m: Any, title: str = "") -> ModuleCard:
    """Layer tree and parameter counts; a parameter shared by two layers counts once."""
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
        except Exception:
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
    )


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


def card_for(value: Any, title: str, namespace: dict, key: int = -1) -> Card | None:
    kind = _kind_of(value)
    if kind in ("tensor", "parameter"):
        return tensor_card(value, title, namespace, key=key)
    if kind == "module":
        return module_card(value, title)
    if kind == "optimizer":
        return optimizer_card(value, title)
    if kind == "ndarray":
        torch = _torch()
        try:
            card = tensor_card(torch.from_numpy(value), title, namespace, key=key)
            card.kind = "ndarray"
            return card
        except Exception:
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
    if isinstance(value, torch.Tensor):
        s = tensor_stats(value)
        head = (
            f"{format_shape(value.shape)} {format_dtype(value.dtype)} {format_device(value.device)}"
        )
        if value.dim() == 0 and _has_data(value):
            scalar = tensor_preview(value)
            text = scalar.cells[0][0] if scalar and scalar.cells else "?"
            return f"{text}  ({format_dtype(value.dtype)} scalar tensor, {format_device(value.device)})"
        if value.numel() <= 8 and value.layout == torch.strided and _has_data(value):
            prev = tensor_preview(value.reshape(-1))
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
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            return WatchValue(expr, False, f"{type(exc).__name__}")
        return WatchValue(expr, False, f"{type(exc).__name__}: {exc}"[:300])


# -- the object the session hook and the widget share ----------------------------------------
class Inspector:
    """Computes payloads on the exec thread and keeps results alive for slice navigation.

    The UI replaces ``watches`` with a new tuple (an atomic assignment) and asks for work
    through ``session.submit``; every method here runs on the exec thread.
    """

    def __init__(self) -> None:
        self.watches: tuple[str, ...] = ()
        self._kept: OrderedDict[int, Any] = OrderedDict()
        self._next_key = 0
        self.namespace: dict = {}

    def _keep(self, obj: Any) -> int:
        key = self._next_key
        self._next_key += 1
        self._kept[key] = obj
        while len(self._kept) > KEEP_OBJECTS:
            self._kept.popitem(last=False)
        return key

    def hook(self, record: Any, namespace: dict) -> Payload:
        """``session.post_run_hooks["inspector"]``: cards, variables and watches for a cell."""
        self.namespace = namespace
        payload = Payload()
        if getattr(record, "has_result", False):
            number = getattr(record, "number", "")
            found, more = find_cardables(record.result, f"Out[{number}]")
            for title, obj in found:
                card = card_for(obj, title, namespace, key=self._keep(obj))
                if card is not None:
                    payload.cards.append(card)
            payload.more_cards = more
        elif getattr(record, "error", None) is None:
            # ``x = ...``: no result, so show what the cell assigned, newest first
            # (``changed`` lists names in the order the cell bound them).
            changed = [n for n in getattr(record, "changed", []) if n in namespace]
            for name in reversed(changed[-MAX_ASSIGNED_CARDS:]):
                obj = namespace[name]
                if _kind_of(obj) is not None:
                    card = card_for(obj, name, namespace, key=self._keep(obj))
                    if card is not None:
                        payload.cards.append(card)
        payload.variables = list_variables(namespace)
        payload.watches = self.evaluate_watches(namespace)
        return payload

    def evaluate_watches(self, namespace: dict | None = None) -> list[WatchValue]:
        ns = self.namespace if namespace is None else namespace
        return [evaluate_watch(expr, ns) for expr in self.watches]

    def card_for_name(self, name: str, namespace: dict | None = None) -> Card | None:
        ns = self.namespace if namespace is None else namespace
        if name not in ns:
            return None
        obj = ns[name]
        return card_for(obj, name, ns, key=self._keep(obj))

    def variables(self, namespace: dict | None = None) -> list[VarRow]:
        return list_variables(self.namespace if namespace is None else namespace)

    def preview(self, key: int, index: list[int]) -> Preview | None:
        obj = self._kept.get(key)
        if obj is None:
            return None
        torch = _torch()
        if not isinstance(obj, torch.Tensor):
            try:
                obj = torch.from_numpy(obj)
            except Exception:
                return None
        return tensor_preview(obj, index)
