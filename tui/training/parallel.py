"""Data parallel training with torch.distributed: N worker processes, one model replica each.

``DDPRunner`` is used exactly like ``training.Trainer``: build it with ``on_report``, a
``stop`` and a ``pause`` ``threading.Event``, call ``run()`` in a worker thread, get a
``Summary`` back. Under it:

* N processes start with torch.multiprocessing (spawn), meet at MASTER_ADDR=127.0.0.1 on
  a free port, and form a process group: nccl on CUDA (rank r uses ``cuda:k+r`` when the
  config says ``cuda:k``), gloo on cpu (a laptop can run 2 workers to see how it works).
* Each rank builds the same model (same seed) wrapped in DistributedDataParallel and
  trains on its own shard of every epoch's shuffle; DDP averages the gradients, so all
  replicas take the same step. ``batch_size`` is per worker: the global batch is
  ``batch_size * N``.
* Rank 0 reports through the same ``Reporter`` as the single-process ``Trainer`` (its own
  losses, plus the world size and global batch) over a multiprocessing queue; the parent
  hands each ``Report`` to ``on_report``.
* Each worker (``tui.training.parallel_worker``) leaves the parent's process group, so a SIGINT to
  the kernel's group (a cell's ctrl+c) never reaches it; it stops by ``stop`` only.
* Stop and pause are multiprocessing Events; the ranks agree on them every
  ``SYNC_EVERY`` steps with one tiny all_reduce, so they all stop at the same step (a rank
  that stopped alone would leave the others waiting in an all_reduce forever).
* The parent watches every worker's sentinel: a worker that raises or dies is reported
  with its rank and error, the rest are stopped, and nothing hangs. All workers are
  daemons, are terminated in ``finally``, and exit by themselves if the parent vanishes.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import queue as queue_mod
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator

from tui.platform.devices import usable_cores
from tui.platform.exits import exit_text
from tui.training.config import ConfigError, TrainConfig, steps_per_epoch
from tui.training.job import Job, make_data
from tui.training.loop import info_of
from tui.training.parallel_worker import SYNC_EVERY  # noqa: F401 - part of the contract
from tui.training.report import BOUNDARY_GRID, Report, ReportFn, RunInfo, Summary

log = logging.getLogger(__name__)

MAX_WORKERS = 64


def backend_for(device: str) -> str:
    if device.startswith("cuda"):
        return "nccl"
    if device == "cpu":
        return "gloo"
    raise ConfigError(f"data parallel runs on cpu (gloo) or cuda (nccl), not {device}")


def worker_devices(device: str, world_size: int) -> list[str]:
    """The device of each rank; checks that there are enough GPUs. Imports torch for cuda."""
    if not 1 <= world_size <= MAX_WORKERS:
        raise ConfigError(f"--ddp needs 1 to {MAX_WORKERS} workers, got {world_size}")
    backend_for(device)
    if device == "cpu":
        cores = usable_cores()
        if world_size > cores:
            raise ConfigError(
                f"--ddp {world_size} on cpu runs {world_size} worker processes on "
                f"{cores} core(s): they would crawl or stall at the first step; "
                f"use --ddp {cores} or fewer"
            )
        return ["cpu"] * world_size
    import torch

    first = int(device.split(":")[1]) if ":" in device else 0
    have = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if first + world_size > have:
        raise ConfigError(
            f"{world_size} workers from {device} need cuda:{first}..cuda:{first + world_size - 1}"
            f", but {have} GPU(s) are visible; use fewer workers or --device cpu"
        )
    return [f"cuda:{first + r}" for r in range(world_size)]


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Start workers with SIGINT blocked: the mask survives exec, so a ctrl+c at the
    terminal while a worker is still importing torch cannot kill it (it ignores SIGINT
    before unblocking, and stops by ``stop`` only)."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:
        yield
        return
    old = mask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, old)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DDPRunner:
    """Train ``config`` on ``world_size`` processes; same callback shape as ``Trainer``.

    ``fault=(rank, step, "raise"|"exit")`` makes that rank fail at that step: for tests
    and for the lesson, to see what a dying worker looks like.
    """

    def __init__(
        self,
        config: TrainConfig,
        world_size: int,
        on_report: ReportFn | None = None,
        stop: threading.Event | None = None,
        pause: threading.Event | None = None,
        report_every: float = 0.1,
        eval_every: float = 1.0,
        grid: tuple[int, int] = BOUNDARY_GRID,
        threads: int | None = None,
        start_timeout: float = 120.0,
        stop_grace: float = 10.0,
        fault: tuple[int, int, str] | None = None,
        quiet: bool = True,
    ) -> None:
        self.config = config
        self.world_size = world_size
        self.backend = backend_for(config.device)
        self.devices = worker_devices(config.device, world_size)
        self.on_report = on_report or (lambda report: None)
        self._said = False  # a failing report is logged once a run
        self.stop = stop or threading.Event()
        self.pause = pause or threading.Event()
        self.report_every = report_every
        self.eval_every = eval_every
        self.grid = grid
        cores = os.cpu_count() or 1
        # One OpenMP thread per worker unless told: the processes are the parallelism, and
        # oversubscribed OpenMP pools (N workers x M threads > cores) run many times slower.
        self.threads = threads or max(1, cores // (2 * world_size))
        self.start_timeout = start_timeout
        self.stop_grace = stop_grace
        self.fault = fault
        self.quiet = quiet
        self.global_batch = config.batch_size * world_size
        self.pids: list[int] = []  # the workers' pids, for tests and the curious

    def display_job(self) -> Job:
        """What the UI shows about this run before the workers report: one rank's share of
        the data (for steps per epoch and the boundary view), no model. Imports torch."""
        X, y = make_data(self.config)
        per_rank = math.ceil(len(X) / self.world_size)
        bs = max(1, min(self.config.batch_size, per_rank))
        steps = self.config.steps or self.config.epochs * steps_per_epoch(per_rank, bs)
        decision = {"binary": "logit", "multiclass": "argmax", "regression": None}[
            self.config.spec.task
        ]
        hidden = "-".join(str(h) for h in self.config.hidden) or "linear"
        return Job(
            model=None,
            X=X[:per_rank],
            y=y[:per_rank],
            criterion=None,
            optimizer=None,
            device=f"{self.config.device} ({self.backend})",
            total_steps=steps,
            batch_size=bs,
            decision=decision,
            label=f"{self.config.dataset} {hidden} DDPx{self.world_size}",
            seed=self.config.seed,
            config={**self.config.to_dict(), "ddp_workers": self.world_size},
        )

    def describe(self) -> RunInfo:
        return info_of(self.display_job())

    def _report(self, report: Report) -> None:
        try:
            self.on_report(report)
        except Exception:  # noqa: BLE001 - a broken receiver must not kill the run
            if not self._said:
                log.warning("a data-parallel run's report failed (said once)", exc_info=True)
                self._said = True

    def _failed(self, error: str | None, started: float) -> Summary:
        self._report(
            Report(
                first_step=0,
                losses=_empty(),
                step=0,
                total_steps=0,
                epoch=0,
                elapsed=time.monotonic() - started,
                steps_per_s=0.0,
                eta=None,
                final=True,
                stopped=True,
                error=error,
                world_size=self.world_size,
                global_batch=self.global_batch,
                backend=self.backend,
            )
        )
        return Summary(
            steps=0,
            steps_per_s=0.0,
            final_loss=None,
            accuracy=None,
            device=self.config.device,
            elapsed=time.monotonic() - started,
            stopped=True,
            error=error,
            world_size=self.world_size,
            global_batch=self.global_batch,
            backend=self.backend,
        )

    def run(self) -> Summary:
        """Start the workers, relay their reports, and make sure they are all gone after."""
        import torch.multiprocessing as mp

        from tui.training.parallel_worker import worker

        started = time.monotonic()
        main = sys.modules.get("__main__")
        if main is not None and not hasattr(main, "__spec__"):
            # IPython's interactive __main__ (in the kernel) lacks the attribute spawn reads;
            # a plain interpreter's interactive __main__ has it as None: nothing to import.
            main.__spec__ = None
        ctx = mp.get_context("spawn")
        q = ctx.Queue()
        stop_evt, pause_evt = ctx.Event(), ctx.Event()
        port = free_port()
        procs = [
            ctx.Process(
                target=worker,
                name=f"torch-tui-ddp-rank{r}",
                daemon=True,
                args=(
                    r,
                    self.world_size,
                    port,
                    self.backend,
                    self.config.to_dict(),
                    self.devices[r],
                    q,
                    stop_evt,
                    pause_evt,
                    self.report_every,
                    self.eval_every,
                    self.grid,
                    self.threads,
                    self.fault,
                    self.quiet,
                    os.getpid(),
                ),
            )
            for r in range(self.world_size)
        ]
        error: str | None = None
        summary: Summary | None = None
        try:
            with _sigint_blocked():
                for p in procs:
                    p.start()
            self.pids = [p.pid for p in procs if p.pid is not None]
            error, summary = self._watch(procs, q, stop_evt, pause_evt)
        finally:
            _shutdown(procs, stop_evt)
            self._last_exitcodes = [p.exitcode for p in procs]
            q.close()
            q.cancel_join_thread()
        if error is not None:
            return self._failed(error, started)
        if summary is None and self.stop.is_set():  # stopped before training began
            return self._failed(None, started)
        if summary is None:
            return self._failed("rank 0 ended without a summary", started)
        return summary

    def _watch(self, procs, q, stop_evt, pause_evt) -> tuple[str | None, Summary | None]:
        ready: set[int] = set()
        summary: Summary | None = None
        error: str | None = None
        told: dict[int, str] = {}  # rank -> the error it sent
        start_deadline = time.monotonic() + self.start_timeout
        stop_since: float | None = None

        def handle(msg: tuple) -> None:
            nonlocal summary, error
            kind, rank, payload = msg
            if kind == "ready":
                ready.add(rank)
            elif kind == "report":
                self._report(payload)
            elif kind == "done":
                summary = payload
            elif kind == "error":
                told.setdefault(rank, payload)
                if error is None:
                    error = f"worker rank {rank} failed: {payload}"

        while True:
            if self.stop.is_set() and not stop_evt.is_set():
                stop_evt.set()
            if self.pause.is_set() != pause_evt.is_set():
                (pause_evt.set if self.pause.is_set() else pause_evt.clear)()
            try:
                handle(q.get(timeout=0.05))
                while True:  # drain what is already there
                    handle(q.get_nowait())
            except queue_mod.Empty:
                pass
            except (EOFError, OSError):
                pass
            codes = [p.exitcode for p in procs]
            if error is None:
                for rank, code in enumerate(codes):
                    if code not in (None, 0):
                        _drain(q, handle)  # its own message says more than its exit code
                        if error is None:
                            error = f"worker rank {rank} died ({exit_text(code)})"
                        break
            if error is not None:
                return self._root_cause(procs, told, error, q, handle), None
            if all(code is not None for code in codes):
                _drain(q, handle)
                return error, summary
            now = time.monotonic()
            if len(ready) < len(procs) and now > start_deadline:
                missing = sorted(set(range(len(procs))) - ready)
                return (
                    f"workers {missing} did not join the process group within "
                    f"{self.start_timeout:.0f} s",
                    None,
                )
            if stop_evt.is_set() and len(ready) < len(procs):
                return None, None  # stopped while starting: nothing to wait for
            if stop_evt.is_set():
                stop_since = stop_since or now
                if now - stop_since > self.stop_grace:
                    return f"workers did not stop within {self.stop_grace:.0f} s", None

    @staticmethod
    def _root_cause(procs, told: dict[int, str], error: str, q, handle, settle=1.0) -> str:
        """A rank that died without a word (a crash) is why its peers' all_reduce failed:
        name it first rather than the peer's "connection reset" that arrived sooner."""
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline:
            exited = [p.exitcode for p in procs]
            _drain(q, handle, wait=0.0)  # a worker's message is sent before it exits
            for rank, p in enumerate(procs):
                if exited[rank] not in (None, 0) and rank not in told:
                    first = f"worker rank {rank} died ({exit_text(p.exitcode)})"
                    return first if first == error else f"{first}; then {error}"
            time.sleep(0.05)
        return error


def _drain(q, handle, wait: float = 0.2) -> None:
    try:
        while True:
            handle(q.get(timeout=wait) if wait else q.get_nowait())
    except (queue_mod.Empty, EOFError, OSError):
        pass


def _shutdown(procs, stop_evt, grace: float = 5.0) -> None:
    """Ask, then terminate, then kill: no worker outlives the run."""
    stop_evt.set()
    deadline = time.monotonic() + grace
    for p in procs:
        if p.pid is None:
            continue
        p.join(timeout=max(0.0, deadline - time.monotonic()))
    for p in procs:
        if p.pid is not None and p.is_alive():
            p.terminate()
    for p in procs:
        if p.pid is not None:
            p.join(timeout=2)
            if p.is_alive():
                p.kill()
                p.join(timeout=2)


def _empty():
    import numpy as np

    return np.empty(0, dtype=np.float32)
