"""Training inside the kernel: one worker thread per run, reports over the comm.

The thread is started from the subshell's context (``Agent.spawn``), so its reports
route like replies and stop/pause keep arriving while a cell runs. ``Trainer`` calls
``on_report`` at most every ~100 ms; each report is one comm message.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.core import protocol as p

if TYPE_CHECKING:
    from .server import Agent

REPL_NAMES = ("model", "X", "y", "criterion", "optimizer")


@dataclass
class _Handle:
    stop: threading.Event = field(default_factory=threading.Event)
    pause: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    job: Any = None


class TrainService:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.runs: dict[int, _Handle] = {}

    def start(self, msg: p.TrainStart) -> p.Ack:
        previous = [h for h in self.runs.values() if not h.done.is_set()]
        for h in previous:
            h.stop.set()
        handle = _Handle()
        self.runs[msg.run_id] = handle
        self.agent.spawn(lambda: self._run(msg, handle, previous), f"torch-tui-train-{msg.run_id}")
        return p.Ack(msg.id)

    def control(self, msg: p.TrainControl) -> p.Ack:
        handle = self.runs.get(msg.run_id)
        if handle is not None:
            if msg.action == "stop":
                handle.stop.set()
            elif msg.action == "pause":
                handle.pause.set()
            elif msg.action == "resume":
                handle.pause.clear()
        return p.Ack(msg.id)

    def stop_all(self) -> None:
        for handle in self.runs.values():
            handle.stop.set()

    def job_of(self, run_id: int) -> Any:
        handle = self.runs.get(run_id)
        return handle.job if handle is not None else None

    # -- the worker thread -------------------------------------------------------------
    def _run(self, msg: p.TrainStart, handle: _Handle, previous: list[_Handle]) -> None:
        send = self.agent.send
        cells = self.agent.cells
        try:
            for h in previous:  # the previous run must let go of its model first
                h.done.wait(10)
            if handle.stop.is_set():
                send(p.TrainEnded(msg.run_id, None, None))
                return
            from tui.core.training import ConfigError, Trainer, TrainConfig, steps_per_epoch

            try:
                config = TrainConfig.from_mapping(msg.config)
                job = self._build_job(msg.source, config)
            except ConfigError as exc:
                send(p.TrainEnded(msg.run_id, None, str(exc)))
                return
            except Exception as exc:  # torch or a driver failing: a message, not a crash
                send(p.TrainEnded(msg.run_id, None, f"could not start: {type(exc).__name__}: {exc}"))
                return
            handle.job = job
            spe = steps_per_epoch(len(job.X), job.batch_size)
            send(
                p.TrainBegun(
                    msg.run_id,
                    job.label,
                    job.device,
                    job.total_steps,
                    job.two_d,
                    job.lr,
                    dict(job.config),
                    epochs=-(-job.total_steps // spe),
                )
            )
            if msg.source == "repl":
                cells.training_model = job.model
            trainer = Trainer(
                job,
                on_report=lambda report: send(p.TrainReport(msg.run_id, report)),
                stop=handle.stop,
                pause=handle.pause,
            )
            try:
                summary = trainer.run()
            except Exception as exc:
                send(p.TrainEnded(msg.run_id, None, f"training failed: {type(exc).__name__}: {exc}"))
                return
            send(p.TrainEnded(msg.run_id, summary, summary.error))
        finally:
            if cells.training_model is handle.job and handle.job is not None:
                cells.training_model = None
            handle.done.set()

    def _build_job(self, source: str, config: Any) -> Any:
        from tui.core.training import build_job, job_from_namespace, steps_per_epoch

        if source != "repl":
            return build_job(config)
        ns = self.agent.shell.user_ns
        found = {k: ns[k] for k in REPL_NAMES if k in ns}
        x = found.get("X")
        n = len(x) if x is not None and hasattr(x, "__len__") else 1
        bs = config.batch_size
        steps = config.steps or config.epochs * steps_per_epoch(n, bs)
        return job_from_namespace(found, steps=steps, batch_size=bs, seed=config.seed)
