"""The decision-boundary view: the model's class over the data's plane, with the data on top.

It renders a ``Boundary`` (plain numpy arrays the training thread computed on a grid), so
drawing it is pure text work on the UI thread; the worker refreshes it at most once a
second. Two grid rows a cell, as half-blocks: the upper one is the character's colour,
the lower one its background; each is its class's colour, deeper where the model is more
confident. A cell holding a data point shows a dot of the point's class on the lower
pixel's colour (one cell in ``CELLS_PER_POINT`` at most). Under ``NO_COLOR`` a character per class stands in for the colours
(blank where the model is unsure) and a point is its class's digit. The last line is the
legend.
"""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from tui.training.report import Boundary
from tui.ui.common.halfblock import UPPER_HALF, no_color

_CLASS_RGB = ((66, 133, 244), (244, 160, 0), (52, 168, 83), (219, 68, 55))
_BG = (16, 16, 20)
#: Confidence levels drawn (0: a coin flip ... LEVELS - 1: sure).
LEVELS = 5
POINT = "●"
#: At most one cell in this many holds a data point (the sample's first ones, a random
#: subset): the map stays visible under the dots in a small view.
CELLS_PER_POINT = 5
#: Under NO_COLOR: a class's region (blank where unsure), by class.
REGION_CHARS = ".+x="
EMPTY = "The decision boundary shows here for 2-D classification sets."


def _rgb(cls: int, level: int) -> tuple[int, int, int]:
    amount = 0.15 + 0.12 * level
    rgb = _CLASS_RGB[cls % len(_CLASS_RGB)]
    return (
        int(_BG[0] + (rgb[0] - _BG[0]) * amount),
        int(_BG[1] + (rgb[1] - _BG[1]) * amount),
        int(_BG[2] + (rgb[2] - _BG[2]) * amount),
    )


def _pixels(b: Boundary, width: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The grid's class and confidence level at ``rows`` x ``width`` pixels (nearest)."""
    g_rows, g_cols = b.classes.shape
    ri = np.minimum((np.arange(rows) * g_rows) // rows, g_rows - 1)
    ci = np.minimum((np.arange(width) * g_cols) // width, g_cols - 1)
    cls = b.classes[np.ix_(ri, ci)].astype(np.int64)
    conf = np.nan_to_num(b.confidence[np.ix_(ri, ci)].astype(np.float64), nan=0.5)
    level = np.clip(((conf - 0.5) * 2 * LEVELS).astype(np.int64), 0, LEVELS - 1)
    return cls, level


def _points(b: Boundary, width: int, rows: int) -> np.ndarray:
    """(cell rows, width): the class of a data point in each cell, or -1."""
    dots = np.full((rows // 2, width), -1, dtype=np.int64)
    shown = max(1, dots.size // CELLS_PER_POINT)
    points, labels = b.points[:shown], np.asarray(b.point_classes)[:shown]
    if not len(points):
        return dots
    x0, x1, y0, y1 = b.extent
    with np.errstate(all="ignore"):
        px = (points[:, 0] - x0) / ((x1 - x0) or 1.0) * (width - 1)
        py = (y1 - points[:, 1]) / ((y1 - y0) or 1.0) * (rows - 1)
    ok = np.isfinite(px) & np.isfinite(py)
    px, py = px[ok].round().astype(np.int64), py[ok].round().astype(np.int64)
    labels = labels[ok]
    inside = (px >= 0) & (px < width) & (py >= 0) & (py < rows)
    dots[py[inside] // 2, px[inside]] = labels[inside]
    return dots


class _Runs:
    """Text built from runs of one style (one span a run, not one a cell)."""

    def __init__(self) -> None:
        self.text = Text(no_wrap=True, overflow="crop")
        self._chars: list[str] = []
        self._style: Style | None = None

    def add(self, char: str, style: Style | None) -> None:
        if style is not self._style:
            self.flush()
            self._style = style
        self._chars.append(char)

    def flush(self) -> None:
        if self._chars:
            self.text.append("".join(self._chars), self._style or "")
            self._chars = []

    def newline(self) -> None:
        self.flush()
        self.text.append("\n")


class _Palette:
    """Styles by (upper pixel, lower pixel, point), made once each."""

    def __init__(self) -> None:
        self._styles: dict[tuple[int, int, int], Style] = {}

    def style(self, top: int, bottom: int, point: int) -> Style:
        key = (top, bottom, point)
        style = self._styles.get(key)
        if style is None:
            bg = Color.from_rgb(*_rgb(*divmod(bottom, LEVELS)))
            if point >= 0:
                fg = Color.from_rgb(*_CLASS_RGB[point % len(_CLASS_RGB)])
                style = Style(color=fg, bgcolor=bg)  # not bold: a reset and a redo a dot
            elif top == bottom:  # a blank with a background: no foreground to send
                style = Style(bgcolor=bg)
            else:
                style = Style(color=Color.from_rgb(*_rgb(*divmod(top, LEVELS))), bgcolor=bg)
            self._styles[key] = style
        return style


_PALETTE = _Palette()
_DIM = Style(dim=True)
_BOLD = Style(bold=True)


def boundary_text(b: Boundary, width: int, height: int, colour: bool = True) -> Text:
    """``height`` lines of ``width`` cells: the map (two grid rows a cell) and a legend."""
    legend = height >= 4
    map_rows = height - 1 if legend else height
    pixel_rows = 2 * map_rows
    cls, level = _pixels(b, width, pixel_rows)
    dots = _points(b, width, pixel_rows)
    out = _Runs()
    key = cls * LEVELS + level
    for r in range(map_rows):
        if r:
            out.newline()
        dr = dots[r].tolist()
        if colour:
            top, bottom = key[2 * r].tolist(), key[2 * r + 1].tolist()
            for c in range(width):
                style = _PALETTE.style(top[c], bottom[c], dr[c])
                char = POINT if dr[c] >= 0 else (" " if top[c] == bottom[c] else UPPER_HALF)
                out.add(char, style)
        else:
            # the surer of the two pixels decides the cell's character
            upper = level[2 * r] >= level[2 * r + 1]
            c_cls = np.where(upper, cls[2 * r], cls[2 * r + 1]).tolist()
            c_lvl = np.where(upper, level[2 * r], level[2 * r + 1]).tolist()
            for c in range(width):
                if dr[c] >= 0:
                    out.add(str(dr[c]) if 0 <= dr[c] < 10 else POINT, _BOLD)
                elif c_lvl[c] == 0:
                    out.add(" ", None)
                else:
                    out.add(REGION_CHARS[c_cls[c] % len(REGION_CHARS)], _DIM)
    if legend:
        out.newline()
        out.flush()
        out.text.append_text(legend_line(b.n_classes, colour))
    out.flush()
    return out.text


def legend_line(n_classes: int, colour: bool = True) -> Text:
    """What the colours (or characters) mean, on one line."""
    shown = min(max(n_classes, 1), len(_CLASS_RGB))
    text = Text(no_wrap=True, overflow="ellipsis")
    for k in range(shown):
        if colour:
            text.append(POINT, Style(color=Color.from_rgb(*_CLASS_RGB[k])))
            text.append(f" class {k}  ")
        else:
            text.append(f"{k}", _BOLD)
            text.append(f" {REGION_CHARS[k]} class {k}  ")
    if n_classes > shown:
        text.append(f"(+{n_classes - shown} more)  ", style="dim")
    if colour:
        text.append("dots: data · deeper colour: surer", style="dim")
    else:
        text.append("digits: data · blank: unsure", style="dim")
    return text


class BoundaryView(Widget):
    """The decision boundary as half-blocks (see the module docstring); dots are data."""

    DEFAULT_CSS = """
    BoundaryView { width: 1fr; height: 1fr; min-height: 5; }
    """
    can_focus = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.boundary: Boundary | None = None

    def show(self, boundary: Boundary | None) -> None:
        self.boundary = boundary
        self.refresh()

    def render(self) -> Text:
        b = self.boundary
        width, height = self.size.width, self.size.height
        if b is None or width < 2 or height < 2:
            return Text(EMPTY)
        return boundary_text(b, width, height, colour=not no_color())
