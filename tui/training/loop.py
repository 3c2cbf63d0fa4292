"""The training loop behind the dashboard and ``torch-tui train`` (no textual here).

A run is a ``Runner``: ``describe()`` says what it will train, ``run()`` trains in the
caller's thread and returns a ``Summary``, checking a ``stop`` and a ``pause`` Event every
step. ``Trainer`` runs one ``Job`` in this process; ``tui.training.parallel.DDPRunner``
runs a config on N worker processes. Both report through one ``Reporter``: each step's
loss stays on the device and the pending ones are fetched in one batch per report (no host
sync per step); ``on_report`` gets a ``Report`` of plain numpy / Python values at most
every ``report_every`` seconds, so its receiver never has to touch a tensor.

The settings live in ``tui.training.config`` (no torch), the job's building blocks in
``tui.training.job``; both are re-exported here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from tui.training.config import (
    steps_per_epoch,
)
from tui.training.job import (
    Job,
)
from tui.training.report import (
    BOUNDARY_GRID,
    Reporter,
    ReportFn,
    RunInfo,
    Summary,
)


class Runner(Protocol):
    """What the agent and the CLI drive: Trainer and DDPRunner alike."""

    stop: threading.Event
    pause: threading.Event

    def describe(self) -> RunInfo: ...

    def run(self) -> Summary: ...


def info_of(job: Job) -> RunInfo:
    spe = steps_per_epoch(len(job.X), job.batch_size)
    return RunInfo(
        job.label,
        job.device,
        job.total_steps,
        -(-job.total_steps // spe),
        job.two_d,
        job.lr,
        dict(job.config),
    )


def use_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads for the training thread; returns the count.

    ``None`` picks one core less than the machine has (at least one): on a 2-core box two
    OpenMP workers plus the UI thread oversubscribe the cores, and measured here a loaded
    2-thread pool runs the XOR net about 10x slower than one thread. ``0`` leaves torch be.
    """
    import os

    import torch

    if threads == 0:
        return torch.get_num_threads()
    if threads is None:
        threads = max(1, (os.cpu_count() or 1) - 1)
    torch.set_num_threads(threads)
    return threads


# -- the loop -----------------------------------------------------------------------


class Trainer:
    """Runs a Job in the calling thread; see the module docstring for the contract."""

    def __init__(
        self,
        job: Job,
        on_report: ReportFn | None = None,
        stop: threading.Event | None = None,
        pause: threading.Event | None = None,
        report_every: float = 0.1,
        eval_every: float = 1.0,
        grid: tuple[int, int] = BOUNDARY_GRID,
        gpu_stats: Callable[[], dict[str, float] | None] | None = None,
        threads: int | None = None,
        step_once: threading.Event | None = None,
        view: Callable[[], tuple[int, int] | None] | None = None,
    ) -> None:
        self.job = job
        #: While paused, each set of this Event runs exactly one batch, then reports.
        self.step_once = step_once or threading.Event()
        self.on_report = on_report or (lambda report: None)
        self.stop = stop or threading.Event()
        self.pause = pause or threading.Event()
        self.report_every = report_every
        self.eval_every = eval_every
        self.grid = grid
        self.gpu_stats = gpu_stats
        self.threads = threads
        #: The app's room for live pictures (the filters), None while it shows none.
        self.view = view
        self.reporter: Reporter | None = None

    def describe(self) -> RunInfo:
        return info_of(self.job)

    # The loop itself: keep it lean, it is what the benchmark compares with a bare loop.
    def run(self) -> Summary:
        import torch

        job = self.job
        use_threads(self.threads)
        model, crit, opt = job.model, job.criterion, job.optimizer
        X, y = job.X, job.y
        n = len(X)
        bs = max(1, min(job.batch_size, n))
        per_epoch = steps_per_epoch(n, bs)
        full = bs >= n
        total = job.total_steps
        gen = torch.Generator().manual_seed(job.seed)
        stop, pause = self.stop, self.pause
        rep = self.reporter = Reporter(
            job, self.on_report, per_epoch, self.report_every, self.eval_every, self.grid,
            self.gpu_stats, view=self.view,
        )  # fmt: skip
        pending = rep.pending
        clock = time.perf_counter
        sched, once = job.scheduler, self.step_once
        xs, ys = X, y
        step = 0
        single = False
        if job.source == "config" and job.config.get("dropout"):
            torch.manual_seed(job.seed)  # dropout's masks: the same run twice, and in train.py
        model.train()
        for step in range(1, total + 1):
            if stop.is_set():
                step -= 1
                break
            if pause.is_set():
                if not single:
                    rep.pause(step - 1)
                while pause.is_set() and not stop.is_set() and not once.is_set():
                    stop.wait(0.02)
                single = once.is_set() and pause.is_set()
                once.clear()
                if not single:
                    rep.resume()
                if stop.is_set():
                    step -= 1
                    break
            i = (step - 1) % per_epoch
            if full:
                xb, yb = xs, ys
            else:
                if i == 0:
                    perm = torch.randperm(n, generator=gen).to(job.device)
                    xs, ys = X[perm], y[perm]
                xb, yb = xs[i * bs : (i + 1) * bs], ys[i * bs : (i + 1) * bs]
            loss = crit(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            looks = single or step >= rep.next_step or clock() >= rep.next_report
            if looks:  # a report follows this step: keep the weights for its update ratio
                rep.before_step(step, single)
            opt.step()
            if sched is not None:
                sched.step()
            pending.append(loss.detach())
            if looks and not rep.flush(step, paused=single):
                break
        else:
            step = total
        stopped = step < total and rep.error is None
        rep.flush(step, final=True, stopped=stopped)  # a no-op after a NaN report
        return rep.summary(stopped)


def bare_loop(job: Job, steps: int, threads: int | None = None) -> float:
    """The plain loop a learner writes (no reports): the benchmark's baseline, steps/s."""
    import torch

    use_threads(threads)
    model, crit, opt, X, y = job.model, job.criterion, job.optimizer, job.X, job.y
    n = len(X)
    bs = max(1, min(job.batch_size, n))
    per_epoch = steps_per_epoch(n, bs)
    gen = torch.Generator().manual_seed(job.seed)
    xs, ys = X, y
    t0 = time.perf_counter()
    for step in range(steps):
        i = step % per_epoch
        if bs < n:
            if i == 0:
                perm = torch.randperm(n, generator=gen).to(job.device)
                xs, ys = X[perm], y[perm]
            xb, yb = xs[i * bs : (i + 1) * bs], ys[i * bs : (i + 1) * bs]
        else:
            xb, yb = xs, ys
        loss = crit(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    if job.device.startswith("cuda"):
        torch.cuda.synchronize(job.device)
    return steps / (time.perf_counter() - t0)
