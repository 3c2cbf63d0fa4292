"""The training dashboard: config, live metrics, the loss curve and the decision boundary.

Threads (see DESIGN.md): training runs in a thread worker (group "train"); the trainer
appends a ``Report`` of plain numpy/Python values to its run's inbox at most every
~100 ms and never waits for the UI. The UI's timer (2 Hz, 1 in low-bandwidth mode)
drains the inboxes into ``LossSeries`` and redraws only when something changed. An
inbox, not a message per report: each message wakes the event loop, and every wake takes
the GIL from a Python-bound training loop. No tensor work happens on this thread: the
REPL's model is read, validated and trained in the worker, and exports run in a worker.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import ContentSwitcher, Input, Label, Select, Static

from tui.core.training import (
    ACTIVATIONS,
    LOSSES,
    OPTIMIZERS,
    ConfigError,
    Report,
    Summary,
    TrainConfig,
)
from tui.widgets.dashboard_ddp import ddp_metrics, ddp_row, ddp_workers, run_ddp
from tui.widgets.deferred import Deferred, after_build
from tui.widgets.pane import Pane
from tui.widgets.train_metrics import TrainMetrics

if TYPE_CHECKING:  # pragma: no cover
    from tui.core.series import LossSeries
    from tui.core.training import Job
    from tui.widgets.dashboard_boundary import BoundaryView
    from tui.widgets.loss_plot import LossPlot

MAX_RUNS = 6  # the current run and the last five, overlaid
IDLE_HINT = "F5 or s starts a run · t trains the REPL's model · ? for keys"
#: Share of one core the loss plot may use: a figure costs ~7 ms at 100x16 (in a worker,
#: but still under the GIL), and every millisecond of it is one a Python-bound training
#: loop waits: 1% means a new curve about every 0.7 s.
PLOT_DUTY = 0.01
#: Metrics refresh rate (Hz). Each frame re-renders the metrics, the progress bar and the
#: curve, ~3 ms of GIL on a 2-core box; at 4 Hz the seed's XOR net trained ~20% slower
#: than its bare loop (benchmarks/bench_training.py). 2 Hz still reads as live.
METRICS_HZ = 2
#: --low-bandwidth: metrics once a second and a new curve at most every 3 s; the curve is
#: most of the bytes (16 rows of coloured braille), ~5 KB/s at the normal rates.
LOW_BANDWIDTH_HZ = 1
LOW_BANDWIDTH_PLOT_EVERY = 3.0


@dataclass
class RunHandle:
    """The events one run's thread obeys; ``done`` is set when the thread really ended."""

    stop: threading.Event = field(default_factory=threading.Event)
    pause: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)


@dataclass
class Run:
    """One run as the UI keeps it: its curve, its metric rows, and what to export."""

    id: int
    source: str  # "config" or "repl"
    series: LossSeries
    handle: RunHandle
    config: dict[str, Any] = field(default_factory=dict)
    metrics: list[tuple[int, float | None, float]] = field(default_factory=list)
    #: Reports the training thread appended and the UI has not applied yet (a deque's
    #: append and popleft are atomic, so neither side locks or waits).
    inbox: deque[Report] = field(default_factory=deque)
    job: Job | None = None
    device: str = ""
    epochs: int = 0
    two_d: bool = False
    last: Report | None = None
    summary: Summary | None = None
    error: str | None = None
    state: str = "starting"  # starting, running, paused, done, stopped, failed


class TrainStarted(Message):
    """The job is built; plain facts about it, so the UI never has to look at a tensor."""

    def __init__(
        self,
        run_id: int,
        job: Job,
        label: str,
        total: int,
        device: str,
        epochs: int = 0,
        two_d: bool = False,
    ) -> None:
        super().__init__()
        self.run_id, self.job, self.label, self.total = run_id, job, label, total
        self.device, self.epochs, self.two_d = device, epochs, two_d


class TrainProgress(Message):
    def __init__(self, run_id: int, report: Report) -> None:
        super().__init__()
        self.run_id, self.report = run_id, report


class TrainFinished(Message):
    def __init__(self, run_id: int, summary: Summary | None, error: str | None) -> None:
        super().__init__()
        self.run_id, self.summary, self.error = run_id, summary, error


class Exported(Message):
    def __init__(self, path: str | None, error: str | None) -> None:
        super().__init__()
        self.path, self.error = path, error


def _fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(seconds), 60)
    return f"{m}m{s:02d}s" if m < 60 else f"{m // 60}h{m % 60:02d}m"


def _mib(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"


_FIELDS: list[tuple[str, str, str]] = [
    # (config field, label, kind: select/input)
    ("dataset", "data", "select"),
    ("hidden", "hidden", "input"),
    ("activation", "act", "select"),
    ("optimizer", "optim", "select"),
    ("lr", "lr", "input"),
    ("batch_size", "batch", "input"),
    ("epochs", "epochs", "input"),
    ("steps", "steps", "input"),
    ("samples", "samples", "input"),
    ("noise", "noise", "input"),
    ("loss", "loss", "select"),
    ("momentum", "momentum", "input"),
    ("weight_decay", "w.decay", "input"),
    ("seed", "seed", "input"),
    ("device", "device", "select"),
]


class DashboardPane(Deferred, Pane):
    AREA = "train"
    PANE_TITLE = "Dashboard"
    FKEY = "F4"
    HELP = """\
### Training dashboard

Train a small network live and watch its loss fall, on the device you pick.

| key | does |
|---|---|
| F5 | start / stop training (from anywhere) |
| s | start a run with the settings on the left |
| t | train the REPL's own `model` on its `X`, `y` (+ `criterion`, `optimizer`) |
| space | pause / resume |
| x | stop |
| r | reset: forget the curves |
| l | log view: plots log10(loss) |
| m | smooth the curve (EMA) |
| v | switch loss curve / decision boundary (2-D sets) |
| c | show / hide the settings column |
| e | export the last run to the runs folder |

Settings: Tab moves between them; Enter in a field starts a run.
The curve overlays the last five runs with a legend. Training the REPL model changes
the REPL's own weights, so the REPL sees the trained model afterwards.
"""
    COMMANDS: ClassVar[list[tuple[str, str, str]]] = [
        ("start", "start", "Start a run with the dashboard's settings"),
        ("REPL model", "train_repl", "Train the REPL's model on its X and y"),
        ("pause or resume", "pause", "Pause or resume the run"),
        ("stop", "stop", "Stop the run"),
        ("reset", "reset", "Forget the curves of earlier runs"),
        ("export run", "export", "Write config.json, history.csv and model.pt"),
        ("toggle log scale", "toggle_log", "Plot log10(loss)"),
        ("toggle smoothing", "toggle_smooth", "Smooth the curve with an EMA"),
        ("toggle boundary view", "toggle_view", "Loss curve or decision boundary"),
    ]
    BINDINGS = [
        Binding("s", "start", "Start"),
        Binding("t", "train_repl", "Train REPL model"),
        Binding("space", "pause", "Pause/Resume"),
        Binding("x", "stop", "Stop"),
        Binding("r", "reset", "Reset", show=False),
        Binding("l", "toggle_log", "Log", show=False),
        Binding("m", "toggle_smooth", "Smooth", show=False),
        Binding("v", "toggle_view", "Boundary", show=False),
        Binding("c", "toggle_config", "Settings", show=False),
        Binding("e", "export", "Export", show=False),
    ]
    DEFAULT_CSS = """
    DashboardPane #dash-body { height: 1fr; }
    DashboardPane #dash-config { width: 30; height: 1fr; padding: 0 1 0 0; }
    DashboardPane.-no-config #dash-config { display: none; }
    DashboardPane .dash-row { height: 1; }
    DashboardPane .dash-row Label { width: 9; color: $text-muted; }
    /* compact fields show no focus of their own: the row's label does */
    DashboardPane .dash-row:focus-within Label { color: $accent; text-style: bold; }
    DashboardPane .dash-row Input, DashboardPane .dash-row Select { width: 1fr; }
    DashboardPane #dash-main { width: 1fr; height: 1fr; }
    DashboardPane #dash-view { height: 1fr; }
    DashboardPane #dash-message { height: 2; color: $warning; }
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.runs: list[Run] = []
        self._next_id = 1
        self._dirty = False
        self._plot_dirty = False
        self._next_plot = 0.0
        self._boundary_dirty = False
        self._repl_warned = False
        self._devices: list[tuple[str, str]] = [("cpu", "cpu")]
        self._device_ids: dict[str, tuple[str | None, str | None]] = {}

    # -- layout ---------------------------------------------------------------------------
    PLACEHOLDER = f"{IDLE_HINT}\n\nThe settings appear once torch has loaded…"
    LATE = True  # of no use before torch is loaded; mounted meanwhile, it delayed torch

    def compose_body(self) -> ComposeResult:
        """After the first frame (see ``Deferred``): numpy and plotext come in with it."""
        from tui.core.datasets import DATASETS
        from tui.widgets.dashboard_boundary import BoundaryView
        from tui.widgets.loss_plot import LossPlot

        defaults = TrainConfig()

        options = {
            "dataset": [(f"{k}: {v[0].description}", k) for k, v in DATASETS.items()],
            "activation": [(a, a) for a in ACTIVATIONS],
            "optimizer": [(o, o) for o in OPTIMIZERS],
            "loss": [(lo, lo) for lo in LOSSES],
            "device": self._devices,
        }
        with Horizontal(id="dash-body"):
            with VerticalScroll(id="dash-config"):
                for name, label, kind in _FIELDS:
                    with Horizontal(classes="dash-row"):
                        yield Label(label)
                        value = getattr(defaults, name)
                        if kind == "select":
                            yield Select(
                                options[name],
                                value=value,
                                allow_blank=False,
                                compact=True,
                                id=f"cfg-{name}",
                            )
                        else:
                            text = (
                                ",".join(map(str, value))
                                if isinstance(value, tuple)
                                else ("" if value is None else str(value))
                            )
                            yield Input(
                                text,
                                compact=True,
                                id=f"cfg-{name}",
                                placeholder="from epochs" if name == "steps" else "",
                            )
                yield ddp_row()  # data parallel: DDPRunner on N worker processes
            with Vertical(id="dash-main"):
                yield TrainMetrics(IDLE_HINT, id="dash-metrics")  # figures and progress bar
                with ContentSwitcher(initial="dash-plot", id="dash-view"):
                    yield LossPlot(id="dash-plot")
                    yield BoundaryView(id="dash-boundary")
                yield Static("", id="dash-message")

    def on_built(self) -> None:
        self.plot.hold = True
        low = getattr(self.app, "low_bandwidth", False)
        self._interval = 1 / (LOW_BANDWIDTH_HZ if low else METRICS_HZ)
        self._plot_every = LOW_BANDWIDTH_PLOT_EVERY if low else self._interval
        self._timer = self.set_interval(self._interval, self._tick)
        info = getattr(self.app, "torch_info", None)
        if info is not None:
            self.on_torch_ready(info)
        else:
            signal = getattr(self.app, "torch_ready_signal", None)
            if signal is not None:
                signal.subscribe(self, self.on_torch_ready)

    def on_unmount(self) -> None:
        """Quitting during training: tell the thread to stop now (it checks every step)."""
        for run in self.runs:
            run.handle.pause.clear()
            run.handle.stop.set()

    @property
    def plot(self) -> LossPlot:
        return self.query_one("#dash-plot")  # type: ignore[return-value]

    @property
    def metrics(self) -> TrainMetrics:
        return self.query_one("#dash-metrics", TrainMetrics)

    @property
    def boundary_view(self) -> BoundaryView:
        return self.query_one("#dash-boundary")  # type: ignore[return-value]

    @after_build
    def focus_default(self) -> None:
        super().focus_default()

    def default_focus_target(self):
        """The curve, not a setting: letter keys (s, t, x, ...) reach the pane from there;
        a focused Select or Input would take them as typing. Tab reaches the settings."""
        return self.query_one(ContentSwitcher).visible_content or self.plot

    def on_torch_ready(self, info: Any) -> None:
        """List the devices torch sees (cpu, cuda:N with names, mps) and pick the app's."""
        devices = getattr(info, "devices", ()) or ()
        self._devices = [(d.label, d.name) for d in devices] or [("cpu", "cpu")]
        self._device_ids = {
            d.name: (getattr(d, "pci_bus_id", None), getattr(d, "uuid", None))
            for d in devices
            if d.name.startswith("cuda")
        }
        select = self.query_one("#cfg-device", Select)
        select.set_options(self._devices)
        wanted = getattr(info, "device", "cpu")
        names = [name for _, name in self._devices]
        select.value = wanted if wanted in names else names[0]
        self._warm_up()

    @work(thread=True, exclusive=True, group="train-warm", exit_on_error=False)
    def _warm_up(self) -> None:
        """Make the first optimizer now, in a worker: torch imports ~800 modules (dynamo)
        the first time one is built, ~3 s here, which would otherwise delay the first Start."""
        try:
            from tui.core.training import warm_up

            warm_up()
        except Exception:
            pass

    @after_build
    def action_toggle_config(self) -> None:
        self.toggle_class("-no-config")

    # -- state ---------------------------------------------------------------------------
    @property
    def current(self) -> Run | None:
        return self.runs[0] if self.runs else None

    @property
    def training(self) -> bool:
        run = self.current
        return run is not None and run.state in ("starting", "running", "paused")

    def read_config(self) -> TrainConfig:
        """The settings as a validated TrainConfig (ConfigError says what is wrong)."""
        raw: dict[str, Any] = {}
        for name, _, kind in _FIELDS:
            widget = self.query_one(f"#cfg-{name}")
            if kind == "select":
                value = widget.value  # type: ignore[attr-defined]
                raw[name] = None if value is Select.BLANK else value
            else:
                raw[name] = widget.value  # type: ignore[attr-defined]
        return TrainConfig.from_mapping(raw)

    def _say(self, text: str, severity: str = "information") -> None:
        # Fixed height, no relayout: a message that resized the curve cost a rebuild of
        # the plot and a repaint of the whole pane at every start and stop.
        self.query_one("#dash-message", Static).update(text, layout=False)
        if severity != "information":
            self.notify(text, severity=severity, timeout=8)  # type: ignore[arg-type]

    # -- actions ---------------------------------------------------------------------------
    @after_build
    def action_toggle_training(self) -> None:
        """F5: stop a run that is going, else start one."""
        if self.training:
            self.action_stop()
        else:
            self.action_start()

    @after_build
    def action_start(self) -> None:
        try:
            config = self.read_config()
        except ConfigError as exc:
            self._say(f"Settings: {exc}", "error")
            return
        self._launch("config", config)

    @after_build
    def action_train_repl(self) -> None:
        if getattr(self.app, "session", None) is None:
            self._say("The REPL is not ready yet (torch is loading).", "warning")
            return
        try:
            config = self.read_config()
        except ConfigError as exc:
            self._say(f"Settings: {exc}", "error")
            return
        self._launch("repl", config)

    def _launch(self, source: str, config: TrainConfig) -> None:
        from tui.core.series import LossSeries

        previous = self.current
        if previous is not None and previous.state in ("starting", "running", "paused"):
            previous.handle.pause.clear()
            previous.handle.stop.set()
        run = Run(
            id=self._next_id,
            source=source,
            series=LossSeries(label="starting…"),
            handle=RunHandle(),
            config=config.to_dict(),
        )
        self._next_id += 1
        self.runs.insert(0, run)
        del self.runs[MAX_RUNS:]
        self._repl_warned = False
        self.show_progress(1, 0)
        self._say("Starting: the REPL's model…" if source == "repl" else "Starting…")
        wait_for = previous.handle.done if previous is not None else None
        run.workers = ddp_workers(self) if source == "config" else 1  # type: ignore[attr-defined]
        self._train(run, config, wait_for)
        self._dirty = True

    @after_build
    def action_pause(self) -> None:
        run = self.current
        if run is None or run.state not in ("running", "paused", "starting"):
            return
        if run.handle.pause.is_set():
            run.handle.pause.clear()
            run.state = "running"
            self._say("Resumed.")
        else:
            run.handle.pause.set()
            run.state = "paused"
            self._say("Paused: space resumes, x stops.")
        self._dirty = True

    @after_build
    def action_stop(self) -> None:
        run = self.current
        if run is None or run.state not in ("starting", "running", "paused"):
            return
        run.handle.pause.clear()
        run.handle.stop.set()
        self._say("Stopping…")

    @after_build
    def action_reset(self) -> None:
        if self.training:
            self._say("Stop the run first (x or F5), then reset.", "warning")
            return
        self.runs.clear()
        self.show_progress(1, 0)
        self.boundary_view.show(None)
        self.metrics.show("Reset. F5 or s starts a run.")
        self._say("")
        self._dirty = True

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

    # -- the worker ------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="train", exit_on_error=False)
    def _train(self, run: Run, config: TrainConfig, wait_for: threading.Event | None) -> None:
        """Build the job and run the Trainer in this thread; talk to the UI by messages only."""
        handle = run.handle
        try:
            if wait_for is not None:  # the previous run's thread must let go of its model
                wait_for.wait(10)
            if handle.stop.is_set():
                self.post_message(TrainFinished(run.id, None, None))
                return
            workers = getattr(run, "workers", 1)
            if workers > 1:
                run_ddp(self, run, config, workers, TrainStarted, TrainProgress, TrainFinished)
                return
            try:
                job = self._build_job(run, config)
            except ConfigError as exc:
                self.post_message(TrainFinished(run.id, None, str(exc)))
                return
            except Exception as exc:  # torch or a driver failing: a message, not a crash
                self.post_message(
                    TrainFinished(run.id, None, f"could not start: {type(exc).__name__}: {exc}")
                )
                return
            from tui.core.training import Trainer, steps_per_epoch

            spe = steps_per_epoch(len(job.X), job.batch_size)
            self.post_message(
                TrainStarted(
                    run.id,
                    job,
                    job.label,
                    job.total_steps,
                    job.device,
                    -(-job.total_steps // spe),
                    job.two_d,
                )
            )

            trainer = Trainer(
                job,
                on_report=run.inbox.append,
                stop=handle.stop,
                pause=handle.pause,
                gpu_stats=self._gpu_reader(job.device),
            )
            try:
                summary = trainer.run()
            except Exception as exc:
                self.post_message(
                    TrainFinished(run.id, None, f"training failed: {type(exc).__name__}: {exc}")
                )
                return
            self.post_message(TrainFinished(run.id, summary, summary.error))
        finally:
            handle.done.set()

    def _build_job(self, run: Run, config: TrainConfig) -> Job:
        """In the worker: a Job from the settings, or from the REPL's namespace."""
        from tui.core.training import build_job, job_from_namespace, steps_per_epoch

        if run.source != "repl":
            return build_job(config)
        session = getattr(self.app, "session", None)
        if session is None:
            raise ConfigError("the REPL is not ready yet")
        if getattr(session, "busy", False):
            raise ConfigError(
                "a REPL cell is running: wait for it (or ctrl+c it) before training the REPL model"
            )
        names = ("model", "X", "y", "criterion", "optimizer")

        def grab() -> dict[str, Any]:
            ns = session.namespace
            return {k: ns[k] for k in names if k in ns}

        import concurrent.futures

        try:
            found = session.submit(grab).result(timeout=2)
        except concurrent.futures.TimeoutError:
            raise ConfigError(
                "the REPL is busy: wait for its cell to finish before training the REPL model"
            ) from None
        n = len(found["X"]) if "X" in found and hasattr(found["X"], "__len__") else 1
        bs = config.batch_size
        steps = config.steps or config.epochs * steps_per_epoch(n, bs)
        return job_from_namespace(found, steps=steps, batch_size=bs, seed=config.seed)

    def _gpu_reader(self, device: str):
        ids = self._device_ids.get(device)
        if ids is None:
            return None

        def read() -> dict[str, float] | None:
            try:
                from tui.core import nvml

                stats = nvml.stats_for({device: ids}).get(device)
            except Exception:
                return None
            if stats is None:
                return None
            out = {}
            if stats.utilisation is not None:
                out["util"] = float(stats.utilisation)
            if stats.temperature is not None:
                out["temp"] = float(stats.temperature)
            return out or None

        return read

    # -- messages from the worker (UI thread: plain values only) ------------------------
    def _run(self, run_id: int) -> Run | None:
        for run in self.runs:
            if run.id == run_id:
                return run
        return None

    def on_train_started(self, message: TrainStarted) -> None:
        run = self._run(message.run_id)
        if run is None:
            return
        run.job = message.job
        run.device, run.epochs, run.two_d = message.device, message.epochs, message.two_d
        run.series.label = f"#{run.id} {message.label}"
        if run.state == "starting":
            run.state = "paused" if run.handle.pause.is_set() else "running"
        if run.source == "repl":
            run.config = dict(message.job.config)
        self.show_progress(message.total, 0)
        self._say(f"Training {message.label} on {message.device}.")
        self._dirty = True

    def on_train_progress(self, message: TrainProgress) -> None:
        """Reports posted as messages (the data-parallel runner's path)."""
        run = self._run(message.run_id)
        if run is not None:
            self._apply(run, message.report)

    def _drain(self, run: Run) -> None:
        while run.inbox:
            self._apply(run, run.inbox.popleft())

    def _apply(self, run: Run, report: Report) -> None:
        run.series.extend(report.losses)
        run.last = report
        run.metrics.append((report.step, report.accuracy, report.elapsed))
        if report.boundary is not None:
            self.boundary_view.boundary = report.boundary
            self._boundary_dirty = True
        self._dirty = True

    def on_train_finished(self, message: TrainFinished) -> None:
        run = self._run(message.run_id)
        if run is None:
            return
        self._drain(run)  # the last reports come before the verdict
        run.summary = message.summary
        run.error = message.error
        if message.error:
            run.state = "failed"
            if not len(run.series):
                self.runs.remove(run)
            self._say(message.error, "error")
        elif message.summary is None or message.summary.stopped:
            run.state = "stopped"
            steps = message.summary.steps if message.summary else 0
            self._say(f"Stopped after {steps:,} steps. e exports it; F5 starts again.")
        else:
            run.state = "done"
            s = message.summary
            acc = f", acc {s.accuracy:.1%}" if s.accuracy is not None else ""
            loss = f"{s.final_loss:.4g}" if s.final_loss is not None else "-"
            self._say(
                f"Done: {s.steps:,} steps at {s.steps_per_s:,.0f} steps/s, loss {loss}{acc}. "
                "e exports it."
            )
        self._dirty = True

    # -- drawing (timer, at most 10 Hz, only when something changed) ------------------------
    def _tick(self) -> None:
        for each in self.runs:
            self._drain(each)
        run = self.current
        if (
            run is not None
            and run.source == "repl"
            and run.state == "running"
            and not self._repl_warned
            and getattr(getattr(self.app, "session", None), "busy", False)
        ):
            self._repl_warned = True
            self._say(
                "A REPL cell is running while the dashboard trains the REPL's model: "
                "both change the same weights.",
                "warning",
            )
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
        """Metrics and progress, from the last report (no tensors here)."""
        run = self.current
        if run is not None and run.last is not None:
            self.metrics.show(self._metrics_text(run), run.last.total_steps, run.last.step)
        else:
            self.metrics.show(self._metrics_text(run))

    def show_progress(self, total: float, progress: float) -> None:
        self.metrics.show(total=total, progress=progress)

    def redraw_view(self) -> None:
        """The visible view: the loss curve from the decimated series, or the boundary."""
        switcher = self.query_one(ContentSwitcher)
        if switcher.current == "dash-plot":
            self.plot.draw([r.series for r in self.runs])
        elif self._boundary_dirty:
            self._boundary_dirty = False
            self.boundary_view.refresh()

    def _metrics_text(self, run: Run | None) -> str:
        if run is None:
            return IDLE_HINT
        r = run.last
        state = {
            "starting": "starting",
            "running": "▶ running",
            "paused": "⏸ paused",
            "done": "✓ done",
            "stopped": "■ stopped",
            "failed": "✗ failed",
        }[run.state]
        if r is None:
            return f"{state}  {run.series.label}"
        loss = run.series.last()
        loss_s = f"{loss:.4g}" if loss is not None else "-"
        acc = f"{r.accuracy:.1%}" if r.accuracy is not None else "-"
        per_epoch_total = f"/{run.epochs:,}" if run.epochs else ""
        eta = "-" if r.eta is None else _fmt_time(r.eta)
        pct = f" ({r.step / r.total_steps:.0%})" if r.total_steps else ""
        parts = [
            f"{state}{pct}",
            f"[b]loss[/b] {loss_s}",
            f"[b]acc[/b] {acc}",
            f"[b]steps/s[/b] {r.steps_per_s:,.0f}",
            f"step {r.step:,}/{r.total_steps:,}",
            f"epoch {r.epoch:,}{per_epoch_total}",
            f"elapsed {_fmt_time(r.elapsed)}",
            f"ETA {eta}",
        ]
        if run.device:
            parts.append(f"device {run.device}")
        parts.extend(ddp_metrics(r))
        if r.memory is not None:
            parts.append(f"CUDA mem {_mib(r.memory[0])} alloc / {_mib(r.memory[1])} reserved")
        if r.gpu:
            if "util" in r.gpu:
                parts.append(f"GPU util {r.gpu['util']:.0f}%")
            if "temp" in r.gpu:
                parts.append(f"temp {r.gpu['temp']:.0f}°C")
        # Pack whole parts into lines: a figure is never split from its label.
        width = self.metrics.size.width or 80
        lines: list[tuple[str, int]] = []
        for part in parts:
            plain = len(part.replace("[b]", "").replace("[/b]", ""))
            if lines and lines[-1][1] + 2 + plain <= width:
                lines[-1] = (lines[-1][0] + "  " + part, lines[-1][1] + 2 + plain)
            else:
                lines.append((part, plain))
        return "\n".join(text for text, _ in lines)

    # -- export ---------------------------------------------------------------------------
    @after_build
    def action_export(self) -> None:
        run = next((r for r in self.runs if len(r.series)), None)
        if run is None:
            self._say("Nothing to export yet: train a run first.", "warning")
            return
        if run.state in ("starting", "running"):
            self._say("Pause (space) or stop (x) the run before exporting it.", "warning")
            return
        losses = run.series.raw().copy()
        self._export(run, losses, list(run.metrics))

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self, run: Run, losses, metrics: list[tuple[int, float | None, float]]) -> None:
        try:
            from tui.core.runs import export_run

            path = export_run(
                run.config, losses, run.series.first_step, metrics, run.job, run.summary
            )
        except Exception as exc:
            self.post_message(Exported(None, f"export failed: {exc}"))
            return
        self.post_message(Exported(str(path), None))

    def on_exported(self, message: Exported) -> None:
        if message.error:
            self._say(message.error, "error")
        else:
            self._say(f"Exported to {message.path}")
            self.notify(f"Run exported to {message.path}", timeout=8)
