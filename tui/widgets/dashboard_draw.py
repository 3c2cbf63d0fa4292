"""The dashboard's drawing: the timer that redraws from decimated data, and the view keys.

A mixin of ``DashboardPane`` (which owns the widgets and the run book). Reports only mark
the pane dirty; the timer (``METRICS_HZ``) redraws the metrics and, within ``PLOT_DUTY``
of a core, the curve, so drawing never competes with the reports for the event loop.
"""

from __future__ import annotations

import time
from typing import Any

from textual.widgets import ContentSwitcher

from tui.widgets.deferred import after_build

#: Share of one core the loss plot may use: a figure costs ~7 ms at 100x16 (in a worker,
#: but still under the GIL): 1% means a new curve about every 0.7 s.
PLOT_DUTY = 0.01
#: Metrics refresh rate (Hz): each frame re-renders the metrics, the bar and the curve.
METRICS_HZ = 2
#: --low-bandwidth: metrics once a second and a new curve at most every 3 s.
LOW_BANDWIDTH_HZ = 1
LOW_BANDWIDTH_PLOT_EVERY = 3.0


class Drawing:
    """``_tick``, ``redraw*`` and the log / smooth / boundary view toggles."""

    plot: Any
    metrics: Any
    boundary_view: Any
    runs: Any
    current: Any
    _dirty: bool
    _plot_dirty: bool
    _boundary_dirty: bool
    _next_plot: float
    _plot_every: float

    def start_drawing(self) -> None:
        """The redraw timer; slower with --low-bandwidth."""
        self.plot.hold = True
        low = getattr(self.app, "low_bandwidth", False)  # type: ignore[attr-defined]
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
        switcher = self.query_one(ContentSwitcher)
        if switcher.current == "dash-plot":
            switcher.current = "dash-boundary"
            run = self.current
            if run is None or not run.two_d:
                self._say("The boundary view needs a 2-D classification set (e.g. circles).")
        else:
            switcher.current = "dash-plot"
        focused = self.screen.focused
        if focused is None or focused.parent is switcher:
            self.call_after_refresh(self.focus_default)
        self._dirty = True

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
        from tui.core.runbook import metrics_text

        run = self.current
        text = metrics_text(run, self.metrics.size.width or 80)
        if run is not None and run.last is not None:
            self.metrics.show(text, run.last.total_steps, run.last.step)
        else:
            self.metrics.show(text)
        self.redraw_insight()  # type: ignore[attr-defined]

    def redraw_view(self) -> None:
        """The visible view: the loss curve from the decimated series, or the boundary."""
        switcher = self.query_one(ContentSwitcher)
        if switcher.current == "dash-plot":
            from tui.core.run_labels import legend_labels

            run = self.current
            val = (run.val_steps, run.val_losses) if run is not None else ([], [])
            shown = [r for r in self.runs if len(r.series)]
            labels = legend_labels([(r.id, r.config, r.series.label) for r in shown])
            named = {id(r.series): label for r, label in zip(shown, labels, strict=True)}
            series = [r.series for r in self.runs]
            self.plot.draw(series, val, [named.get(id(s), s.label) for s in series])
            self.show_legend(self.plot.legend)
        elif self._boundary_dirty:
            self._boundary_dirty = False
            self.boundary_view.refresh()
