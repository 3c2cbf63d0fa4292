"""Training inside the kernel: one worker thread per run, reports over the comm.

The thread is started from the subshell's context (``Agent.spawn``), so its reports
route like replies and stop/pause keep arriving while a cell runs. A run is a
``tui.training.loop.Runner``: the single-process ``Trainer`` (the playground's config or
the REPL's own model, trained in place) or, for ``workers`` > 1, a ``DDPRunner`` whose
worker processes leave the kernel's process group (a cell's ctrl+c does not reach them)
and stop by message. Either calls ``on_report`` at most every ~100 ms; each report is one
comm message, sent on the comm of the app that started the run: a run never reports to
another app, and a new app (a new comm) or a closed comm stops the runs of the old one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tui.agent.after_cell import CellWatcher
from tui.protocol import messages as p


class Host(Protocol):
    """What a run needs of the agent (``tui.agent.server.Agent``): its comm, the
    learner's namespace, and threads started in the comm's context."""

    comm: Any
    cells: CellWatcher
    shell: Any

    def spawn(self, target: Callable[[], Any], name: str) -> threading.Thread: ...


log = logging.getLogger(__name__)

REPL_NAMES = ("model", "X", "y", "criterion", "optimizer", "X_val", "y_val")
#: The room a filters picture may ask for, in cells (the app's view is clamped to it).
MAX_VIEW_COLS, MAX_VIEW_ROWS = 400, 200
#: Finished runs whose job (model, data) is kept for export.
KEEP_RUNS = 6


@dataclass
class _Handle:
    stop: threading.Event = field(default_factory=threading.Event)
    pause: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    step: threading.Event = field(default_factory=threading.Event)  # one batch while paused
    job: Any = None
    ddp: bool = False


class TrainService:
    def __init__(self, agent: Host) -> None:
        self.agent = agent
        #: The current app's runs, by its run ids (the watches thread reads them too).
        self.runs: dict[int, _Handle] = {}
        #: Runs of an app that went away, stopped, kept until their threads end.
        self._retired: list[_Handle] = []
        #: What the app shows (``TrainView``): (cols, rows) for the filters, or None.
        self.filters_room: tuple[int, int] | None = None

    def start(self, msg: p.TrainStart) -> p.Ack:
        previous = [h for h in (*self.runs.values(), *self._retired) if not h.done.is_set()]
        for h in previous:
            h.stop.set()
            h.pause.clear()
        handle = _Handle()
        if msg.paused:  # Step with no run: one batch, then paused
            handle.pause.set()
            handle.step.set()
        self.runs.pop(msg.run_id, None)
        self.runs[msg.run_id] = handle
        for old in list(self.runs)[:-KEEP_RUNS]:
            if self.runs[old].done.is_set():
                del self.runs[old]
        comm = self.agent.comm

        def send(message: Any) -> None:
            try:
                if comm is not None:
                    comm.send(p.encode(message))
            except Exception:  # noqa: BLE001 - a closed comm: that app is gone
                if not handle.stop.is_set():
                    what = type(message).__name__
                    log.warning("run %s stops: %s not sent", msg.run_id, what, exc_info=True)
                handle.stop.set()

        self.agent.spawn(
            lambda: self._run(msg, handle, previous, send), f"torch-tui-train-{msg.run_id}"
        )
        return p.Ack(msg.id)

    def control(self, msg: p.TrainControl) -> p.Ack:
        handle = self.runs.get(msg.run_id)
        if handle is not None:
            if msg.action == "stop":
                handle.pause.clear()
                handle.stop.set()
            elif msg.action == "pause":
                handle.pause.set()
            elif msg.action == "resume":
                handle.pause.clear()
            elif msg.action == "step":
                handle.pause.set()
                handle.step.set()
        return p.Ack(msg.id)

    def set_view(self, msg: p.TrainView) -> p.Ack:
        """The app shows the filters (in that room) or not: every run reads it per report."""
        if msg.filters:
            cols = min(max(4, int(msg.cols)), MAX_VIEW_COLS)
            rows = min(max(2, int(msg.rows)), MAX_VIEW_ROWS)
            self.filters_room = (cols, rows)
        else:
            self.filters_room = None
        return p.Ack(msg.id)

    def view(self) -> tuple[int, int] | None:
        return self.filters_room

    def stop_all(self) -> None:
        """The app that started these runs is gone: stop them, forget their ids."""
        self.filters_room = None
        for handle in self.runs.values():
            handle.pause.clear()
            handle.stop.set()
        self._retired = [h for h in (*self._retired, *self.runs.values()) if not h.done.is_set()]
        self.runs = {}

    def job_of(self, run_id: int) -> Any:
        handle = self.runs.get(run_id)
        return handle.job if handle is not None else None

    # -- export --------------------------------------------------------------------------
    def export(self, msg: p.ExportRequest) -> p.ExportReply:
        """Write the run's state dict to ``msg.path`` (the app wrote the rest of the run)."""
        handle = self.runs.get(msg.run_id)
        if handle is None or handle.job is None:
            return p.ExportReply(msg.id, False, "the kernel no longer has this run's model")
        if handle.ddp or handle.job.model is None:
            return p.ExportReply(msg.id, False, "a data-parallel run's model stays in its workers")
        from tui.runs.export import save_model

        save_model(handle.job.model, Path(msg.path))
        return p.ExportReply(msg.id, True, "")

    # -- the worker thread -------------------------------------------------------------
    def _run(self, msg: p.TrainStart, handle: _Handle, previous: list[_Handle], send) -> None:
        cells = self.agent.cells
        try:
            for h in previous:  # the previous run must let go of its model first
                h.done.wait(10)
            if handle.stop.is_set():
                send(p.TrainEnded(msg.run_id, None, None))
                return
            from tui.training.config import ConfigError, TrainConfig

            def report(r: Any) -> None:
                send(p.TrainReport(msg.run_id, r))

            try:
                config = TrainConfig.from_mapping(msg.config)
                runner = self._runner(msg, config, handle, report)
                info = runner.describe()
            except ConfigError as exc:
                send(p.TrainEnded(msg.run_id, None, str(exc)))
                return
            except Exception as exc:  # noqa: BLE001 - torch or a driver failing: a message
                log.warning("run %s could not start", msg.run_id, exc_info=True)
                send(
                    p.TrainEnded(msg.run_id, None, f"could not start: {type(exc).__name__}: {exc}")
                )
                return
            send(
                p.TrainBegun(
                    msg.run_id, info.label, info.device, info.total_steps, info.two_d, info.lr,
                    info.config, epochs=info.epochs, conv=_has_conv(handle.job),
                )
            )  # fmt: skip
            if msg.source == "repl":
                cells.training_model = handle.job.model
            try:
                summary = runner.run()
            except Exception as exc:  # noqa: BLE001 - the same, while it runs
                log.warning("run %s failed", msg.run_id, exc_info=True)
                what = "data parallel failed" if handle.ddp else "training failed"
                send(p.TrainEnded(msg.run_id, None, f"{what}: {type(exc).__name__}: {exc}"))
                return
            send(p.TrainEnded(msg.run_id, summary, summary.error))
        finally:
            job = handle.job
            if job is not None and cells.training_model is job.model:
                cells.training_model = None
            handle.done.set()

    def _runner(self, msg: p.TrainStart, config: Any, handle: _Handle, report) -> Any:
        """A Trainer (the config, or the REPL's objects) or a DDPRunner for workers > 1."""
        from tui.training.config import steps_per_epoch
        from tui.training.job import build_job, job_from_namespace
        from tui.training.loop import Trainer

        if msg.source == "repl":
            ns = self.agent.shell.user_ns
            found = {k: ns[k] for k in REPL_NAMES if k in ns}
            x = found.get("X")
            n = len(x) if x is not None and hasattr(x, "__len__") else 1
            bs = config.batch_size
            steps = config.steps or config.epochs * steps_per_epoch(n, bs)
            job = job_from_namespace(found, steps=steps, batch_size=bs, seed=config.seed)
        elif msg.workers > 1:
            from tui.training.parallel import DDPRunner

            runner = DDPRunner(
                config, msg.workers, on_report=report, stop=handle.stop, pause=handle.pause
            )
            handle.ddp = True
            handle.job = runner.display_job()
            return runner
        else:
            job = build_job(config)
        handle.job = job
        return Trainer(
            job,
            report,
            stop=handle.stop,
            pause=handle.pause,
            gpu_stats=_gpu_reader(job.device),
            step_once=handle.step,
            view=self.view,
        )


def _has_conv(job: Any) -> bool:
    from tui.tensors.objects import first_conv

    model = getattr(job, "model", None)
    return model is not None and first_conv(model) is not None


def _gpu_reader(device: str):
    """NVML's utilisation and temperature of a cuda device, read at each evaluation."""
    if not device.startswith("cuda"):
        return None
    from tui.platform import nvml
    from tui.platform.devices import discover

    found = {d.name: d for d in discover()}  # a broken driver lists no GPU: no figures
    d = found.get(device)
    ids = {device: (getattr(d, "pci_bus_id", None), getattr(d, "uuid", None))}
    said = False

    def read() -> dict[str, float] | None:
        nonlocal said
        try:
            stats = nvml.stats_for(ids).get(device)
        except Exception:  # noqa: BLE001 - no NVML figures, the run goes on
            if not said:  # once a run, not at every evaluation
                log.warning("no NVML figures for %s", device, exc_info=True)
                said = True
            return None
        if stats is None:
            return None
        out = {}
        if stats.utilisation is not None:
            out["util"] = float(stats.utilisation)
        if stats.temperature is not None:
            out["temp"] = float(stats.temperature)
        if stats.power_w is not None:
            out["power"] = float(stats.power_w)
        return out or None

    return read
