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
* Rank 0 sends ``DDPReport``s (its own losses, plus the world size and global batch)
  through a multiprocessing queue; the parent hands them to ``on_report``.
* Stop and pause are multiprocessing Events; the ranks agree on them every
  ``SYNC_EVERY`` steps with one tiny all_reduce, so they all stop at the same step (a rank
  that stopped alone would leave the others waiting in an all_reduce forever).
* The parent watches every worker's sentinel: a worker that raises or dies is reported
  with its rank and error, the rest are stopped, and nothing hangs. All workers are
  daemons, are terminated in ``finally``, and exit by themselves if the parent vanishes.
"""

from __future__ import annotations

import math
import os
import queue as queue_mod
import re
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from tui.core.training import (
    ConfigError,
    Job,
    Report,
    ReportFn,
    Summary,
    TrainConfig,
    build_loss,
    build_model,
    build_optimizer,
    make_data,
    steps_per_epoch,
)

SYNC_EVERY = 10  # steps between the ranks' agreement on stop/pause
MAX_WORKERS = 64


@dataclass
class DDPReport(Report):
    """A training Report from rank 0, plus what data parallelism adds."""

    world_size: int = 1
    global_batch: int = 0
    backend: str = ""


@dataclass
class DDPSummary(Summary):
    world_size: int = 1
    global_batch: int = 0
    samples_per_s: float = 0.0
    backend: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["samples_per_s"] = round(self.samples_per_s, 1)
        return d


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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exit_text(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


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
        grid: tuple[int, int] = (24, 48),
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

    def _report(self, report: Report) -> None:
        try:
            self.on_report(report)
        except Exception:  # a broken receiver must not kill the run
            pass

    def _failed(self, error: str | None, started: float) -> DDPSummary:
        self._report(
            DDPReport(
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
        return DDPSummary(
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

    def run(self) -> DDPSummary:
        """Start the workers, relay their reports, and make sure they are all gone after."""
        import torch.multiprocessing as mp

        started = time.monotonic()
        ctx = mp.get_context("spawn")
        q = ctx.Queue()
        stop_evt, pause_evt = ctx.Event(), ctx.Event()
        port = free_port()
        procs = [
            ctx.Process(
                target=_worker,
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
        summary: DDPSummary | None = None
        try:
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

    def _watch(self, procs, q, stop_evt, pause_evt) -> tuple[str | None, DDPSummary | None]:
        ready: set[int] = set()
        summary: DDPSummary | None = None
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


# -- the worker process ------------------------------------------------------------------


def _watch_parent(ppid: int) -> None:
    """Exit when the parent is gone (killed hard): daemon workers must not be orphans."""
    while True:
        time.sleep(0.5)
        if os.getppid() != ppid:
            os._exit(3)


def _worker(
    rank: int,
    world: int,
    port: int,
    backend: str,
    config_dict: dict[str, Any],
    device: str,
    q,
    stop_evt,
    pause_evt,
    report_every: float,
    eval_every: float,
    grid: tuple[int, int],
    threads: int,
    fault: tuple[int, int, str] | None,
    quiet: bool,
    ppid: int,
) -> None:
    if quiet:  # the parent may be drawing a TUI on this terminal
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
    threading.Thread(target=_watch_parent, args=(ppid,), daemon=True).start()
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    if backend == "gloo" and "GLOO_SOCKET_IFNAME" not in os.environ:
        os.environ["GLOO_SOCKET_IFNAME"] = "lo0" if sys.platform == "darwin" else "lo"
    dist = None
    code = 0
    try:
        from datetime import timedelta

        import torch
        import torch.distributed as dist

        torch.set_num_threads(threads)
        if device.startswith("cuda"):
            torch.cuda.set_device(device)
        dist.init_process_group(backend, rank=rank, world_size=world, timeout=timedelta(seconds=60))
        q.put(("ready", rank, None))
        config = TrainConfig.from_mapping(config_dict)
        summary = _train(
            rank, world, backend, config, device, q, stop_evt, pause_evt, report_every,
            eval_every, grid, fault,
        )  # fmt: skip
        if rank == 0:
            q.put(("done", rank, summary))
    except BaseException as exc:  # noqa: BLE001 - report anything, then exit non-zero
        q.put(("error", rank, _one_line(exc)))
        stop_evt.set()  # the others stop at their next agreement (or fail on the lost peer)
        code = 1
    finally:
        try:
            if dist is not None and dist.is_initialized() and code == 0:
                dist.destroy_process_group()
        except Exception:
            pass
        q.close()
        q.join_thread()  # our messages are out; skip the slow interpreter teardown
    os._exit(code)


def _one_line(exc: BaseException) -> str:
    """The error in one line, without gloo's C++ source location and advice."""
    lines = str(exc).strip().splitlines()
    text = re.sub(r"\[[^\]]*\.(?:cc|cpp|h):\d+\]\s*", "", lines[0] if lines else "")
    text = text.split(". This is typically")[0]
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{type(exc).__name__}: {text}".rstrip(": ")


def _train(
    rank, world, backend, config, device, q, stop_evt, pause_evt, report_every, eval_every,
    grid, fault,
) -> DDPSummary:  # fmt: skip
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    X, y = make_data(config)
    n = len(X)
    per_rank = math.ceil(n / world)  # every rank gets as many samples (wrap to pad)
    bs = max(1, min(config.batch_size, per_rank))
    per_epoch = steps_per_epoch(per_rank, bs)
    total = config.steps if config.steps is not None else config.epochs * per_epoch
    model = build_model(config).to(device)
    ddp = DDP(model, device_ids=[torch.device(device).index] if backend == "nccl" else None)
    crit = build_loss(config)
    opt = build_optimizer(config, ddp.parameters())
    Xd, yd = X.to(device), y.to(device)
    gen = torch.Generator().manual_seed(config.seed)  # the same shuffle on every rank
    flags = torch.zeros(2, device=device)
    global_batch = bs * world
    reporter = _Rank0Reporter(
        q, config, model, crit, opt, Xd, yd, device, total, bs, per_epoch, world,
        global_batch, backend, report_every, eval_every, grid, pause_evt,
    ) if rank == 0 else None  # fmt: skip

    def agree() -> tuple[bool, bool]:
        flags[0] = float(stop_evt.is_set())
        flags[1] = float(pause_evt.is_set())
        dist.all_reduce(flags, op=dist.ReduceOp.MAX)
        stop, pause = flags.tolist()
        return stop > 0, pause > 0

    stopped = False
    step = 0
    xs = ys = None
    ddp.train()
    for step in range(1, total + 1):
        if (step - 1) % SYNC_EVERY == 0:
            stop, pause = agree()
            while pause and not stop:
                if reporter:
                    reporter.flush(step - 1, paused=True)
                while pause_evt.is_set() and not stop_evt.is_set():
                    time.sleep(0.05)
                if reporter:
                    reporter.resumed()
                stop, pause = agree()
            if stop:
                stopped, step = True, step - 1
                break
        i = (step - 1) % per_epoch
        if i == 0:
            perm = torch.randperm(n, generator=gen)
            idx = perm.repeat(math.ceil(per_rank * world / n))[: per_rank * world][rank::world]
            idx = idx.to(device)
            xs, ys = Xd[idx], yd[idx]
        xb, yb = xs[i * bs : (i + 1) * bs], ys[i * bs : (i + 1) * bs]
        loss = crit(ddp(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()  # DDP all-reduces (averages) the gradients here
        opt.step()
        if fault is not None and fault[0] == rank and fault[1] == step:
            if fault[2] == "exit":
                os._exit(7)
            raise RuntimeError(f"injected fault at step {step}")
        if reporter and not reporter.add(loss, step):
            stop_evt.set()  # NaN/Inf: every rank stops at the next agreement
    if reporter is None:
        return None  # type: ignore[return-value]
    reporter.flush(step, final=True, stopped=stopped)
    return reporter.summary(step, stopped)


class _Rank0Reporter:
    """Rank 0's side of the reports: batch the losses, evaluate now and then, send."""

    def __init__(
        self, q, config, model, crit, opt, X, y, device, total, bs, per_epoch, world,
        global_batch, backend, report_every, eval_every, grid, pause_evt,
    ) -> None:  # fmt: skip
        from tui.core.training import Trainer

        decision = {"binary": "logit", "multiclass": "argmax", "regression": None}[config.spec.task]
        job = Job(
            model=model, X=X, y=y, criterion=crit, optimizer=opt, device=device,
            total_steps=total, batch_size=bs, decision=decision, label="ddp", seed=config.seed,
        )  # fmt: skip
        self._eval = Trainer(job, grid=grid)  # its evaluation, on the unwrapped model
        self.q, self.device, self.total, self.per_epoch = q, device, total, per_epoch
        self.world, self.global_batch, self.backend = world, global_batch, backend
        self.report_every, self.eval_every = report_every, eval_every
        self.pending: list = []
        self.first = 1
        self.start = time.perf_counter()
        self.paused_for = 0.0
        self.paused_at: float | None = None
        self.last = self.start
        self.last_step = 0
        self.last_eval = -math.inf
        self.next = self.start + report_every
        self.final_loss: float | None = None
        self.accuracy: float | None = None
        self.error: str | None = None
        self.lr = float(opt.param_groups[0]["lr"])

    def active(self, now: float) -> float:
        return max(1e-9, now - self.start - self.paused_for)

    def resumed(self) -> None:
        if self.paused_at is not None:
            self.paused_for += time.perf_counter() - self.paused_at
            self.paused_at = None
        self.last = time.perf_counter()
        self.next = self.last + self.report_every

    def add(self, loss, step: int) -> bool:
        self.pending.append(loss.detach())
        now = time.perf_counter()
        if now >= self.next:
            self.next = now + self.report_every
            return self.flush(step)
        return True

    def flush(self, step: int, paused=False, final=False, stopped=False) -> bool:
        import numpy as np
        import torch

        if self.error is not None:
            return False
        now = time.perf_counter()
        if self.pending:
            losses = torch.stack(self.pending).float().cpu().numpy()
            self.pending.clear()
        else:
            losses = np.empty(0, dtype=np.float32)
        first = self.first
        self.first += len(losses)
        bad = np.flatnonzero(~np.isfinite(losses))
        error = None
        if len(bad):
            at = first + int(bad[0])
            kind = "NaN" if math.isnan(float(losses[bad[0]])) else "Inf"
            error = f"loss became {kind} at step {at}: training stopped; try a smaller lr (e.g. {self.lr / 10:g})"
            losses, step, final, self.error = losses[: bad[0]], at - 1, True, error
        if len(losses):
            self.final_loss = float(losses[-1])
        window = now - self.last
        rate = (step - self.last_step) / window if window > 0 else 0.0
        self.last, self.last_step = now, step
        elapsed = self.active(now)
        overall = step / elapsed
        eta = 0.0 if final else ((self.total - step) / overall if overall > 0 else None)
        boundary = memory = None
        if (final or now - self.last_eval >= self.eval_every) and error is None:
            self.last_eval = now
            try:
                self.accuracy, boundary = self._eval._evaluate()
            except Exception:
                boundary = None
        if self.device.startswith("cuda"):
            memory = (
                torch.cuda.memory_allocated(self.device),
                torch.cuda.memory_reserved(self.device),
            )
        if paused:
            self.paused_at = now
        report = DDPReport(
            first_step=first, losses=losses, step=step, total_steps=self.total,
            epoch=(step - 1) // self.per_epoch + 1 if step else 0, elapsed=elapsed,
            steps_per_s=max(0.0, overall if final else rate), eta=eta, accuracy=self.accuracy,
            memory=memory, boundary=boundary, paused=paused, final=final,
            stopped=stopped or error is not None, error=error, world_size=self.world,
            global_batch=self.global_batch, backend=self.backend,
        )  # fmt: skip
        self.q.put(("report", 0, report))
        return error is None

    def summary(self, step: int, stopped: bool) -> DDPSummary:
        elapsed = self.active(time.perf_counter())
        done = self.last_step
        rate = done / elapsed
        return DDPSummary(
            steps=done, steps_per_s=rate, final_loss=self.final_loss, accuracy=self.accuracy,
            device=self.device if self.world == 1 else f"{self.world}x {self.device}",
            elapsed=elapsed, stopped=stopped or self.error is not None, error=self.error,
            world_size=self.world, global_batch=self.global_batch,
            samples_per_s=rate * self.global_batch, backend=self.backend,
        )  # fmt: skip
