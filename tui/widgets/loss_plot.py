"""The live loss curve: textual-plotext, fed decimated series, redrawn only on request.

Only the main thread calls ``plt.*`` (plotext is not thread-safe). The log view plots
log10(loss) on a linear axis (plotext's own log scale breaks on redraw), and the EMA
view smooths the decimated points, so both cost O(plot width) whatever the run length.
"""

from __future__ import annotations

import time

from textual_plotext import PlotextPlot

from tui.core.series import LossSeries, ema, log10_safe

#: Colours of older runs (oldest last); the current run is always the first colour.
RUN_COLOURS = ("cyan", "orange", "green", "magenta", "blue", "red")


class LossPlot(PlotextPlot):
    """Loss against step for the current run and up to five earlier ones (with a legend)."""

    DEFAULT_CSS = """
    LossPlot { width: 1fr; height: 1fr; min-height: 5; }
    LossPlot:focus { background-tint: $foreground 4%; }
    """
    can_focus = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.log_scale = False
        self.smooth = False
        self.points_drawn = 0  # points in the last draw (for tests and the benchmark)
        #: CPU seconds of the last draw + plotext build: the dashboard paces redraws by it.
        self.cost = 0.0
        self._draw_cost = 0.0

    def draw(self, runs: list[LossSeries]) -> None:
        """Replace the plotted data with ``runs`` (the newest first) and schedule a repaint."""
        t0 = time.thread_time()
        plt = self.plt
        plt.clear_data()
        width = self.size.width or 100
        max_points = max(16, 2 * width)
        drawn = 0
        older = [r for r in runs[1:] if len(r)][::-1]
        for i, series in enumerate([*older, *runs[:1]]):
            if not len(series):
                continue
            xs, ys = series.decimated(max_points)
            if self.smooth:
                ys = ema(ys, span_points=max(3.0, len(ys) / 20))
            if self.log_scale:
                ys = log10_safe(ys)
            colour = (
                RUN_COLOURS[0] if series is runs[0] else RUN_COLOURS[1 + (len(older) - 1 - i) % 5]
            )
            plt.plot(
                xs.tolist(), ys.tolist(), label=series.label or None, color=colour, marker="braille"
            )
            drawn += len(xs)
        plt.xlabel("step")
        plt.ylabel("log10(loss)" if self.log_scale else "loss")
        self.points_drawn = drawn
        self._draw_cost = time.thread_time() - t0
        self.refresh()

    def render(self):
        t0 = time.thread_time()
        out = super().render()
        self.cost = self._draw_cost + time.thread_time() - t0
        return out
