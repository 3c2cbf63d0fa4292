"""The decision-boundary view: the model's class over the data's plane, with the data on top.

It renders a ``Boundary`` (plain numpy arrays the training thread computed on a grid), so
drawing it is pure text work on the UI thread; the worker refreshes it at most once a second.
"""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from tui.core.training import Boundary

_CLASS_RGB = ((66, 133, 244), (244, 160, 0), (52, 168, 83), (219, 68, 55))
_BG = (16, 16, 20)


def _blend(rgb: tuple[int, int, int], amount: float) -> Color:
    r, g, b = (int(_BG[i] + (rgb[i] - _BG[i]) * amount) for i in range(3))
    return Color.from_rgb(r, g, b)


class BoundaryView(Widget):
    """Each cell's background is the predicted class (deeper = more confident); dots are data."""

    DEFAULT_CSS = """
    BoundaryView { width: 1fr; height: 1fr; min-height: 5; }
    """
    can_focus = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.boundary: Boundary | None = None
        self._styles: dict[tuple[int, int, int], Style] = {}

    def show(self, boundary: Boundary | None) -> None:
        self.boundary = boundary
        self.refresh()

    def _style(self, cls: int, level: int, point: int) -> Style:
        key = (cls, level, point)
        style = self._styles.get(key)
        if style is None:
            bg = _blend(_CLASS_RGB[cls % 4], 0.15 + 0.12 * level)
            fg = Color.from_rgb(*_CLASS_RGB[point % 4]) if point >= 0 else None
            style = self._styles[key] = Style(bgcolor=bg, color=fg, bold=point >= 0)
        return style

    def render(self) -> Text:
        b = self.boundary
        width, height = self.size.width, self.size.height
        if b is None or width < 2 or height < 2:
            return Text("The decision boundary shows here for 2-D classification sets.")
        rows, cols = b.classes.shape
        ri = np.minimum((np.arange(height) * rows) // height, rows - 1)
        ci = np.minimum((np.arange(width) * cols) // width, cols - 1)
        cls = b.classes[np.ix_(ri, ci)]
        level = np.clip(((b.confidence[np.ix_(ri, ci)] - 0.5) * 2 * 4).astype(int), 0, 4)
        dots = np.full((height, width), -1, dtype=np.int64)
        x0, x1, y0, y1 = b.extent
        if len(b.points):
            px = ((b.points[:, 0] - x0) / (x1 - x0) * (width - 1)).round().astype(int)
            py = ((y1 - b.points[:, 1]) / (y1 - y0) * (height - 1)).round().astype(int)
            ok = (px >= 0) & (px < width) & (py >= 0) & (py < height)
            dots[py[ok], px[ok]] = b.point_classes[ok]
        text = Text(no_wrap=True, overflow="crop")
        for r in range(height):
            cr, lr, dr = cls[r].tolist(), level[r].tolist(), dots[r].tolist()
            for c in range(width):
                text.append("●" if dr[c] >= 0 else " ", self._style(cr[c], lr[c], dr[c]))
            if r < height - 1:
                text.append("\n")
        return text
