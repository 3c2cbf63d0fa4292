"""The tensor card's histogram: a cached PlotextPlot (its own module, so plotext loads
with the first card, not before the first frame)."""

from __future__ import annotations

import logging

from rich.text import Text
from textual_plotext import PlotextPlot

log = logging.getLogger(__name__)


class HistogramPlot(PlotextPlot):
    """A PlotextPlot that lets go of the app's theme signal when removed.

    PlotextPlot subscribes with a lambda holding itself, which keeps every removed plot
    (and its figure, thousands of objects) alive: a leak that grew each gen-2 GC pass.
    """

    _cache_key: tuple | None = None
    _cached: object = None
    #: Bumped whenever the data changes, so a cached figure is never stale.
    version = 0

    def on_unmount(self) -> None:
        self.app.theme_changed_signal.unsubscribe(self)

    def render(self):
        """plotext builds a figure in ~10-20 ms: build once per data, size and theme."""
        key = (self.version, self.size, self.app.theme)
        if key != self._cache_key or self._cached is None:
            try:
                self._cached = super().render()
            except Exception as exc:  # noqa: BLE001 - figures from the kernel: a card must not kill the app
                log.warning("a histogram could not be drawn: %r", exc)
                self._cached = Text(f"(no histogram: {type(exc).__name__})", style="dim")
            self._cache_key = key
        return self._cached
