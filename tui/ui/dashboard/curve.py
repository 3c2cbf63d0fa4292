"""The dashboard's curve: the run's figures and progress bar, the view under them (the
loss curve, the decision boundary or a CNN's filters) and the curves' legend, redrawn by
a timer from the run book.

Reports only mark the curve dirty (``dirty``); its timer (``METRICS_HZ``) redraws the
metrics and, within ``PLOT_DUTY`` of a core, the view, so drawing never competes with
the reports for the event loop: no report relayouts anything. After each redraw of the
metrics it posts ``Redrawn`` (what explains them, the pane's ``Insight``, follows). The
kernel sends the filters only while they are shown: the curve posts ``ViewChanged`` when
that, or their room, changes, and the pane tells the kernel.

Imported once the dashboard builds its body (after the first frame): numpy and plotext
come in with the views.
"""

from __future__ import annotations

import time
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Static

from tui.protocol import messages as p
from tui.runs.runbook import Run, RunBook
from tui.tensors.pictures import Picture
from tui.training.report import Boundary
from tui.ui.dashboard.boundary_view import BoundaryView
from tui.ui.dashboard.filters_view import FiltersView
from tui.ui.dashboard.loss_plot import LossPlot
from tui.ui.dashboard.metrics import TrainMetrics

#: Share of one core the loss plot may use: a figure costs ~7 ms at 100x16 (in a worker,
#: but still under the GIL): 1% means a new curve about every 0.7 s.
PLOT_DUTY = 0.01
#: Metrics refresh rate (Hz): each frame re-renders the metrics, the bar and the curve.
METRICS_HZ = 2
#: --low-bandwidth: metrics once a second and a new curve at most every 3 s.
LOW_BANDWIDTH_HZ = 1
LOW_BANDWIDTH_PLOT_EVERY = 3.0
#: The views, by id: the loss curve, the decision boundary, the filters.
PLOT, BOUNDARY, FILTERS = "dash-plot", "dash-boundary", "dash-filters"
#: What a fresh kernel shows: no filters.
KERNEL_DEFAULT_VIEW = (False, 0, 0)


class Curve(Vertical):
    """``#dash-metrics``, the view switcher ``#dash-view`` and ``#dash-legend``."""

    DEFAULT_CSS = """
    Curve { height: 1fr; }
    Curve #dash-view { height: 1fr; }
    Curve #dash-legend { height: auto; max-height: 2; }
    """

    class Redrawn(Message):
        """The metrics were redrawn (at most ``METRICS_HZ`` times a second)."""

    class ViewChanged(Message):
        """What the kernel should send for the view: the filters while they are shown,
        sized to their room (``view``: the ``TrainView`` to tell it)."""

        def __init__(self, view: p.TrainView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, book: RunBook, hint: str, low_bandwidth: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.book = book
        self._low_bandwidth = low_bandwidth
        #: Something changed since the last tick: the metrics (then the view) redraw.
        self.dirty = False
        self._plot_dirty = False
        self._next_plot = 0.0
        self._boundary_dirty = False
        self._filters_dirty = False
        #: The last view told to the kernel: (filters shown, cols, rows).
        self._view_told = KERNEL_DEFAULT_VIEW
        self._plot_every = 0.0
        self.timer: Timer | None = None
        self._legend_shown: tuple[list[tuple[str, str]], int] | None = None
        self.metrics = TrainMetrics(hint, id="dash-metrics")  # figures and progress bar
        self.switcher = ContentSwitcher(initial=PLOT, id="dash-view")
        self.plot = LossPlot(id=PLOT)
        self.boundary_view = BoundaryView(id=BOUNDARY)
        self.filters_view = FiltersView(id=FILTERS)
        self.legend = Static("", id="dash-legend").set_styles("display: none;")

    def compose(self) -> ComposeResult:
        yield self.metrics
        with self.switcher:
            yield self.plot
            yield self.boundary_view
            yield self.filters_view
        yield self.legend

    def on_mount(self) -> None:
        """The redraw timer; slower with --low-bandwidth."""
        self.plot.hold = True
        interval = 1 / (LOW_BANDWIDTH_HZ if self._low_bandwidth else METRICS_HZ)
        self._plot_every = LOW_BANDWIDTH_PLOT_EVERY if self._low_bandwidth else interval
        self.timer = self.set_interval(interval, self._tick)

    @property
    def view(self) -> Widget:
        """The view shown (the keyboard's place in the dashboard)."""
        return self.switcher.visible_content or self.plot

    def focus_view(self) -> None:
        self.view.focus()

    # -- what the pane tells it ------------------------------------------------------------
    def begin(self, total_steps: int) -> None:
        """A run began: its progress from 0; the last run's filters are not this one's."""
        self.filters_view.show(None)
        self._filters_dirty = True
        self.metrics.show(total=total_steps, progress=0)
        self.dirty = True

    def starting(self) -> None:
        """A run was asked for: the bar empties."""
        self.metrics.show(total=1, progress=0)
        self.dirty = True

    def show_boundary(self, boundary: Boundary) -> None:
        self.boundary_view.boundary = boundary
        self._boundary_dirty = True

    def show_filters(self, picture: Picture) -> None:
        self.filters_view.picture = picture
        self._filters_dirty = True

    def reset(self, text: str) -> None:
        """The runs were forgotten: no figures, views or curves, at once."""
        self.metrics.show(total=1, progress=0)
        self.boundary_view.show(None)
        self.filters_view.show(None)
        self.metrics.show(text)
        self.redraw_view(urgent=True)  # the old curves go now, not at the next tick
        self.dirty = True

    # -- the view keys ---------------------------------------------------------------------
    def toggle_log(self) -> bool:
        """Plot log10(loss), or the loss; whether the log view is on now."""
        self.plot.log_scale = not self.plot.log_scale
        self.dirty = True
        return self.plot.log_scale

    def toggle_smooth(self) -> bool:
        """Smooth the curve (EMA), or not; whether smoothing is on now."""
        self.plot.smooth = not self.plot.smooth
        self.dirty = True
        return self.plot.smooth

    def toggle(self, view: str) -> bool:
        """Show ``view`` (``BOUNDARY`` or ``FILTERS``), or the loss curve where it is
        shown already; whether ``view`` shows now."""
        shown = self.switcher.current != view
        self._switch(view if shown else PLOT)
        return shown

    def _switch(self, view: str) -> None:
        switcher = self.switcher
        switcher.current = view
        focused = self.screen.focused
        if focused is None or focused.parent is switcher:
            self.call_after_refresh(self.focus_view)
        self.send_view()
        if view == FILTERS:  # its room once it is laid out (also its Room message)
            self.call_after_refresh(self.send_view)
        self.dirty = True
        self._boundary_dirty = self._filters_dirty = True

    @property
    def filters_shown(self) -> bool:
        return self.switcher.current == FILTERS

    def on_filters_view_room(self, message: FiltersView.Room) -> None:
        message.stop()
        self.send_view()

    def send_view(self) -> None:
        """Post ``ViewChanged`` when whether the filters show, or their room, changed."""
        shown = self.filters_shown
        cols, rows = self.filters_view.room if shown else (0, 0)
        if shown and not self.filters_view.size.width:
            return  # not laid out yet: its Room message follows
        told = (shown, cols, rows)
        if told == self._view_told:
            return
        self._view_told = told
        self.post_message(self.ViewChanged(p.TrainView(filters=shown, cols=cols, rows=rows)))

    def kernel_started(self) -> None:
        """A new kernel shows no filters: tell it what this view needs."""
        self._view_told = KERNEL_DEFAULT_VIEW
        self.send_view()

    # -- drawing (timer, only when something changed) ------------------------------------
    def _tick(self) -> None:
        if not self.region.area:  # hidden (another pane shown in the narrow layout)
            return  # keep the dirty flags: it catches up as soon as it is shown
        self.plot.present()  # the curve built since the last tick: one frame with the metrics
        if self.dirty:
            self.dirty = False
            self._plot_dirty = True
            self.redraw_metrics()
        now = time.monotonic()
        if self._plot_dirty and now >= self._next_plot:
            self._plot_dirty = False
            self.redraw_view()
            cost = self.plot.cost
            self._next_plot = now + max(self._plot_every, cost / PLOT_DUTY) - 0.01

    def redraw(self) -> None:
        """Everything, now (tests and the benchmark call this)."""
        self.redraw_metrics()
        self.redraw_view()

    def redraw_metrics(self) -> None:
        """Metrics and progress, from the last report."""
        from tui.runs.runbook import metrics_text

        run, metrics = self.book.current, self.metrics
        text = metrics_text(run, metrics.size.width or 80)
        if run is not None and run.last is not None:
            metrics.show(text, run.last.total_steps, run.last.step)
        else:
            metrics.show(text)
        self.post_message(self.Redrawn())

    def redraw_view(self, urgent: bool = False) -> None:
        """The visible view: the loss curve from the decimated series, or the boundary.
        ``urgent``: the new curve shows once built, not at the next tick."""
        current = self.switcher.current
        if current == PLOT:
            from tui.runs.labels import fitted_labels

            runs, run = self.book.runs, self.book.current
            plot = self.plot
            val = (run.val_steps, run.val_losses) if run is not None else ([], [])
            shown = [r for r in runs if len(r.series)]
            # the legend's two lines, less the validation's entry
            room = 2 * (plot.size.width or 80) - len("━━ validation  ")
            labels = fitted_labels([(r.id, r.config, r.series.label) for r in shown], room)
            named = {id(r.series): label for r, label in zip(shown, labels, strict=True)}
            series = [r.series for r in runs]
            labels = [named.get(id(s), s.label) for s in series]
            plot.draw(series, val, labels, x_end=x_end(run), urgent=urgent)
            self.show_legend(plot.legend)
        elif current == FILTERS:
            if self._filters_dirty:
                self._filters_dirty = False
                self.filters_view.refresh()
        elif self._boundary_dirty:
            self._boundary_dirty = False
            self.boundary_view.refresh()

    def show_legend(self, items: list[tuple[str, str]]) -> None:
        """The curves' legend under the plot (plotext's own sits on it): ``(label, rich
        colour)`` entries, each whole on one line (a line break never splits a label)."""
        legend = self.legend
        width = legend.size.width or self.plot.size.width or 80
        if self._legend_shown == (items, width):  # only a change repaints it
            return
        self._legend_shown = (list(items), width)
        text, used = Text(), 0
        for label, colour in items:
            need = 3 + cell_len(label)
            if used and used + 2 + need > width:
                text.append("\n")
                used = 0
            elif used:
                text.append("  ")
                used += 2
            text.append("━━ ", style=colour)
            text.append(label)
            used += need
        legend.update(text)
        legend.display = bool(items)


def x_end(run: Run | None) -> int | None:
    """Where the curve's x-axis ends: the current run's planned last step while it runs,
    the last step it made once it ended; None before its first report."""
    if run is None or run.last is None:
        return None
    made = run.series.last_step
    return max(made, int(run.last.total_steps or 0)) if run.live else made
