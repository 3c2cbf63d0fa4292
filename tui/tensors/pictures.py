"""Pictures of tensors: heatmaps, images and grids, computed in the kernel, drawn as
half-blocks in the app.

A picture is a small RGB array sized to the cells the app has for it (two pixel rows a
cell), sent as base64 bytes: the app never sees the tensor, and a 28x28 heatmap costs a
few KB once. The colour scales are perceptual (a viridis-like sequential scale for
values >= 0, a blue-white-red diverging scale centred on 0 for signed values); NaN and
infinities are marked in colours neither scale uses. No torch at import time: the
kernel hands in tensors or arrays, the app only decodes and draws.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from typing import Any

#: The shapes shown as a picture by default: 2-D, (1|3, H, W) or (H, W, 3), H and W >= 8.
MIN_SIDE = 8
#: A grid shows at most this many items (an N,C,H,W batch, a Conv2d's filters).
MAX_TILES = 64
#: Default room in cells (the app sends its own with each request).
DEFAULT_COLS, DEFAULT_ROWS = 36, 16

NAN_RGB = (255, 0, 255)
POS_INF_RGB = (255, 255, 255)
NEG_INF_RGB = (0, 0, 0)

#: Anchor colours; values between are interpolated.
SEQUENTIAL = [
    (68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142),
    (31, 158, 137), (53, 183, 121), (109, 205, 89), (180, 222, 44), (253, 231, 37),
]  # fmt: skip
DIVERGING = [
    (5, 48, 97), (33, 102, 172), (67, 147, 195), (146, 197, 222), (209, 229, 240),
    (247, 247, 247), (253, 219, 199), (244, 165, 130), (214, 96, 77), (178, 24, 43),
    (103, 0, 31),
]  # fmt: skip


#: The mime type of a picture in a display_data bundle (``show()`` and inline PNGs); its
#: value is the Picture's fields.
PICTURE_MIME = "application/vnd.torch-tui.picture+json"


def scale_colours(scale: str, n: int) -> list[tuple[int, int, int]]:
    """``n`` colours along a scale, low to high (the legend's bar; pure Python)."""
    anchors = DIVERGING if scale == "diverging" else SEQUENTIAL
    out = []
    for i in range(n):
        x = i / max(1, n - 1) * (len(anchors) - 1)
        j = min(int(x), len(anchors) - 2)
        f = x - j
        a, b = anchors[j], anchors[j + 1]
        out.append((round(a[0] + (b[0] - a[0]) * f), round(a[1] + (b[1] - a[1]) * f),
                    round(a[2] + (b[2] - a[2]) * f)))  # fmt: skip
    return out


@dataclass
class Picture:
    """``height`` pixel rows of ``width`` RGB pixels, base64 in ``data``."""

    width: int
    height: int
    data: str
    #: heatmap (a value scale, with ``lo``/``hi``), image, or grid (tiles of items).
    kind: str = "heatmap"
    #: sequential, diverging, or "" (an image's own colours).
    scale: str = ""
    lo: float | None = None
    hi: float | None = None
    #: Each pixel stands for ``factor`` x ``factor`` values (1: every value shown).
    factor: int = 1
    #: NaN / Inf values, marked in their own colours.
    nan: int = 0
    inf: int = 0
    #: What the picture shows, e.g. "16 of 64 filters, input channel 0".
    note: str = ""

    def pixels(self) -> bytes:
        raw = base64.b64decode(self.data, validate=True)
        if len(raw) != self.width * self.height * 3:
            raise ValueError("a picture whose bytes do not match its size")
        return raw


def picture_kind(shape: list[int] | tuple[int, ...], module: str = "") -> str | None:
    """What a tensor of this shape is drawn as by default, or None for no picture."""
    dims = [int(d) for d in shape]
    if module == "Conv2d" or (len(dims) == 4 and all(d > 0 for d in dims)):
        return "grid" if len(dims) == 4 and dims[2] >= 1 and dims[3] >= 1 else None
    if len(dims) == 2 and min(dims) >= MIN_SIDE:
        return "heatmap"
    if len(dims) == 3 and dims[0] in (1, 3) and min(dims[1:]) >= MIN_SIDE:
        return "image"
    if len(dims) == 3 and dims[2] == 3 and min(dims[:2]) >= MIN_SIDE:
        return "image"
    return None


def can_draw(shape: list[int] | tuple[int, ...]) -> bool:
    """Shapes a picture can be asked for (one key on the card), if not shown by default."""
    dims = [int(d) for d in shape]
    return 2 <= len(dims) <= 4 and all(d > 0 for d in dims)


# -- in the kernel ------------------------------------------------------------------------
def _np() -> Any:
    import numpy as np

    return np


def _host(value: Any, factor: int) -> Any:
    """A float64 numpy array of every ``factor``-th value along the last two dims, taken
    before the copy, so a 1e8-element tensor costs what its picture needs."""
    np = _np()
    if hasattr(value, "detach"):  # a torch tensor
        t = value.detach()
        if factor > 1:
            t = t[..., ::factor, ::factor]
        if t.is_complex():
            t = t.abs()
        return t.to(device="cpu").double().numpy()
    arr = np.asarray(value)
    if factor > 1:
        arr = arr[..., ::factor, ::factor]
    if np.iscomplexobj(arr):
        arr = np.abs(arr)
    return arr.astype(np.float64)


def _factor(h: int, w: int, cols: int, rows: int) -> int:
    """The smallest whole step that fits h x w values in cols x (2 rows) pixels."""
    return max(1, math.ceil(h / (2 * rows)), math.ceil(w / cols))


def _lut(anchors: list[tuple[int, int, int]]) -> Any:
    np = _np()
    a = np.array(anchors, dtype=np.float64)
    x = np.linspace(0, 1, len(anchors))
    grid = np.linspace(0, 1, 256)
    return (
        np.stack([np.interp(grid, x, a[:, c]) for c in range(3)], axis=1).round().astype(np.uint8)
    )


def scale_of(lo: float, hi: float) -> str:
    return "diverging" if lo < 0 < hi or (lo < 0 and hi <= 0 and lo < hi) else "sequential"


def colour(values: Any, lo: float, hi: float, scale: str) -> tuple[Any, int, int]:
    """RGB (..., 3) uint8 for ``values`` on a scale; NaN and +/-Inf in their marks."""
    np = _np()
    v = np.asarray(values, dtype=np.float64)
    nan = np.isnan(v)
    pinf = np.isposinf(v)
    ninf = np.isneginf(v)
    finite = ~(nan | pinf | ninf)
    if scale == "diverging":
        bound = max(abs(lo), abs(hi)) or 1.0
        t = (np.where(finite, v, 0.0) / bound + 1) / 2
        lut = _lut(DIVERGING)
    else:
        span = (hi - lo) or 1.0
        t = (np.where(finite, v, lo) - lo) / span
        lut = _lut(SEQUENTIAL)
    idx = np.clip((t * 255).round(), 0, 255).astype(np.intp)
    rgb = lut[idx]
    rgb[nan] = NAN_RGB
    rgb[pinf] = POS_INF_RGB
    rgb[ninf] = NEG_INF_RGB
    return rgb, int(nan.sum()), int((pinf | ninf).sum())


def _range(v: Any) -> tuple[float, float]:
    np = _np()
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return 0.0, 0.0
    return float(finite.min()), float(finite.max())


def _encode(rgb: Any, **fields: Any) -> Picture:
    np = _np()
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    if h % 2:  # whole cells: a last row of background
        rgb = np.concatenate([rgb, np.zeros((1, w, 3), np.uint8)])
        h += 1
    return Picture(w, h, base64.b64encode(rgb.tobytes()).decode("ascii"), **fields)


def heatmap(value: Any, cols: int = DEFAULT_COLS, rows: int = DEFAULT_ROWS) -> Picture:
    """A 2-D tensor's values on a colour scale, fitted to ``cols`` x ``rows`` cells."""
    h, w = int(value.shape[-2]), int(value.shape[-1])
    factor = _factor(h, w, cols, rows)
    v = _host(value, factor)
    lo, hi = _range(v)
    scale = scale_of(lo, hi)
    rgb, nan, inf = colour(v, lo, hi, scale)
    return _encode(rgb, kind="heatmap", scale=scale, lo=lo, hi=hi, factor=factor, nan=nan, inf=inf)


def image(value: Any, cols: int = DEFAULT_COLS, rows: int = DEFAULT_ROWS) -> Picture:
    """(H, W), (1, H, W) grey or (3, H, W) / (H, W, 3) colour values as an image: values
    in [0, 1] (or 0-255 integers) as they are, anything else stretched to its range."""
    np = _np()
    dims = list(value.shape)
    channels_last = len(dims) == 3 and dims[2] == 3 and dims[0] not in (1, 3)
    if channels_last:
        value = value.permute(2, 0, 1) if hasattr(value, "permute") else np.moveaxis(value, 2, 0)
    h, w = int(value.shape[-2]), int(value.shape[-1])
    factor = _factor(h, w, cols, rows)
    v = _host(value, factor)
    if v.ndim == 2:
        v = v[None]
    integer = str(getattr(value, "dtype", "")).rsplit(".", 1)[-1] in ("uint8", "int64", "int32")
    lo, hi = _range(v)
    if integer and lo >= 0 and hi <= 255:
        lo, hi = 0.0, 255.0
    elif lo >= 0 and hi <= 1:
        lo, hi = 0.0, 1.0
    span = (hi - lo) or 1.0
    scaled = np.clip((np.nan_to_num(v, nan=lo, posinf=hi, neginf=lo) - lo) / span, 0, 1)
    rgb = (scaled * 255).round().astype(np.uint8)
    rgb = np.repeat(rgb, 3, axis=0) if rgb.shape[0] == 1 else rgb[:3]
    rgb = np.moveaxis(rgb, 0, 2)
    nan = int(np.isnan(v).sum())
    inf = int(np.isinf(v).sum())
    return _encode(rgb, kind="image", lo=lo, hi=hi, factor=factor, nan=nan, inf=inf)


def _tile_factor(
    lines: int, per_row: int, h: int, w: int, cols: int, rows: int
) -> tuple[int, bool]:
    """The smallest step at which ``lines`` x ``per_row`` tiles of h x w values, one pixel
    apart (gaps are not stepped over), fit the room; and whether any step does."""
    factor = _factor(lines * h, per_row * w, cols, rows)
    while True:
        height = lines * math.ceil(h / factor) + lines - 1
        width = per_row * math.ceil(w / factor) + per_row - 1
        if height <= 2 * rows and width <= cols:
            return factor, True
        if factor >= max(h, w):  # one pixel a tile and still too many tiles
            return factor, False
        factor += 1


def grid(
    value: Any, cols: int = DEFAULT_COLS, rows: int = DEFAULT_ROWS, what: str = "items"
) -> Picture:
    """The first items of an (N, C, H, W) batch, or a Conv2d weight's (out, in, kh, kw)
    filters, as tiles one pixel apart on one shared diverging (or sequential) scale."""
    np = _np()
    n, c, h, w = (int(d) for d in value.shape)
    shown = min(n, MAX_TILES)
    rgb_items = c == 3 and what == "items"
    # tiles per row: as square a grid as the room allows
    best = None
    for per_row in range(1, shown + 1):
        lines = math.ceil(shown / per_row)
        factor, fits = _tile_factor(lines, per_row, h, w, cols, rows)
        tile = (math.ceil(h / factor), math.ceil(w / factor))
        score = (not fits, factor, -per_row * tile[1])
        if best is None or score < best[0]:
            best = (score, per_row, factor)
    assert best is not None
    _, per_row, factor = best
    sub = value[:shown] if rgb_items else value[:shown, :1]
    v = _host(sub, factor)  # (shown, c', th, tw)
    th, tw = v.shape[-2], v.shape[-1]
    lines = math.ceil(shown / per_row)
    lo, hi = _range(v)
    if rgb_items:
        span = (hi - lo) or 1.0
        colours = (np.clip((np.nan_to_num(v) - lo) / span, 0, 1) * 255).astype(np.uint8)
        colours = np.moveaxis(colours, 1, 3)
        nan = int(np.isnan(v).sum())
        inf = int(np.isinf(v).sum())
        scale = ""
    else:
        scale = scale_of(lo, hi)
        colours, nan, inf = colour(v[:, 0], lo, hi, scale)
    canvas = np.zeros((lines * (th + 1) - 1, per_row * (tw + 1) - 1, 3), np.uint8)
    canvas[:] = (40, 40, 40)
    for i in range(shown):
        r, col = divmod(i, per_row)
        canvas[r * (th + 1) : r * (th + 1) + th, col * (tw + 1) : col * (tw + 1) + tw] = colours[i]
    channel = "" if rgb_items or c == 1 else f", channel 0 of {c}"
    note = f"{shown} of {n} {what}{channel}" if shown < n else f"{n} {what}{channel}"
    return _encode(
        canvas, kind="grid", scale=scale, lo=lo, hi=hi, factor=factor, nan=nan, inf=inf, note=note
    )


def picture_of(
    value: Any, cols: int = DEFAULT_COLS, rows: int = DEFAULT_ROWS, module: str = ""
) -> Picture | None:
    """The picture a tensor's shape calls for (or any 2-4-D one asked for), or None."""
    shape = tuple(int(d) for d in value.shape)
    kind = picture_kind(shape, module)
    if kind is None and not can_draw(shape):
        return None
    if kind == "grid" or len(shape) == 4:
        return grid(value, cols, rows, "filters" if module == "Conv2d" else "items")
    if kind == "image":
        return image(value, cols, rows)
    if len(shape) == 3:  # (C, H, W) of another C: its first channel
        pic = heatmap(value[0], cols, rows)
        pic.note = f"channel 0 of {shape[0]}"
        return pic
    return heatmap(value, cols, rows)
