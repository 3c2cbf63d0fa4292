"""The REPL's output log: wraps at the width it shows, and again after a resize.

Textual's ``RichLog`` renders each write once, at ``min_width`` (78) or wider, so in a
pane narrower than that the ends of long lines fall off the right edge, and a resize
leaves old lines wrapped for the old width. This log keeps what was written and wraps
it again when its width changes: no output is ever hidden. A picture (half-blocks, no
wrap) is cropped at the new width instead: its rows stay rows. Everything is measured
against the log's own width, never the console's (80 columns where the terminal's size
is unknown: in tests, behind ``serve``), so a line as wide as the log stays one line.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from rich.console import RenderableType
from rich.measure import Measurement
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import RichLog

#: Writes kept for re-wrapping (the log itself keeps ``max_lines`` rendered lines).
KEEP_WRITES = 2_000


class ReplLog(RichLog):
    class Resized(Message):
        """The log changed size (the pane tells the kernel its room for pictures)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_width", 1)
        super().__init__(**kwargs)
        self._writes: deque[RenderableType | object] = deque(maxlen=KEEP_WRITES)
        self._wrapped_at = 0

    def write(
        self,
        content: RenderableType | object,
        width: int | None = None,
        expand: bool = False,
        shrink: bool = True,
        scroll_end: bool | None = None,
        animate: bool = False,
    ) -> ReplLog:
        self._writes.append(content.copy() if isinstance(content, Text) else content)
        if self._wrapped_at:  # until the width is known, on_resize writes them all
            self._write(content, width, expand, shrink, scroll_end)
        return self

    def _write(
        self,
        content: RenderableType | object,
        width: int | None = None,
        expand: bool = False,
        shrink: bool = True,
        scroll_end: bool | None = None,
    ) -> None:
        """At the width it wants, or the log's if that is narrower. A picture (a
        ``Drawn``) says its width: measured like text it would be cut at the console's."""
        room = self.scrollable_content_region.width
        if room and width is None:
            drawn = getattr(content, "width", None)
            if not isinstance(drawn, int):
                console = self.app.console
                options = console.options.update_width(room)
                renderable = self._make_renderable(content)
                drawn = Measurement.get(console, options, renderable).maximum
            width = max(1, min(drawn, room))
        super().write(content, width, expand, shrink, scroll_end=False)
        if self.auto_scroll if scroll_end is None else scroll_end:
            # now, not after the next refresh (RichLog's way): that refresh would paint the
            # log once unscrolled, sending every picture in view to the terminal twice
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def clear(self) -> ReplLog:
        self._writes.clear()
        super().clear()
        return self

    def on_resize(self, event: events.Resize) -> None:
        self.post_message(self.Resized())
        width = self.scrollable_content_region.width
        if not width or width == self._wrapped_at:
            return
        self._wrapped_at = width
        super().clear()
        for content in self._writes:
            self._write(content, scroll_end=False)
        if self.auto_scroll:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
