"""One data-parallel worker process (rank): join the group, train a DDP replica, report.

Started by ``tui.training.parallel.DDPRunner`` (spawn). The worker leaves its parent's
process group first (``os.setpgrp``): inside the kernel a ctrl+c is a SIGINT to the
kernel's whole group, and it must interrupt the learner's cell, not kill the workers; they
stop when the runner sets ``stop_evt``, and exit on their own when the parent is gone.
Rank 0 reports through the same ``Reporter`` as the single-process ``Trainer``.
"""

from __future__ import annotations

import math
import os
import re
import signal
import sys
import threading
import time
from types import ModuleType
from typing import Any

from tui.training.config import TrainConfig, steps_per_epoch
from tui.training.job import Job, build_loss, build_model, build_optimizer, make_data
from tui.training.report import Reporter, Summary

SYNC_EVERY = 10  # steps between the ranks' agreement on stop/pause


def _watch_parent(ppid: int) -> None:
    """Exit when the parent is gone (killed hard): daemon workers must not be orphans, nor
    may anything they started (the worker leads its own process group)."""
    while True:
        time.sleep(0.5)
        if os.getppid() != ppid:
            if os.getpgrp() == os.getpid():
                os.killpg(os.getpid(), signal.SIGKILL)
            os._exit(3)


def worker(
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
    try:
        os.setpgrp()  # out of the parent's group: its SIGINT (a cell's ctrl+c) is not ours
    except OSError:
        pass
    # Started with SIGINT blocked (see distributed._sigint_blocked): ignore it, dropping
    # any ctrl+c that arrived meanwhile, then unblock. The runner stops us by stop_evt.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if quiet:  # the parent may be drawing a TUI on this terminal
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
    threading.Thread(target=_watch_parent, args=(ppid,), daemon=True).start()
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    if backend == "gloo" and "GLOO_SOCKET_IFNAME" not in os.environ:
        os.environ["GLOO_SOCKET_IFNAME"] = "lo0" if sys.platform == "darwin" else "lo"
    dist: ModuleType | None = None  # torch.distributed, once imported
    code = 0
    try:
        from datetime import timedelta

        import torch
        import torch.distributed

        dist = torch.distributed
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
        q.put(("error", rank, one_line(exc)))
        stop_evt.set()  # the others stop at their next agreement (or fail on the lost peer)
        code = 1
    finally:
        try:
            if dist is not None and dist.is_initialized() and code == 0:
                dist.destroy_process_group()
        except RuntimeError:  # torch.distributed's own errors (a peer already gone)
            pass
        q.close()
        q.join_thread()  # our messages are out; skip the slow interpreter teardown
    os._exit(code)


def one_line(exc: BaseException) -> str:
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
) -> Summary | None:  # fmt: skip
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
    reporter = None
    if rank == 0:
        decision = {"binary": "logit", "multiclass": "argmax", "regression": None}[config.spec.task]
        job = Job(
            model=model, X=Xd, y=yd, criterion=crit, optimizer=opt, device=device,
            total_steps=total, batch_size=bs, decision=decision, label="ddp", seed=config.seed,
        )  # fmt: skip
        reporter = Reporter(
            job, lambda report: q.put(("report", 0, report)), per_epoch, report_every,
            eval_every, grid, world_size=world, global_batch=bs * world, backend=backend,
        )  # fmt: skip

    def agree() -> tuple[bool, bool]:
        flags[0] = float(stop_evt.is_set())
        flags[1] = float(pause_evt.is_set())
        dist.all_reduce(flags, op=dist.ReduceOp.MAX)
        stop, pause = flags.tolist()
        return stop > 0, pause > 0

    stopped = False
    step = 0
    xs, ys = Xd, yd  # this rank's shuffled share, drawn at the first step of each epoch
    ddp.train()
    for step in range(1, total + 1):
        if (step - 1) % SYNC_EVERY == 0:
            stop, pause = agree()
            while pause and not stop:
                if reporter:
                    reporter.pause(step - 1)
                while pause_evt.is_set() and not stop_evt.is_set():
                    time.sleep(0.05)
                if reporter:
                    reporter.resume()
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
        return None
    reporter.flush(step, final=True, stopped=stopped)
    device_text = device if world == 1 else f"{world}x {device}"
    return reporter.summary(stopped, device_text)
