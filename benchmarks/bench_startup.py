"""Time to first frame and to "torch loaded", against baselines measured in the same run.

    python benchmarks/bench_startup.py [RUNS]

The first frame must come well before torch is imported (DESIGN.md: first frame first).
Baselines: bare imports, and the smallest Textual app (two labels and a footer) under the
same pty, which is the floor any Textual app's first frame stands on. Children run with
bytecode caching on (``PYTHONDONTWRITEBYTECODE`` unset) after one warm-up launch, as an
installed app would: compiling our modules from source costs ~0.1 s a launch.
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

RUNS = 9
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
MINIMAL_APP = """
from textual.app import App
from textual.widgets import Footer, Static

class Minimal(App):
    def compose(self):
        yield Static("Lessons")
        yield Static("REPL")
        yield Footer()

Minimal().run()
"""


def time_cmd(code: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=ENV)
    return time.perf_counter() - t


def time_minimal() -> float:
    run = PtyRun([sys.executable, "-c", MINIMAL_APP], env={**ENV, "TERM": "xterm-256color"})
    try:
        return run.read_until(lambda out: b"Lessons" in out and b"REPL" in out)
    finally:
        run.close()


def time_app() -> tuple[float, float, float]:
    home = tempfile.mkdtemp()
    run = PtyRun(
        [sys.executable, "-m", "tui"],
        env={**ENV, "TORCH_TUI_HOME": home, "TERM": "xterm-256color"},
    )
    try:
        first = run.read_until(lambda out: b"Lessons" in out and b"REPL" in out)
        # the lesson's key line and the REPL's prompt: both bodies mounted after frame 1
        usable = run.read_until(lambda out: b"n/p section" in out and b"In [1]" in out)
        ready = run.read_until(lambda out: b"torch 2." in out)
    finally:
        run.close()
    return first, usable, ready


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else RUNS
    python = statistics.median(time_cmd("pass") for _ in range(runs))
    textual = statistics.median(time_cmd("import textual.app") for _ in range(runs))
    torch = statistics.median(time_cmd("import torch") for _ in range(runs))
    time_minimal(), time_app()  # warm-up: bytecode caches written, files in the page cache
    # Interleaved, so a drift of the machine's speed hits both alike.
    minimal: list[float] = []
    apps: list[tuple[float, float, float]] = []
    for _ in range(runs):
        minimal.append(time_minimal())
        apps.append(time_app())
    floor = statistics.median(minimal)
    first, usable, ready = (statistics.median(a[i] for a in apps) for i in range(3))
    print(f"cores: {os.cpu_count()}, median of {runs} runs")
    print(f"{'what':42} {'seconds':>8} {'x import torch':>15}")
    for name, value in [
        ("python -c pass", python),
        ("python -c 'import textual.app'", textual),
        ("python -c 'import torch'", torch),
        ("smallest Textual app: first frame", floor),
        ("torch-tui: first frame painted", first),
        ("torch-tui: lesson and REPL prompt shown", usable),
        ("torch-tui: torch version shown", ready),
    ]:
        print(f"{name:42} {value:8.3f} {value / torch:15.2f}")
    verdict = "ok" if first < 0.5 else "SLOW"
    print(f"first frame {first:.3f} s (target < 0.5 s): {verdict}")
    ratios = sorted(a[0] / m for a, m in zip(apps, minimal, strict=True))
    print(
        f"first frame / smallest Textual app's, run by run: median "
        f"{statistics.median(ratios):.2f} (range {ratios[0]:.2f}-{ratios[-1]:.2f})"
    )


if __name__ == "__main__":
    main()
