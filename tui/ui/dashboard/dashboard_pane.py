"""The training dashboard: settings, live metrics, the loss curve and the decision boundary.

Training runs in the kernel (``tui.agent.train_runs``), never in this process (which never
imports torch): F5 / ``s`` send ``TrainStart`` for the target row's choice (the settings,
or the REPL's model; ``p`` switches), ``t`` one that trains the REPL's own model in
place, space and x send ``TrainControl``. The agent's ``TrainBegun`` / ``TrainReport``
(about every 100 ms) / ``TrainEnded`` arrive as ``TrainNews`` messages and go into the
run book (``tui.runs.runbook``); the curve's timer (2 Hz, 1 in low-bandwidth mode)
redraws from the decimated series only when something changed. If the kernel dies or
restarts mid-run, the curve stays and the run says why it ended.

The pane is built from parts that own their state; it holds the run book and the
message row, takes the keys (``dashboard_keys``) and the kernel's events, and routes
between the parts: it calls their methods, they post messages up.

- ``SettingsForm`` (``settings_form``): the settings; posts ``Submitted``, ``Invalid``,
  ``Edited``, ``Left``.
- ``TargetRow`` (``target_row``): what F5 trains and a settings error that stays.
- ``Curve`` (``curve``): metrics, view and legend, and the redraw timer; posts
  ``Redrawn`` and ``ViewChanged``.
- ``Insight`` (``insight_panel``): the lr line, the coach and the layer panel.
- ``RunExport`` (``export_action``): writes a run's files; posts ``Done``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static

from tui.protocol import messages as p
from tui.tensors.cards import VarRow
from tui.training import target as tt
from tui.training.config import ConfigError
from tui.ui.common import kernel_messages as km
from tui.ui.common.deferred import after_build
from tui.ui.common.focus_moves import MovesFocus
from tui.ui.common.pane import Pane
from tui.ui.common.plain import notify_plain, plain
from tui.ui.common.session import Session
from tui.ui.dashboard.dashboard_keys import BINDINGS, COMMANDS, HELP, KEYS
from tui.ui.dashboard.export_action import RunExport
from tui.ui.dashboard.insight_panel import Insight
from tui.ui.dashboard.settings_form import SettingsForm
from tui.ui.dashboard.target_row import TargetRow

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # pragma: no cover
    from tui.runs.runbook import Run, RunBook
    from tui.ui.dashboard.boundary_view import BoundaryView
    from tui.ui.dashboard.curve import Curve
    from tui.ui.dashboard.filters_view import FiltersView
    from tui.ui.dashboard.loss_plot import LossPlot
    from tui.ui.dashboard.metrics import TrainMetrics

IDLE_HINT = "F5 or s starts it · p switches · t trains the REPL's model"
STILL_STARTING = "The kernel is still starting: the run starts once it is ready (F5 cancels)."


class DashboardPane(MovesFocus, Pane):
    class ReplTrained(Message):
        """A run that trained the REPL's own model ended: its objects changed."""

    AREA = "train"
    PANE_TITLE = "Dashboard"
    FKEY = "F4"
    HELP = HELP
    KEYS = KEYS
    COMMANDS = COMMANDS
    BINDINGS = BINDINGS
    DEFAULT_CSS = """
    DashboardPane #dash-body { height: 1fr; }
    DashboardPane.-no-config #dash-config { display: none; }
    DashboardPane #dash-main { width: 1fr; height: 1fr; }
    DashboardPane #dash-message { height: 2; color: $warning; }
    """

    #: The parts made with the body (``compose_body``), after the first frame.
    form: SettingsForm
    curve: Curve
    insight: Insight
    exporter: RunExport
    message_row: Static

    def __init__(self, session: Session, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session = session
        self.book: RunBook | None = None
        #: Made now, mounted with the body: what F5 trains is known before that (a
        #: cell's variables may come first).
        self.target_row = TargetRow(id="dash-target")
        #: A start asked for before the kernel was ready: "playground" or "repl".
        self._pending: str | None = None
        #: ``o`` was pressed: the next key is a setting's letter.
        self.goto_pending = False

    # -- layout ---------------------------------------------------------------------------
    PLACEHOLDER = f"{IDLE_HINT}\n\nThe settings appear once the kernel is ready…"
    LATE = True  # of no use before the kernel is up; mounted meanwhile, it delayed torch

    def compose_body(self) -> ComposeResult:
        """After the first frame (see ``Deferred``): numpy and plotext come in with it."""
        from tui.runs.runbook import RunBook
        from tui.ui.dashboard.curve import Curve

        self.book = book = RunBook()
        self.form = SettingsForm(id="dash-config")
        self.curve = Curve(book, IDLE_HINT, self.session.low_bandwidth, id="dash-curve")
        self.insight = Insight(book, id="dash-insight")
        self.exporter = RunExport(self.session.kernel)
        self.message_row = Static("", id="dash-message", markup=False)
        with Horizontal(id="dash-body"):
            yield self.form
            with Vertical(id="dash-main"):
                # what F5 trains: names the learner's class, literal
                yield self.target_row
                yield self.curve
                yield self.insight
                yield self.message_row
        yield self.exporter

    def on_resize(self) -> None:
        if self.built:
            self.insight.fit(self.size.height)

    def on_built(self) -> None:
        self.insight.fit(self.size.height)
        self._show_target()
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
        return self.curve.plot

    @property
    def metrics(self) -> TrainMetrics:
        return self.curve.metrics

    @property
    def boundary_view(self) -> BoundaryView:
        return self.curve.boundary_view

    @property
    def filters_view(self) -> FiltersView:
        return self.curve.filters_view

    @after_build
    def focus_default(self) -> None:
        super().focus_default()

    def default_focus_target(self) -> Widget:
        """The curve, not a setting: letter keys (s, t, x, ...) reach the pane from there;
        a focused Select or Input would take them as typing. Tab reaches the settings."""
        return self.curve.view

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
    def target(self) -> str:
        """What F5, ``s``, ``.`` and Enter in a field start: "playground" or "repl"."""
        return self.target_row.target

    @target.setter
    def target(self, target: str) -> None:
        self.target_row.target = target
        self._show_target()

    @property
    def repl_text(self) -> str | None:
        return self.target_row.repl_text

    @property
    def settings_error(self) -> str | None:
        return self.target_row.error

    @property
    def layers_shown(self) -> bool:
        return self.insight.layers_shown

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
        self.message_row.update(plain(text), layout=False)
        if severity != "information":
            notify_plain(self, text, severity=severity, timeout=8)

    def _tell(self, message: Any) -> None:
        self.session.kernel.tell(message)

    def redraw(self) -> None:
        """Everything, now (tests and the benchmark call this)."""
        self.curve.redraw()
        self.insight.redraw()

    # -- routing between the parts -----------------------------------------------------------
    def _show_target(self) -> None:
        """The target row from the form's values; the form greys what a REPL-model run
        does not read."""
        if not self.built:
            return
        row = self.target_row
        row.show(self.form.raw())
        if row.error is None:
            self.form.show_use(row.repl_uses)

    def on_curve_redrawn(self, message: Curve.Redrawn) -> None:
        message.stop()
        self.insight.redraw()

    def on_curve_view_changed(self, message: Curve.ViewChanged) -> None:
        message.stop()
        self._tell(message.view)

    def on_run_export_done(self, message: RunExport.Done) -> None:
        message.stop()
        self._say(message.text, message.severity)

    def on_settings_form_edited(self, message: SettingsForm.Edited) -> None:
        """Keep the row and a standing settings error current as the learner types."""
        message.stop()
        if not self.built:
            return
        row = self.target_row
        if row.error is not None:
            try:
                config, workers = self.form.read()
                if row.target == tt.PLAYGROUND:
                    problem = self._too_big(config.to_dict(), workers)
                    if problem:
                        raise ConfigError(problem)
            except ConfigError as exc:
                row.error = str(exc)  # still wrong: say what is left, quietly
            else:
                row.error = None
                self._say("Settings fixed: F5 starts the run.")
        self._show_target()

    def on_settings_form_submitted(self, message: SettingsForm.Submitted) -> None:
        message.stop()
        self.target_row.error = None
        self._show_target()
        if self._kernel_ready:
            workers = message.workers if self.target == tt.PLAYGROUND else 1
            self._launch(self.target, message.config.to_dict(), workers)
        else:
            self._request(self.target)
        self.focus_default()  # the run started: s, v, l, m ... act again, not type

    def on_settings_form_invalid(self, message: SettingsForm.Invalid) -> None:
        message.stop()
        self._settings_bad(message.error)

    def on_settings_form_left(self, message: SettingsForm.Left) -> None:
        """Escape in a field: back to the curve, where s, v, l, m ... are keys again."""
        message.stop()
        self.focus_default()

    def _too_big(self, config: dict[str, Any], workers: int) -> str | None:
        """Why a playground run of ``config`` cannot fit in this machine's free memory
        (its field marked), or None: refused before the kernel tries to allocate it."""
        from tui.training.memory import launch_problem

        problem = launch_problem(config, workers)
        if problem:
            self.form.mark({problem.split(" ", 1)[0]})
        return problem

    def _settings_bad(self, error: str) -> None:
        """Say what is wrong with the settings; it stays on the row until they read
        cleanly."""
        self.target_row.error = error
        self._say(f"Settings: {error}", "error")
        self._show_target()

    # -- the REPL's model ----------------------------------------------------------------
    def repl_variables(self, rows: list[VarRow]) -> None:
        """After a cell: does the REPL (still) have a model to train?"""
        self.target_row.repl_variables(rows)
        self._show_target()

    @after_build
    def action_switch_target(self) -> None:
        """``p``: the playground or the REPL model, when the REPL has one."""
        self._say(*self.target_row.switch())
        self._show_target()

    # -- the kernel's events ----------------------------------------------------------------
    def on_train_news(self, message: km.TrainNews) -> None:
        self._train_message(message.news)

    def on_cell_payload_arrived(self, message: km.CellPayloadArrived) -> None:
        self.repl_variables(message.payload.variables)

    def on_kernel_ready(self, message: km.KernelReady) -> None:
        if self.built:
            self._show_devices(message.welcome.devices, message.welcome.device)
            self.curve.kernel_started()  # a new kernel's view: nothing shown
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
        self.target_row.forget_repl_model()
        self._show_target()
        said = self.book.lose_live(why) if self.book else None
        if said:
            self._say(said[0].upper() + said[1:], "warning")
            self.curve.dirty = True

    def _train_message(self, message: p.TrainBegun | p.TrainReport | p.TrainEnded) -> None:
        book = self.book
        run = book.get(message.run_id) if book is not None else None
        if book is None or run is None:
            return  # a run this pane forgot (reset) or another app's
        if isinstance(message, p.TrainBegun):
            run.begun(message.label, message.device, message.epochs, message.two_d, message.config)
            run.conv = message.conv
            self.curve.begin(message.total_steps or 1)
            self._say(f"Training {message.label} on {message.device}.")
        elif isinstance(message, p.TrainReport):
            report = message.report
            if not run.live or report is None:
                return
            boundary = run.apply(report)
            if boundary is not None:
                self.curve.show_boundary(boundary)
            if report.filters is not None:
                self.curve.show_filters(report.filters)
        elif run.live:  # a run already lost with its kernel keeps its verdict
            text = run.ended(message.summary, message.error)
            if run.source == tt.REPL:
                self.post_message(self.ReplTrained())
            if message.error:
                book.discard(run)
                self._say(text, "error")
            else:
                self._say(text)
        self.curve.dirty = True

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
        self._request(tt.REPL)

    def _request(self, source: str, paused: bool = False) -> None:
        if not (self._kernel_ready and self.built):
            self._pending = source  # started by on_built or the kernel's Ready
            if not self._kernel_ready:
                self._say(STILL_STARTING, "warning")
            return
        try:
            config, workers = self.form.read(repl=source == tt.REPL)
        except ConfigError as exc:
            self._settings_bad(str(exc))
            return
        if self.target_row.error is not None:
            self.target_row.error = None
            self._show_target()
        self._launch(source, config.to_dict(), workers if source == tt.PLAYGROUND else 1, paused)

    def _start_pending(self) -> None:
        source, self._pending = self._pending, None
        if source is not None and self._kernel_ready:
            self._request(source)

    def _launch(
        self, source: str, config: dict[str, Any], workers: int, paused: bool = False
    ) -> None:
        if self.book is None:
            return
        if source == tt.PLAYGROUND and (problem := self._too_big(config, workers)):
            self._settings_bad(problem)  # before the kernel tries (and dies) to allocate it
            return
        previous = self.current
        if previous is not None and previous.live:  # the agent stops it for the new one
            previous.stopping = True
        if source == tt.PLAYGROUND:
            why = self.form.remember()  # the settings come back at the next start
            if why:
                notify_plain(self, f"Settings not saved: {why}", severity="warning", timeout=6)
        run = self.book.new(source, config, workers)
        self.curve.starting()
        self._say("Starting: the REPL's model…" if source == tt.REPL else "Starting…")
        start = p.TrainStart(
            run_id=run.id, source=source, config=config, workers=workers, paused=paused
        )
        if paused:  # Step with no run: it starts paused, after its first batch
            from tui.runs.runbook import RunState

            run.move(RunState.PAUSED)
        self.run_worker(self._send_start(run, start), group="train-start", exit_on_error=False)

    async def _send_start(self, run: Run, message: p.TrainStart) -> None:
        try:
            await self.session.kernel.agent(message)
        except Exception as exc:  # noqa: BLE001 - the kernel went away or refused
            log.warning("a run did not start: %r", exc)
            if run.live and run.last is None and self.book is not None:
                self._say(run.ended(None, f"could not start: {exc}"), "error")
                self.book.discard(run)
                self.curve.dirty = True

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
        self.curve.dirty = True

    @after_build
    def action_step_once(self) -> None:
        """One batch, then paused: a paused run steps; without a run, one starts paused."""
        from tui.runs.runbook import RunState

        run = self.current
        if run is not None and run.live and not run.stopping:
            run.move(RunState.PAUSED)
            self._tell(p.TrainControl(run_id=run.id, action="step"))
            self._say("Stepped one batch: . steps again, space resumes.")
        else:
            self._request(self.target, paused=True)
            self._say("Started paused: . runs one batch at a time, space runs on.")
        self.curve.dirty = True

    @after_build
    def action_stop(self) -> None:
        run = self.current
        if run is None or not run.live:
            return
        run.stopping = True
        self._tell(p.TrainControl(run_id=run.id, action="stop"))
        self._say("Stopping…")
        self.curve.dirty = True

    @after_build
    def action_reset(self) -> None:
        if self.book is None:
            return
        if self.training:
            self._say("Stop the run first (x or F5), then reset.", "warning")
            return
        self.book.reset()
        self.curve.reset("Reset. F5 or s starts a run.")
        self._say("")

    @after_build
    def action_export(self) -> None:
        self.exporter.export(self.book.exportable() if self.book else None)

    # -- the view keys -----------------------------------------------------------------------
    @after_build
    def action_toggle_log(self) -> None:
        on = self.curve.toggle_log()
        self._say("Log view: plotting log10(loss)." if on else "Linear view.")

    @after_build
    def action_toggle_smooth(self) -> None:
        on = self.curve.toggle_smooth()
        self._say("Smoothing on (EMA)." if on else "Smoothing off.")

    @after_build
    def action_toggle_view(self) -> None:
        """v: the loss curve or the decision boundary (from the filters: the boundary)."""
        from tui.ui.dashboard.curve import BOUNDARY

        if self.curve.toggle(BOUNDARY):
            run = self.current
            if run is None or not run.two_d:
                self._say("The boundary view needs a 2-D classification set (e.g. circles).")

    @after_build
    def action_toggle_filters(self) -> None:
        """f: the filters of the model's first Conv2d, live, or back to the curve."""
        from tui.ui.dashboard.curve import FILTERS

        if self.curve.toggle(FILTERS):
            run = self.current
            if run is None or not run.conv:
                self._say("The filters show for a model with a Conv2d: t trains the REPL's.")

    @after_build
    def action_toggle_layers(self) -> None:
        shown = self.insight.toggle_layers()
        self._say(f"Layer panel {'shown: g hides it' if shown else 'hidden: g shows it'}.")

    # -- going to a setting: o, then its letter (or the palette's "go to setting") -------
    @after_build
    def action_goto_setting(self, name: str = "") -> None:
        """``o``: the next key is a setting's underlined letter; with ``name``, go there."""
        self.remove_class("-no-config")
        if name:
            self.goto_pending = False
            self.form.go_to(name)
            return
        self.goto_pending = True
        self._say(
            "Go to a setting: press its underlined letter (l lr, s steps, b batch …); Escape: back."
        )

    def moves_focus(self, event: events.Key) -> bool:
        """``o``'s letter goes to a setting, Escape leaves one: the keys behind them are
        for the new focus (``tui.ui.common.focus_moves``)."""
        if self.goto_pending:
            return True
        focused = self.screen.focused
        if event.key == "o":
            return not isinstance(focused, Input)
        in_form = focused is not None and self.built and self.form in focused.ancestors
        return event.key == "escape" and in_form

    def on_key(self, event: events.Key) -> None:
        """``o`` and the key after it, here, before any binding sees them: keys that come
        in one burst (a fast typist, a laggy SSH link) reach the bindings only after they
        have all passed here, so a binding for ``o`` would see its letter go by."""
        if not self.goto_pending:
            if event.key == "o" and not isinstance(self.screen.focused, Input):
                event.stop()
                event.prevent_default()
                self.action_goto_setting()
            return
        self.goto_pending = False
        event.stop()
        event.prevent_default()
        name = self.form.setting_for(event.character)
        if name is None:
            said = "" if event.key == "escape" else f"No setting on {event.key}: o, then a letter."
            self._say(said)
            return
        self._say("")
        self.form.go_to(name)
