"""The filters view: the first Conv2d's filters of the run, live, as half-blocks.

The kernel sends a ``Picture`` of them (``tui.training.filter_snapshots``) at most twice a
second, and only while this view is shown: the pane tells the agent with ``TrainView``
when it is switched to or away from (``f``) and when its room changes (``Room``).
Filters come one pixel a weight; the view enlarges them by a whole factor to fill its room.
"""

from __future__ import annotations

import base64
import dataclasses

from rich.text import Text
from textual.message import Message
from textual.widget import Widget

from tui.tensors.pictures import Picture
from tui.ui.common.halfblock import legend_text, picture_text

#: Lines under the picture for its legend (scale, then what it shows).
LEGEND_ROWS = 2
#: The largest enlargement drawn (a 3x3 filter at most 24 cells wide).
MAX_ZOOM = 8
EMPTY = (
    "The filters of the model's first Conv2d show here while it trains: t trains the "
    "REPL's model (e.g. a small CNN on X of shape (N, 1, 28, 28)). f goes back to the curve."
)


def zoomed(picture: Picture, cols: int, rows: int) -> Picture:
    """The picture enlarged by the largest whole factor (<= MAX_ZOOM) that fits ``cols``
    x ``rows`` cells; itself when none does (or its bytes do not match its size)."""
    import numpy as np

    zoom = min(MAX_ZOOM, cols // max(1, picture.width), 2 * rows // max(1, picture.height))
    if zoom <= 1:
        return picture
    try:
        raw = picture.pixels()
    except ValueError:
        return picture
    pixels = np.frombuffer(raw, np.uint8).reshape(picture.height, picture.width, 3)
    big = pixels.repeat(zoom, axis=0).repeat(zoom, axis=1)
    data = base64.b64encode(big.tobytes()).decode("ascii")
    return dataclasses.replace(
        picture, width=picture.width * zoom, height=picture.height * zoom, data=data
    )


class FiltersView(Widget):
    """The last filters picture with its legend, or what to do to get one."""

    DEFAULT_CSS = """
    FiltersView { width: 1fr; height: 1fr; min-height: 5; }
    """
    can_focus = True

    class Room(Message):
        """The view's room for a picture changed (cells)."""

        def __init__(self, cols: int, rows: int) -> None:
            super().__init__()
            self.cols, self.rows = cols, rows

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.picture: Picture | None = None

    def show(self, picture: Picture | None) -> None:
        self.picture = picture
        self.refresh()

    @property
    def room(self) -> tuple[int, int]:
        """(cols, rows) of cells a picture may take, its legend under it."""
        width, height = self.size.width, self.size.height
        return max(4, width), max(2, height - LEGEND_ROWS)

    def on_resize(self) -> None:
        if self.size.width and self.size.height:
            self.post_message(self.Room(*self.room))

    def render(self) -> Text:
        picture = self.picture
        if picture is None or self.size.width < 2:
            return Text(EMPTY)
        text = picture_text(zoomed(picture, *self.room))
        text.append("\n")
        text.append_text(legend_text(picture, width=max(4, self.size.width // 4)))
        return text
