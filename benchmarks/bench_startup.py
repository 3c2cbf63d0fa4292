"""Time to first frame and to "torch loaded", against baselines measured in the same run.

    python benchmarks/bench_startup.py

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

RUNS = 5
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


def time_app() -> tuple[float, float]:
    home = tempfile.mkdtemp()
    run = PtyRun(
        [sys.executable, "-m", "tui"],
        env={**ENV, "TORCH_TUI_HOME": home, "TERM": "xterm-256color"},
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
    time_minimal(), time_app()  # warm-up: bytecode caches written, files in the page cache
    minimal = statistics.median(time_minimal() for _ in range(RUNS))
    apps = [time_app() for _ in range(RUNS)]
    first = statistics.median(a[0] for a in apps)
    ready = statistics.median(a[1] for a in apps)
    print(f"cores: {os.cpu_count()}, median of {RUNS} runs")
    print(f"{'what':38} {'seconds':>8} {'x import torch':>15}")
    for name, value in [
        ("python -c pass", python),
        ("python -c 'import textual.app'", textual),
        ("python -c 'import torch'", torch),
        ("smallest Textual app: first frame", minimal),
        ("torch-tui: first frame painted", first),
        ("torch-tui: torch version shown", ready),
    ]:
        print(f"{name:38} {value:8.3f} {value / torch:15.2f}")
    verdict = "ok" if first < 0.5 else "SLOW"
    print(f"first frame {first:.3f} s (target < 0.5 s): {verdict}")
    print(f"first frame / smallest Textual app's: {first / minimal:.2f}")


if __name__ == "__main__":
    main()
