"""The dashboard's drawing: the timer that redraws from decimated data, and the view keys
(``v`` curve / decision boundary, ``f`` the filters of a Conv2d model, which the kernel
sends only while they are shown: ``send_view``).

A mixin of ``DashboardPane`` (which owns the widgets and the run book). Reports only mark
the pane dirty; the timer (``METRICS_HZ``) redraws the metrics and, within ``PLOT_DUTY``
of a core, the curve, so drawing never competes with the reports for the event loop.
"""

from __future__ import annotations

import time
from typing import Any

from textual.widgets import ContentSwitcher

from tui.protocol import messages as p
from tui.ui.common.deferred import after_build

#: Share of one core the loss plot may use: a figure costs ~7 ms at 100x16 (in a worker,
#: but still under the GIL): 1% means a new curve about every 0.7 s.
PLOT_DUTY = 0.01
#: Metrics refresh rate (Hz): each frame re-renders the metrics, the bar and the curve.
METRICS_HZ = 2
#: --low-bandwidth: metrics once a second and a new curve at most every 3 s.
LOW_BANDWIDTH_HZ = 1
LOW_BANDWIDTH_PLOT_EVERY = 3.0


class Drawing:
    """``_tick``, ``redraw*`` and the log / smooth / boundary / filters view toggles."""

    plot: Any
    metrics: Any
    boundary_view: Any
    filters_view: Any
    runs: Any
    current: Any
    _dirty: bool
    _plot_dirty: bool
    _boundary_dirty: bool
    _filters_dirty: bool
    #: The last TrainView told to the kernel: (shown, cols, rows); None: tell it again.
    _view_told: tuple[bool, int, int] | None
    _next_plot: float
    _plot_every: float

    def start_drawing(self) -> None:
        """The redraw timer; slower with --low-bandwidth."""
        self.plot.hold = True
        low = self.session.low_bandwidth  # type: ignore[attr-defined]
        self._interval = 1 / (LOW_BANDWIDTH_HZ if low else METRICS_HZ)
        self._plot_every = LOW_BANDWIDTH_PLOT_EVERY if low else self._interval
        self._timer = self.set_interval(self._interval, self._tick)  # type: ignore[attr-defined]

    @after_build
    def action_toggle_log(self) -> None:
        plot = self.plot
        plot.log_scale = not plot.log_scale
        self._say("Log view: plotting log10(loss)." if plot.log_scale else "Linear view.")
        self._dirty = True

    @after_build
    def action_toggle_smooth(self) -> None:
        plot = self.plot
        plot.smooth = not plot.smooth
        self._say("Smoothing on (EMA)." if plot.smooth else "Smoothing off.")
        self._dirty = True

    @after_build
    def action_toggle_view(self) -> None:
        """v: the loss curve or the decision boundary (from the filters: the boundary)."""
        switcher = self.query_one(ContentSwitcher)
        if switcher.current != "dash-boundary":
            self._switch_view("dash-boundary")
            run = self.current
            if run is None or not run.two_d:
                self._say("The boundary view needs a 2-D classification set (e.g. circles).")
        else:
            self._switch_view("dash-plot")

    @after_build
    def action_toggle_filters(self) -> None:
        """f: the filters of the model's first Conv2d, live, or back to the curve."""
        switcher = self.query_one(ContentSwitcher)
        if switcher.current != "dash-filters":
            self._switch_view("dash-filters")
            run = self.current
            if run is None or not run.conv:
                self._say("The filters show for a model with a Conv2d: t trains the REPL's.")
        else:
            self._switch_view("dash-plot")

    def _switch_view(self, view: str) -> None:
        switcher = self.query_one(ContentSwitcher)
        switcher.current = view
        focused = self.screen.focused
        if focused is None or focused.parent is switcher:
            self.call_after_refresh(self.focus_default)
        self.send_view()
        if view == "dash-filters":  # its room once it is laid out (also its Room message)
            self.call_after_refresh(self.send_view)
        self._dirty = True
        self._boundary_dirty = self._filters_dirty = True

    @property
    def filters_shown(self) -> bool:
        return self.query_one(ContentSwitcher).current == "dash-filters"

    def send_view(self) -> None:
        """Tell the kernel whether the filters are shown, and their room, when it changed."""
        shown = self.built and self.filters_shown  # type: ignore[attr-defined]
        cols, rows = self.filters_view.room if shown else (0, 0)
        if shown and not self.filters_view.size.width:
            return  # not laid out yet: its Room message follows
        told = (shown, cols, rows)
        if told == self._view_told:
            return
        self._view_told = told
        self._tell(p.TrainView(filters=shown, cols=cols, rows=rows))  # type: ignore[attr-defined]

    # -- drawing (timer, only when something changed) ------------------------------------
    def _tick(self) -> None:
        if not self.region.area:  # hidden (another pane shown in the narrow layout)
            return  # keep the dirty flags: it catches up as soon as it is shown
        self.plot.present()  # the curve built since the last tick: one frame with the metrics
        if self._dirty:
            self._dirty = False
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

        run = self.current
        text = metrics_text(run, self.metrics.size.width or 80)
        if run is not None and run.last is not None:
            self.metrics.show(text, run.last.total_steps, run.last.step)
        else:
            self.metrics.show(text)
        self.redraw_insight()  # type: ignore[attr-defined]

    def redraw_view(self, urgent: bool = False) -> None:
        """The visible view: the loss curve from the decimated series, or the boundary.
        ``urgent``: the new curve shows once built, not at the next tick."""
        switcher = self.query_one(ContentSwitcher)
        if switcher.current == "dash-plot":
            from tui.runs.labels import fitted_labels

            run = self.current
            val = (run.val_steps, run.val_losses) if run is not None else ([], [])
            shown = [r for r in self.runs if len(r.series)]
            # the legend's two lines, less the validation's entry
            room = 2 * (self.plot.size.width or 80) - len("━━ validation  ")
            labels = fitted_labels([(r.id, r.config, r.series.label) for r in shown], room)
            named = {id(r.series): label for r, label in zip(shown, labels, strict=True)}
            series = [r.series for r in self.runs]
            labels = [named.get(id(s), s.label) for s in series]
            self.plot.draw(series, val, labels, x_end=x_end(run), urgent=urgent)
            self.show_legend(self.plot.legend)
        elif switcher.current == "dash-filters":
            if self._filters_dirty:
                self._filters_dirty = False
                self.filters_view.refresh()
        elif self._boundary_dirty:
            self._boundary_dirty = False
            self.boundary_view.refresh()


def x_end(run: Any) -> int | None:
    """Where the curve's x-axis ends: the current run's planned last step while it runs,
    the last step it made once it ended; None before its first report."""
    if run is None or run.last is None:
        return None
    made = run.series.last_step
    return max(made, int(run.last.total_steps or 0)) if run.live else made
