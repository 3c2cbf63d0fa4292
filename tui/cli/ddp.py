"""``torch-tui train --ddp N``: the training run on N worker processes (DDPRunner).

Kept apart from ``train.py`` so the single-process path stays as it is. Prints one line
on what data parallelism does here, the same progress line as ``train``, then the JSON
summary (with world_size, global_batch and samples_per_s). The first ctrl+c stops every
worker at the same step, still prints the summary and exits 130; a second one leaves at
once (the workers are still ended: ``DDPRunner.run``'s ``finally``, or their watch on us).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from tui.core.training import ConfigError, TrainConfig


def run_ddp(config: TrainConfig, args: argparse.Namespace) -> int:
    from tui.cli import UsageError
    from tui.cli.train import Progress, check_memory, exit_code, one_line
    from tui.core.distributed import DDPRunner

    stop = threading.Event()
    try:
        runner = DDPRunner(config, args.ddp, Progress(sys.stderr), stop=stop, threads=args.threads)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    check_memory(config, runner.world_size)
    previous = signal.getsignal(signal.SIGINT)
    main_thread = threading.current_thread() is threading.main_thread()

    def on_sigint(signum, frame) -> None:  # first ctrl+c: stop every worker, keep the summary
        stop.set()
        signal.signal(signal.SIGINT, previous)

    if main_thread:  # before the line below: a ctrl+c right after it stops cleanly
        signal.signal(signal.SIGINT, on_sigint)
    print(
        f"data parallel: {runner.world_size} workers ({runner.backend}) on "
        f"{', '.join(runner.devices)}; global batch {runner.global_batch} "
        f"({config.batch_size} per worker)",
        file=sys.stderr,
        flush=True,
    )
    try:
        summary = runner.run()
    except Exception as exc:  # torch or the OS failing in the parent: one line
        print(f"torch-tui: data parallel failed: {one_line(exc)}", file=sys.stderr)
        return 1
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous)
    print(json.dumps(summary.to_dict()), flush=True)
    return exit_code(summary, stop.is_set())
