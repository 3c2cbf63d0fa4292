"""The training dashboard: settings, live metrics, the loss curve and the decision boundary.

Training runs in the kernel (``tui.agent.train_runs``), never in this process (which never
imports torch): F5 / ``s`` send ``TrainStart`` for the target row's choice (the settings,
or the REPL's model: ``dashboard_target``, ``p`` switches), ``t`` one that trains
the REPL's own model in place, space and x send ``TrainControl``. The agent's
``TrainBegun`` / ``TrainReport`` (about every 100 ms) / ``TrainEnded`` arrive through
``kernel_event`` and go into the run book (``tui.runs.runbook``); the UI's timer (2 Hz,
1 in low-bandwidth mode) redraws from the decimated series only when something changed.
If the kernel dies or restarts mid-run, the curve stays and the run says why it ended.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import ContentSwitcher, Static

from tui.protocol import messages as p
from tui.training.config import ConfigError
from tui.ui.common import kernel_messages as km
from tui.ui.common.deferred import Deferred, after_build
from tui.ui.common.pane import Pane
from tui.ui.common.plain import notify_plain, plain
from tui.ui.common.session import Session
from tui.ui.dashboard.dashboard_keys import BINDINGS, COMMANDS, HELP
from tui.ui.dashboard.drawing import Drawing
from tui.ui.dashboard.insight_panel import Insight, LayerPanel
from tui.ui.dashboard.metrics import TrainMetrics
from tui.ui.dashboard.settings_form import SettingsForm
from tui.ui.dashboard.target_row import Targeting

if TYPE_CHECKING:  # pragma: no cover
    from tui.runs.runbook import Run, RunBook
    from tui.ui.dashboard.boundary_view import BoundaryView
    from tui.ui.dashboard.filters_view import FiltersView
    from tui.ui.dashboard.loss_plot import LossPlot

IDLE_HINT = "F5 or s starts it · p switches · t trains the REPL's model"
STILL_STARTING = "The kernel is still starting: the run starts once it is ready (F5 cancels)."


class DashboardPane(Targeting, Insight, Drawing, Deferred, Pane):
    class ReplTrained(Message):
        """A run that trained the REPL's own model ended: its objects changed."""

    AREA = "train"
    PANE_TITLE = "Dashboard"
    FKEY = "F4"
    HELP = HELP
    COMMANDS: ClassVar[list[tuple[str, str, str]]] = COMMANDS
    BINDINGS = BINDINGS
    DEFAULT_CSS = """
    DashboardPane #dash-body { height: 1fr; }
    DashboardPane.-no-config #dash-config { display: none; }
    DashboardPane #dash-main { width: 1fr; height: 1fr; }
    DashboardPane #dash-view { height: 1fr; }
    DashboardPane #dash-message { height: 2; color: $warning; }
    DashboardPane #dash-target { height: auto; max-height: 2; color: $accent; }
    DashboardPane #dash-target.-error { color: $error; text-style: bold; }
    DashboardPane #dash-lr { height: auto; color: $text-muted; }
    DashboardPane #dash-legend { height: auto; max-height: 2; }
    DashboardPane #dash-coach { height: auto; max-height: 2; color: $accent; }
    DashboardPane.-no-layers #dash-layers { display: none; }
    """

    def __init__(self, session: Session, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session = session
        self.book: RunBook | None = None
        self._dirty = False
        self._plot_dirty = False
        self._next_plot = 0.0
        self._boundary_dirty = False
        self._filters_dirty = False
        self._view_told: tuple[bool, int, int] | None = (False, 0, 0)  # a kernel's default
        #: A start asked for before the kernel was ready: "playground" or "repl".
        self._pending: str | None = None

    # -- layout ---------------------------------------------------------------------------
    PLACEHOLDER = f"{IDLE_HINT}\n\nThe settings appear once the kernel is ready…"
    LATE = True  # of no use before the kernel is up; mounted meanwhile, it delayed torch

    def compose_body(self) -> ComposeResult:
        """After the first frame (see ``Deferred``): numpy and plotext come in with it."""
        from tui.runs.runbook import RunBook
        from tui.ui.dashboard.boundary_view import BoundaryView
        from tui.ui.dashboard.filters_view import FiltersView
        from tui.ui.dashboard.loss_plot import LossPlot

        self.book = RunBook()
        with Horizontal(id="dash-body"):
            yield SettingsForm(id="dash-config")
            with Vertical(id="dash-main"):
                # what F5 trains (dashboard_target): names the learner's class, literal
                yield Static("", id="dash-target", markup=False)
                yield TrainMetrics(IDLE_HINT, id="dash-metrics")  # figures and progress bar
                with ContentSwitcher(initial="dash-plot", id="dash-view"):
                    yield LossPlot(id="dash-plot")
                    yield BoundaryView(id="dash-boundary")
                    yield FiltersView(id="dash-filters")
                yield Static("", id="dash-legend").set_styles("display: none;")
                yield Static("", id="dash-lr", markup=False).set_styles("display: none;")
                yield Static("", id="dash-coach").set_styles("display: none;")
                yield LayerPanel(id="dash-layers")
                yield Static("", id="dash-message", markup=False)

    def on_resize(self) -> None:
        if self.built:
            self.fit_layers()

    def on_built(self) -> None:
        self.start_drawing()
        self.fit_layers()
        self.show_target()
        info = self.session.torch_info
        if info is not None:
            self._show_devices(info.devices, info.device)
        self._start_pending()

    def on_unmount(self) -> None:
        """Quitting during training: tell the kernel to stop now (the agent also stops the
        runs of an app whose comm closed)."""
        for run in self.book.runs if self.book else ():
            if run.live:
                self._tell(p.TrainControl(run_id=run.id, action="stop"))

    @property
    def plot(self) -> LossPlot:
        return self.query_one("#dash-plot")  # type: ignore[return-value]

    @property
    def metrics(self) -> TrainMetrics:
        return self.query_one("#dash-metrics", TrainMetrics)

    @property
    def boundary_view(self) -> BoundaryView:
        return self.query_one("#dash-boundary")  # type: ignore[return-value]

    @property
    def filters_view(self) -> FiltersView:
        return self.query_one("#dash-filters")  # type: ignore[return-value]

    def on_filters_view_room(self, message: Any) -> None:
        message.stop()
        self.send_view()

    @property
    def form(self) -> SettingsForm:
        return self.query_one(SettingsForm)

    @after_build
    def focus_default(self) -> None:
        super().focus_default()

    def default_focus_target(self):
        """The curve, not a setting: letter keys (s, t, x, ...) reach the pane from there;
        a focused Select or Input would take them as typing. Tab reaches the settings."""
        return self.query_one(ContentSwitcher).visible_content or self.plot

    def _show_devices(self, devices: Any, wanted: str) -> None:
        """List the devices the kernel's torch sees (cpu, cuda:N with names, mps)."""
        self.form.set_devices([(d.label, d.name) for d in devices or ()], wanted)

    @after_build
    def action_toggle_config(self) -> None:
        self.toggle_class("-no-config")

    # -- state ---------------------------------------------------------------------------
    @property
    def runs(self) -> list[Run]:
        return self.book.runs if self.book else []

    @property
    def current(self) -> Run | None:
        return self.book.current if self.book else None

    @property
    def training(self) -> bool:
        return self.book is not None and self.book.training

    @property
    def _kernel_ready(self) -> bool:
        return self.session.kernel.ready

    def _say(self, text: str, severity: str = "information") -> None:
        if not self.built:
            notify_plain(self, text, severity=severity, timeout=8)
            return
        # Fixed height (2 lines, for a narrow pane), no relayout: a message that resized
        # the curve cost a rebuild of the plot and a repaint of the pane at every start.
        # Literal: the kernel's errors and the learner's names are in it.
        self.query_one("#dash-message", Static).update(plain(text), layout=False)
        if severity != "information":
            notify_plain(self, text, severity=severity, timeout=8)

    def _tell(self, message: Any) -> None:
        self.session.kernel.tell(message)

    # -- the kernel's events ----------------------------------------------------------------
    def on_train_news(self, message: km.TrainNews) -> None:
        self._train_message(message.news)

    def on_cell_payload_arrived(self, message: km.CellPayloadArrived) -> None:
        self.repl_variables(message.payload.variables)

    def on_kernel_ready(self, message: km.KernelReady) -> None:
        if self.built:
            self._show_devices(message.welcome.devices, message.welcome.device)
            self._view_told = (False, 0, 0)  # a new kernel's view: nothing shown
            self.send_view()
            self._start_pending()

    def on_kernel_died(self, message: km.KernelDied) -> None:
        self._kernel_lost(f"kernel died: {message.reason}")

    def on_kernel_starting(self, message: km.KernelStarting) -> None:
        if message.restart:
            self._kernel_lost("kernel restarted")

    def on_kernel_failed(self, message: km.KernelFailed) -> None:
        if self._pending:
            self._pending = None
            self._say(f"No run: the kernel did not start ({message.text}).", "error")

    def _kernel_lost(self, why: str) -> None:
        self.forget_repl_model()
        said = self.book.lose_live(why) if self.book else None
        if said:
            self._say(said[0].upper() + said[1:], "warning")
            self._dirty = True

    def _train_message(self, message: Any) -> None:
        run = self.book.get(message.run_id) if self.book else None
        if run is None:
            return  # a run this pane forgot (reset) or another app's
        if isinstance(message, p.TrainBegun):
            run.begun(message.label, message.device, message.epochs, message.two_d, message.config)
            run.conv = message.conv
            self.filters_view.show(None)  # the last run's filters are not this one's
            self._filters_dirty = True
            self.metrics.show(total=message.total_steps or 1, progress=0)
            self._say(f"Training {message.label} on {message.device}.")
        elif isinstance(message, p.TrainReport):
            if not run.live:
                return
            boundary = run.apply(message.report)
            if boundary is not None:
                self.boundary_view.boundary = boundary
                self._boundary_dirty = True
            if message.report.filters is not None:
                self.filters_view.picture = message.report.filters
                self._filters_dirty = True
        elif run.live:  # a run already lost with its kernel keeps its verdict
            text = run.ended(message.summary, message.error)
            if run.source == "repl":
                self.post_message(self.ReplTrained())
            if message.error:
                self.book.discard(run)
                self._say(text, "error")
            else:
                self._say(text)
        self._dirty = True

    # -- actions ---------------------------------------------------------------------------
    def action_toggle_training(self) -> None:
        """F5: stop a run that is going (or a start still waiting), else start one."""
        if self._pending:
            self._pending = None
            self._say("Start cancelled.")
        elif self.training:
            self.action_stop()
        else:
            self.action_start()

    def action_start(self) -> None:
        """F5 and s: what the target row names (``p`` switches it)."""
        self._request(self.target)

    def action_train_repl(self) -> None:
        self._request("repl")

    def on_settings_form_submitted(self, message: SettingsForm.Submitted) -> None:
        self.settings_error = None
        self.show_target()
        if self._kernel_ready:
            workers = message.workers if self.target == "playground" else 1
            self._launch(self.target, message.config.to_dict(), workers)
        else:
            self._request(self.target)
        self.focus_default()  # the run started: s, v, l, m ... act again, not type

    def on_settings_form_invalid(self, message: SettingsForm.Invalid) -> None:
        self.settings_bad(message.error)

    def _request(self, source: str, paused: bool = False) -> None:
        if not (self._kernel_ready and self.built):
            self._pending = source  # started by on_built or the kernel's Ready
            if not self._kernel_ready:
                self._say(STILL_STARTING, "warning")
            return
        try:
            config, workers = self.form.read(repl=source == "repl")
        except ConfigError as exc:
            self.settings_bad(str(exc))
            return
        if self.settings_error is not None:
            self.settings_error = None
            self.show_target()
        self._launch(source, config.to_dict(), workers if source == "playground" else 1, paused)

    def _start_pending(self) -> None:
        source, self._pending = self._pending, None
        if source is not None and self._kernel_ready:
            self._request(source)

    def _launch(
        self, source: str, config: dict[str, Any], workers: int, paused: bool = False
    ) -> None:
        if source == "playground" and (problem := self.too_big(config, workers)):
            self.settings_bad(problem)  # before the kernel tries (and dies) to allocate it
            return
        previous = self.current
        if previous is not None and previous.live:  # the agent stops it for the new one
            previous.stopping = True
        if source == "playground" and self.built:
            why = self.form.remember()  # the settings come back at the next start
            if why:
                notify_plain(self, f"Settings not saved: {why}", severity="warning", timeout=6)
        run = self.book.new(source, config, workers)  # type: ignore[union-attr]
        self.metrics.show(total=1, progress=0)
        self._say("Starting: the REPL's model…" if source == "repl" else "Starting…")
        start = p.TrainStart(
            run_id=run.id, source=source, config=config, workers=workers, paused=paused
        )
        if paused:  # Step with no run: it starts paused, after its first batch
            from tui.runs.runbook import RunState

            run.move(RunState.PAUSED)
        self.run_worker(self._send_start(run, start), group="train-start", exit_on_error=False)
        self._dirty = True

    async def _send_start(self, run: Run, message: p.TrainStart) -> None:
        try:
            await self.session.kernel.agent(message)
        except Exception as exc:  # noqa: BLE001 - the kernel went away or refused
            if run.live and run.last is None:
                self._say(run.ended(None, f"could not start: {exc}"), "error")
                self.book.discard(run)  # type: ignore[union-attr]
                self._dirty = True

    @after_build
    def action_pause(self) -> None:
        run = self.current
        if run is None or not run.live or run.stopping:
            return
        from tui.runs.runbook import RunState

        if run.state == RunState.PAUSED:
            run.move(RunState.RUNNING)
            self._tell(p.TrainControl(run_id=run.id, action="resume"))
            self._say("Resumed.")
        else:
            run.move(RunState.PAUSED)
            self._tell(p.TrainControl(run_id=run.id, action="pause"))
            self._say("Paused: space resumes, x stops.")
        self._dirty = True

    @after_build
    def action_stop(self) -> None:
        run = self.current
        if run is None or not run.live:
            return
        run.stopping = True
        self._tell(p.TrainControl(run_id=run.id, action="stop"))
        self._say("Stopping…")
        self._dirty = True

    @after_build
    def action_reset(self) -> None:
        if self.training:
            self._say("Stop the run first (x or F5), then reset.", "warning")
            return
        self.book.reset()  # type: ignore[union-attr]
        self.metrics.show(total=1, progress=0)
        self.boundary_view.show(None)
        self.filters_view.show(None)
        self.metrics.show("Reset. F5 or s starts a run.")
        self._say("")
        self.redraw_view(urgent=True)  # the old curves go now, not at the next tick
        self._dirty = True

    # -- export ---------------------------------------------------------------------------
    @after_build
    def action_export(self) -> None:
        from tui.runs.runbook import RunState

        run = self.book.exportable()  # type: ignore[union-attr]
        if run is None:
            self._say("Nothing to export yet: train a run first.", "warning")
            return
        if run.state in (RunState.STARTING, RunState.RUNNING):
            self._say("Pause (space) or stop (x) the run before exporting it.", "warning")
            return
        self.run_worker(self._export(run), group="export", exit_on_error=False)

    async def _export(self, run: Run) -> None:
        from tui.ui.dashboard.export_action import export

        await export(self, run)
