"""What checking the lessons costs: ``torch-tui lessons check`` against plain ``python``.

    .venv/bin/python benchmarks/bench_lessons.py [--runs 3] [FILE_OR_FOLDER ...]

Measured: the wall time of ``python -m tui lessons check --device cpu lessons/`` (one
fresh kernel per lesson, every block and exercise run as a cell, each exercise's check
run in the kernel), and of the lesson parse alone (``load_lessons``, in this process).

Baseline, measured in the same run: the same code run with plain ``python``, one process
per lesson (as the check starts one kernel per lesson). Each lesson becomes one script:
the names the kernel preloads (torch, nn, F, np, device), then every block, exercise
solution and exercise check in document order (a check runs in a copy of the globals, as
the real check does). The extraction is untimed; only the ``python`` runs are.

Target: none is set; the table gives the ratio, which is the price of one kernel per
lesson and of running each cell through the kernel's messaging.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui.lessons.document import Lesson  # noqa: E402
from tui.lessons.library import load_lessons  # noqa: E402

PREAMBLE = """\
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
device = torch.device("cpu")
"""


def plain_script(lesson: Lesson) -> str:
    parts = [PREAMBLE]
    for kind, item in lesson.items_in_order():
        if kind == "block":
            parts.append(item.code)
            continue
        if item.solution:
            parts.append(item.solution)
        if item.check.strip():
            parts.append(f"exec({item.check!r}, dict(globals()))")
    return "\n\n".join(parts) + "\n"


def time_check(paths: list[Path]) -> tuple[float, str]:
    argv = [sys.executable, "-m", "tui", "lessons", "check", "--device", "cpu", *map(str, paths)]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=1800)
    elapsed = time.perf_counter() - start
    summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    if done.returncode not in (0, 1):
        raise RuntimeError(f"lessons check exited {done.returncode}: {done.stderr[-1500:]}")
    return elapsed, summary


def time_plain(scripts: list[Path]) -> tuple[float, int]:
    start = time.perf_counter()
    failed = 0
    for script in scripts:
        done = subprocess.run(
            [sys.executable, str(script)], capture_output=True, cwd=script.parent, timeout=1800
        )
        failed += done.returncode != 0
    return time.perf_counter() - start, failed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("paths", nargs="*", type=Path, default=[ROOT / "lessons"])
    args = ap.parse_args()

    start = time.perf_counter()
    lessons = [ls for ls in load_lessons(args.paths) if not ls.broken]
    parse = time.perf_counter() - start
    folder = Path(tempfile.mkdtemp(prefix="bench-lessons-"))
    scripts = []
    for lesson in lessons:
        script = folder / f"{lesson.id}.py"
        script.write_text(plain_script(lesson))
        scripts.append(script)

    checks, plains, summary, failed = [], [], "", 0
    for _ in range(args.runs):  # interleaved, so a drift of the machine hits both alike
        elapsed, summary = time_check(args.paths)
        checks.append(elapsed)
        elapsed, failed = time_plain(scripts)
        plains.append(elapsed)
    check, plain = statistics.median(checks), statistics.median(plains)
    blocks = sum(len(ls.blocks) for ls in lessons)
    exercises = sum(len(ls.exercises) for ls in lessons)
    print(f"{len(lessons)} lessons, {blocks} blocks, {exercises} exercises; median of {args.runs}")
    print(f"{'what':50} {'seconds':>8} {'x plain':>8}")
    for name, value in [
        ("plain python, one process per lesson (baseline)", plain),
        ("torch-tui lessons check", check),
        ("parse every lesson (load_lessons)", parse),
    ]:
        print(f"{name:50} {value:8.3f} {value / plain:8.2f}")
    print(f"lessons check said: {summary}")
    if failed:
        print(f"({failed} plain script(s) failed: the lessons need what only IPython gives)")
    extra = check - plain
    print(f"lessons check - plain python: {extra:+.2f} s ({extra / len(lessons):+.2f} s a lesson)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
