"""``torch-tui train --ddp N``: the training run on N worker processes (DDPRunner).

Kept apart from ``train.py`` so the single-process path stays as it is. Prints one line
on what data parallelism does here, the same progress line as ``train``, then the JSON
summary (with world_size, global_batch and samples_per_s). The first ctrl+c stops every
worker at the same step and still prints the summary.
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
    from tui.cli.train import Progress
    from tui.core.distributed import DDPRunner

    stop = threading.Event()
    try:
        runner = DDPRunner(config, args.ddp, Progress(sys.stderr), stop=stop, threads=args.threads)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    print(
        f"data parallel: {runner.world_size} workers ({runner.backend}) on "
        f"{', '.join(runner.devices)}; global batch {runner.global_batch} "
        f"({config.batch_size} per worker)",
        file=sys.stderr,
        flush=True,
    )
    previous = signal.getsignal(signal.SIGINT)
    main_thread = threading.current_thread() is threading.main_thread()

    def on_sigint(signum, frame) -> None:  # first ctrl+c: stop every worker, keep the summary
        stop.set()
        signal.signal(signal.SIGINT, previous)

    if main_thread:
        signal.signal(signal.SIGINT, on_sigint)
    try:
        summary = runner.run()
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous)
    print(json.dumps(summary.to_dict()), flush=True)
    if summary.error:
        print(f"torch-tui: {summary.error}", file=sys.stderr)
        return 1
    return 0
