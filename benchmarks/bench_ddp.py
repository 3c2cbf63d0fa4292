"""Data parallel scaling: steps/s and samples/s with DistributedDataParallel at N = 1 and 2.

    python benchmarks/bench_ddp.py [--steps 400] [--hidden 256,256] [--batch-size 128]
                                   [--device cpu] [--workers 1,2]

The baseline, measured in the same run, is the plain single-process loop a learner
writes (``training.bare_loop``, one thread) on the same model, data and per-worker batch.
Each DDP row trains ``--steps`` optimizer steps on N worker processes (gloo on cpu, nccl
on cuda); its speed counts training only (from the first step, after the workers have
started), and start-up (spawn, import torch, form the process group) is its own column.
Every worker processes ``batch-size`` samples a step, so the global batch is N times it:
samples/s is what data parallelism is for, steps/s what the synchronisation costs.
On cpu the workers share the machine's cores (this box has 2), so the ceiling is the
core count, not N; on a multi-GPU box each worker has its own GPU.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tui.training.config import TrainConfig
from tui.training.job import build_job  # noqa: E402
from tui.training.loop import bare_loop
from tui.training.parallel import DDPRunner  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--hidden", default="256,256")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--samples", type=int, default=8192)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    args = ap.parse_args()

    config = TrainConfig.from_mapping(
        {
            "dataset": "circles",
            "samples": args.samples,
            "hidden": args.hidden,
            "batch_size": args.batch_size,
            "steps": args.steps,
            "device": args.device,
        }
    )
    job = build_job(config)
    bare_loop(job, min(50, args.steps), threads=1)  # warm up
    base_sps = bare_loop(job, args.steps, threads=1)
    base_samples = base_sps * config.batch_size

    rows = [("single process, bare loop (baseline)", 1, base_sps, base_samples, None)]
    for n in [int(x) for x in args.workers.split(",") if x.strip()]:
        t0 = time.perf_counter()
        first: list[float] = []

        def on_report(report, first=first, t0=t0) -> None:
            if not first:
                first.append(time.perf_counter() - t0)

        summary = DDPRunner(config, n, on_report=on_report, threads=1).run()
        if summary.error:
            print(f"N={n}: {summary.error}", file=sys.stderr)
            return 1
        rows.append((f"DDP, {n} worker(s) ({summary.backend})", n, summary.steps_per_s,
                     summary.samples_per_s, first[0] if first else None))  # fmt: skip

    print(
        f"{args.steps} steps, MLP {args.hidden}, {args.batch_size} samples per worker per step,"
        f" {args.device}, {os.cpu_count()} cores"
    )
    print(
        f"{'what':38} {'N':>2} {'steps/s':>9} {'samples/s':>10} {'x baseline':>11} "
        f"{'start-up s':>10}"
    )
    for name, n, sps, samples, startup in rows:
        start = f"{startup:10.1f}" if startup is not None else f"{'':>10}"
        print(f"{name:38} {n:2d} {sps:9.0f} {samples:10.0f} {samples / base_samples:11.2f} {start}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
