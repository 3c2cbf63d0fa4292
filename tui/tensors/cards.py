"""The inspector's plain data: the cards, previews and rows the kernel sends, and their
formatting. No torch here: these travel over the protocol (``tui.protocol.messages``) and the
widgets only render them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tui.tensors.pictures import Picture

#: Rows/columns shown at each end of a preview axis (a 4096-wide axis shows 2*EDGE values).
PREVIEW_EDGE = 4
HIST_BINS = 32
MAX_RESULT_CARDS = 8
MAX_ASSIGNED_CARDS = 3
MAX_VARIABLES = 500
AUTOGRAD_NODE_CAP = 200
MAX_LAYER_ROWS = 200
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
    #: Integer values: ``lo`` and ``hi`` are min - 0.5 and max + 0.5.
    whole: bool = False


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
    #: Key for a ``PreviewRequest`` (slice navigation, a weak reference in the kernel); -1: none.
    key: int = -1
    kind: str = "tensor"
    #: A heatmap, image or grid of the values, when the shape calls for one (see
    #: ``tui.tensors.pictures.picture_kind``); others are asked for with a ``PictureRequest``.
    picture: Picture | None = None

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
    #: The first Conv2d's filters, as a grid.
    filters: Picture | None = None

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
