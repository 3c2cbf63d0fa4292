"""Time to first frame and to "torch loaded", against bare imports measured in the same run.

    python benchmarks/bench_startup.py

The first frame must come well before torch is imported (DESIGN.md: first frame first).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _pty import PtyRun  # noqa: E402

RUNS = 5


def time_cmd(code: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t


def time_app() -> tuple[float, float]:
    home = tempfile.mkdtemp()
    run = PtyRun(
        [sys.executable, "-m", "tui"],
        env={"TORCH_TUI_HOME": home, "TERM": "xterm-256color"},
    )
    try:
        first = run.read_until(lambda out: b"Lessons" in out and b"REPL" in out)
        ready = run.read_until(lambda out: b"torch 2." in out)
    finally:
        run.close()
    return first, ready


def main() -> None:
    python = statistics.median(time_cmd("pass") for _ in range(RUNS))
    textual = statistics.median(time_cmd("import textual.app") for _ in range(RUNS))
    torch = statistics.median(time_cmd("import torch") for _ in range(RUNS))
    apps = [time_app() for _ in range(RUNS)]
    first = statistics.median(a[0] for a in apps)
    ready = statistics.median(a[1] for a in apps)
    print(f"cores: {os.cpu_count()}, median of {RUNS} runs")
    print(f"{'what':38} {'seconds':>8} {'x import torch':>15}")
    for name, value in [
        ("python -c pass", python),
        ("python -c 'import textual.app'", textual),
        ("python -c 'import torch'", torch),
        ("torch-tui: first frame painted", first),
        ("torch-tui: torch version shown", ready),
    ]:
        print(f"{name:38} {value:8.3f} {value / torch:15.2f}")
    verdict = "ok" if first < 0.5 else "SLOW"
    print(f"first frame {first:.3f} s (target < 0.5 s): {verdict}")


if __name__ == "__main__":
    main()
