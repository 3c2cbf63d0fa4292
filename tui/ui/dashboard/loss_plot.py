"""The live loss curve: textual-plotext, fed decimated series, built off the UI thread.

plotext needs 10-15 ms of pure Python to build a 100x16 figure. Built in ``render`` (as
textual-plotext does), that blocked the event loop for 20-30 ms while a training thread
competed for the GIL. Here the UI thread only decimates (numpy, O(plot width)) and hands
plain lists to a thread worker, which fills this widget's own plotext figure, builds it
and renders it to strips (the line API), so the UI thread paints without decoding ANSI
or wrapping text (~7 ms a figure, measured). One build at a time: the figure is touched
by that worker alone, and a draw requested meanwhile waits for it. The log view plots
log10(loss) on a linear axis (plotext's own log scale breaks on redraw), and the EMA
view smooths the decimated points.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from typing import cast

import numpy as np
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.strip import Strip
from textual_plotext import PlotextPlot

from tui.runs.series import LossSeries, ema, log10_safe, whole_ticks
from tui.ui.common import plotext_adapter

log = logging.getLogger(__name__)

#: Colours of older runs (oldest last); the current run is always the first colour.
#: plotext's names: each is one ANSI colour (``RICH_COLOUR`` names it for the legend).
RUN_COLOURS = ("cyan", "magenta", "green", "blue", "red", "gray")
#: The current run's validation loss: yellow, which no run uses. plotext calls ANSI yellow
#: "orange"; its "yellow" is no colour at all (the default foreground).
VAL_COLOUR = "orange"
#: plotext's colour names that rich spells otherwise (the same ANSI colour).
RICH_COLOUR = {"orange": "yellow", "gray": "bright_black"}


@dataclass
class Figure:
    """Everything one build needs, as plain Python values (no widget, no numpy)."""

    curves: list[tuple[list[float], list[float], str | None, str]]
    width: int
    height: int
    theme: str
    ylabel: str
    #: The x-axis: the current run's steps (older runs are cut to it); None: the data's.
    x_range: tuple[int, int] | None = None


class LossPlot(PlotextPlot):
    """Loss against step for the current run and up to five earlier ones (with a legend)."""

    DEFAULT_CSS = """
    LossPlot { width: 1fr; height: 1fr; min-height: 5; }
    LossPlot:focus { background-tint: $foreground 4%; }
    """
    can_focus = True

    @dataclass
    class Built(Message):
        strips: list[Strip]
        figure: Figure
        cost: float

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.log_scale = False
        self.smooth = False
        self.points_drawn = 0  # points in the last draw (for tests and the benchmark)
        #: CPU seconds of the last draw (UI thread) + build (worker): the dashboard paces
        #: redraws by it, since every build takes that much GIL from a training thread.
        self.cost = 0.0
        self._draw_cost = 0.0
        self._shown: LossPlot.Built | None = None  # the figure on screen
        self._runs: list[LossSeries] = []
        self._val: tuple[list, list] = ([], [])
        self._labels: list[str] = []
        self._x_end: int | None = None
        #: Show the next figure as soon as it is built, held or not (``r``'s reset).
        self._urgent = False
        #: (label, rich colour) of each curve drawn, newest run first, then the validation.
        self.legend: list[tuple[str, str]] = []
        self._building = False
        self._waiting = False
        #: Set by the dashboard: a finished figure waits for ``present()`` (its next tick),
        #: so the curve and the metrics change in one frame instead of two.
        self.hold = False
        self._built: LossPlot.Built | None = None
        self._strip_console: Console | None = None  # the worker's own: the app's is the UI's

    # -- UI thread -----------------------------------------------------------------------
    def draw(
        self,
        runs: list[LossSeries],
        val: tuple[list, list] | None = None,
        labels: list[str] | None = None,
        x_end: int | None = -1,
        urgent: bool = False,
    ) -> None:
        """Show ``runs`` (the newest first) and the current run's validation points
        ``(steps, losses)``: decimate now, build in a worker. ``labels`` name the runs in
        the legend (``legend``), which is drawn outside the plot, never over the curve.
        ``x_end``: the current run's last step (planned or made; -1 keeps the last one):
        the axis ends there and older runs are cut to it, so a short run drawn after a
        long one is not a sliver at the left.
        ``urgent``: shown once built, without waiting for the dashboard's next tick."""
        self._runs = list(runs)
        if val is not None:
            self._val = val
        if labels is not None:
            self._labels = labels
        if x_end != -1:
            self._x_end = x_end
        self._urgent = self._urgent or urgent
        if self._building:  # the worker owns the figure: draw again once it is done
            self._waiting = True
            return
        figure = self.figure(self._runs)
        self._building = True
        self.run_worker(
            lambda: self._build(figure), thread=True, group="loss-plot", exit_on_error=False
        )

    def figure(self, runs: list[LossSeries]) -> Figure:
        t0 = time.thread_time()
        width, height = self.size.width or 100, self.size.height or 16
        max_points = max(16, 2 * width)
        curves: list[tuple[list[float], list[float], str | None, str]] = []
        legend: list[tuple[str, str]] = []
        drawn = 0
        names = {
            id(r): (self._labels[n] if n < len(self._labels) else r.label)
            for n, r in enumerate(runs)
        }
        older = [r for r in runs[1:] if len(r)][::-1]
        x_range = None
        if runs and len(runs[0]) and self._x_end is not None:
            first = runs[0].first_step
            x_range = (first, max(self._x_end, runs[0].last_step, first + 1))
        for i, series in enumerate([*older, *runs[:1]]):
            if not len(series):
                continue
            if series is runs[0] or x_range is None:
                xs, ys = series.decimated(max_points)
            else:
                xs, ys = series.decimated(max_points, last_step=x_range[1])
                if not len(xs):
                    continue
            if self.smooth:
                ys = ema(ys, span_points=max(3.0, len(ys) / 20))
            if self.log_scale:
                ys = log10_safe(ys)
            colour = (
                RUN_COLOURS[0] if series is runs[0] else RUN_COLOURS[1 + (len(older) - 1 - i) % 5]
            )
            curves.append((xs.tolist(), ys.tolist(), None, colour))
            legend.insert(0, (names.get(id(series)) or series.label, _rich(colour)))
            drawn += len(xs)
        steps, losses = self._val
        if runs and len(runs[0]) and len(steps) > 1:
            vx, vy = _thin(list(steps), list(losses), max_points)
            if self.log_scale:
                vy = log10_safe(np.asarray(vy, dtype=np.float32)).tolist()
            curves.append((vx, vy, None, VAL_COLOUR))
            legend.append(("validation", _rich(VAL_COLOUR)))
            drawn += len(vx)
        self.legend = legend
        self.points_drawn = drawn
        self._draw_cost = time.thread_time() - t0
        return Figure(
            curves,
            width,
            height,
            plotext_adapter.theme_name(self, self.app.theme),
            "log10(loss)" if self.log_scale else "loss",
            x_range,
        )

    def on_loss_plot_built(self, message: Built) -> None:
        message.stop()
        self._building = False
        self.cost = self._draw_cost + message.cost
        self._built = message
        if not self.hold or self._shown is None or (self._urgent and not self._waiting):
            self._urgent = False
            self.present()
        if self._waiting:
            self._waiting = False
            self.draw(self._runs)

    def present(self) -> None:
        """Show the last finished figure, if there is one not shown yet."""
        if self._built is not None:
            self._shown, self._built = self._built, None
            self.refresh()

    @property
    def idle(self) -> bool:
        """A figure is on screen and no build is running (benchmarks wait for this)."""
        return self._shown is not None and not self._building

    def on_resize(self) -> None:
        self.draw(self._runs)  # the first layout, or a figure built for the old size

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        shown = self._shown
        # Every segment carries a Style, never None: Textual's line filters (NO_COLOR's
        # monochrome, the ANSI-colour one) read each segment's colours.
        if shown is None or y >= len(shown.strips):
            return Strip.blank(width, self.rich_style)  # nothing built yet
        if y == 0 and shown.figure.theme != plotext_adapter.theme_name(self, self.app.theme):
            self.call_later(self.draw, self._runs)  # the app's theme changed
        return shown.strips[y].crop_extend(0, width, self.rich_style)

    # -- the worker thread ------------------------------------------------------------
    def _build(self, figure: Figure) -> None:
        try:
            t0 = time.thread_time()
            strips = self.build(figure)
            self.post_message(self.Built(strips, figure, time.thread_time() - t0))
        except Exception as exc:  # a plot must never take the app down
            log.warning("the loss plot failed: %r", exc)
            strips = self.strips(Text(f"plot failed: {exc}"), figure.width)
            self.post_message(self.Built(strips, figure, 0.0))

    def build(self, figure: Figure) -> list[Strip]:
        """plotext's work: only the thread that owns the figure right now calls this."""
        plt = self.plt
        plt.clear_data()
        for xs, ys, label, colour in figure.curves:
            plt.plot(xs, ys, label=label, color=colour, marker="braille")
        xs_all = [x for xs, _, _, _ in figure.curves for x in xs]
        lo_hi = figure.x_range or ((min(xs_all), max(xs_all)) if xs_all else None)
        plt.xlim(*(figure.x_range or (None, None)))  # None: plotext fits the data
        if lo_hi:
            ticks = whole_ticks(lo_hi[0], lo_hi[1], max(2, min(6, figure.width // 12)))
            plt.xticks(cast("list[float]", ticks), [str(t) for t in ticks])
        plt.xlabel("step")
        plt.ylabel(figure.ylabel)
        plt.plotsize(figure.width, figure.height)
        plotext_adapter.set_size(plt, figure.width, figure.height)
        plt.theme(figure.theme)
        try:
            return plotext_adapter.matrix_strips(plt)
        except (AttributeError, IndexError, TypeError):  # plotext's insides moved
            return self.strips(Text.from_ansi(plt.build()), figure.width)

    def strips(self, text: Text, width: int) -> list[Strip]:
        """``text`` as lines of segments ``width`` cells wide, for ``render_line``."""
        if self._strip_console is None:
            self._strip_console = Console(
                file=io.StringIO(), color_system="truecolor", force_terminal=True, width=width
            )
        console = self._strip_console
        lines = console.render_lines(text, console.options.update_width(width), pad=True)
        plain = Style()
        return [Strip([Segment(t, s or plain, c) for t, s, c in line], width) for line in lines]


def _rich(colour: str) -> str:
    """The rich name of one of plotext's colours (the legend's swatch is the curve's)."""
    return RICH_COLOUR.get(colour, colour)


def _thin(xs: list, ys: list, n: int) -> tuple[list, list]:
    """At most ``n`` of the points, evenly picked (validation points come ~10 a second)."""
    if len(xs) <= n:
        return xs, ys
    pick = np.linspace(0, len(xs) - 1, n).astype(int)
    return [xs[i] for i in pick], [ys[i] for i in pick]
