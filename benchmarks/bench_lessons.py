"""What lessons cost: parsing the curriculum, and exercise checks after every REPL cell.

Run: ``python benchmarks/bench_lessons.py``. Each figure is a ratio against a baseline
measured in the same run: parsing against just reading the files, and a cell with the
exercise hook (the 08 lesson's checks) against the same cell without it.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tui.core.exercises import ExerciseChecker, install  # noqa: E402
from tui.core.lessons import find_files, load_lesson, load_lessons, shipped_lessons_dir  # noqa: E402


def best_of(fn, repeat: int = 7, number: int = 20) -> float:
    """Median seconds per call."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def main() -> None:
    folder = shipped_lessons_dir()
    files = find_files(folder)
    read = best_of(lambda: [f.read_bytes() for f in files])
    parse = best_of(lambda: load_lessons([folder]))
    rows = [
        ("read the lesson files (baseline)", read, 1.0),
        ("load + parse all lessons", parse, parse / read),
    ]

    from tui.core.session import Session

    session = Session("cpu")
    lesson = load_lesson(folder / "08-pytorch-intro.md")
    cell = "x = torch.randn(64, 64) @ torch.randn(64, 64)"
    session.execute(cell)
    bare = best_of(lambda: session.execute(cell), repeat=5, number=50)
    checker = ExerciseChecker()
    checker.lesson = lesson
    install(session, checker)
    for block in lesson.blocks[:7]:  # the learner has run the lesson up to training
        session.execute(block.code)
    hooked = best_of(lambda: session.execute(cell), repeat=5, number=50)
    rows += [
        ("REPL cell, no exercise hook (baseline)", bare, 1.0),
        (f"REPL cell + {len(lesson.exercises)} exercise checks", hooked, hooked / bare),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'ms':>8}  {'ratio':>6}")
    for name, seconds, ratio in rows:
        print(f"{name:<{width}}  {seconds * 1000:8.3f}  {ratio:6.2f}")
    print(f"({len(files)} lesson files, {len(lesson.exercises)} exercises in 08-pytorch-intro)")


if __name__ == "__main__":
    main()
