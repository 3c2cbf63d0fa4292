"""Start-up under a pty: the first frame, and ``In [1]`` usable (prompt shown, kernel ready).

    .venv/bin/python benchmarks/bench_startup.py [RUNS]

``python -m tui`` runs under a pseudo-terminal (benchmarks/_pty.py) at 120x40 and at
160x48, as a user starts it, with a fresh TORCH_TUI_HOME. Timed from the fork to:

* first frame: a whole one: both pane titles ("Lessons", "REPL"), the footer's keys (its
  "^p palette") and, for torch-tui, the first lesson's first screen (its title and first
  line of prose) written to the terminal;
* ``In [1]`` usable: the REPL's prompt on screen and the kernel ready (the status line's
  "torch 2." or the REPL log's "kernel ready").

Baselines, measured in the same run, each in a process of its own: the smallest Textual
app (two labels and a footer) under the same pty and size, timed to the same text, which is the floor any Textual app's
first frame stands on, and ``python -c 'import torch'``, the least any torch REPL waits.
Children run with bytecode caching on after one warm-up launch, as an installed app would.

Also printed: the titles and the footer alone (what the smallest app shows), as the
issue's "footer on screen" line reads.

Targets: first frame <= 1.5x the smallest Textual app's at each size (median of the
run-by-run ratios; 1.3x is the aim); ``In [1]`` usable <= ``import torch`` + 0.8 s (medians). A kernel restart to a
usable prompt (ctrl+n) is measured by bench_repl.py.
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
FIRST_FRAME_RATIO = 1.5
SIZES = ((120, 40), (160, 48))
#: The first lesson's first screen (a fresh home opens the course's first lesson).
LESSON = (b"Neural Networks from Scratch", b"A neural network is a function")
USABLE_MARGIN = 0.8
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


def _whole_frame(out: bytes) -> bool:
    """The panes' titles and the footer's keys are on the terminal."""
    return b"Lessons" in out and b"REPL" in out and b"palette" in out


def time_minimal(size: tuple[int, int]) -> float:
    run = PtyRun([sys.executable, "-c", MINIMAL_APP], *size, env={**ENV, "TERM": "xterm-256color"})
    try:
        return run.read_until(_whole_frame)
    finally:
        run.close()


def _usable(out: bytes) -> bool:
    return b"In [1]" in out and (b"torch 2." in out or b"kernel ready" in out)


def time_app(size: tuple[int, int]) -> tuple[float, float, float]:
    """Seconds to the whole first frame, to the titles and the footer (what the
    smallest app shows), and to ``In [1]`` usable."""
    home = tempfile.mkdtemp()
    run = PtyRun(
        [sys.executable, "-m", "tui"],
        *size,
        env={**ENV, "TORCH_TUI_HOME": home, "TERM": "xterm-256color"},
    )
    try:
        footer = run.read_until(_whole_frame)
        first = run.read_until(lambda out: _whole_frame(out) and all(t in out for t in LESSON))
        usable = run.read_until(_usable, timeout=120)
    finally:
        run.close()
    return first, footer, usable


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else RUNS
    python = statistics.median(time_cmd("pass") for _ in range(runs))
    textual = statistics.median(time_cmd("import textual.app") for _ in range(runs))
    for size in SIZES:  # warm-up: bytecode caches written, files in the page cache
        time_minimal(size), time_app(size)
    # Interleaved, so a drift of the machine's speed hits all alike.
    minimal: dict[tuple[int, int], list[float]] = {size: [] for size in SIZES}
    apps: dict[tuple[int, int], list[tuple[float, float, float]]] = {size: [] for size in SIZES}
    torch: list[float] = []
    for _ in range(runs):
        torch.append(time_cmd("import torch"))
        for size in SIZES:
            minimal[size].append(time_minimal(size))
            apps[size].append(time_app(size))
    torch_s = statistics.median(torch)
    print(f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, median of {runs}")
    rows = [
        ("python -c pass", python),
        ("python -c 'import textual.app'", textual),
        ("python -c 'import torch' (baseline)", torch_s),
    ]
    for size in SIZES:
        at = f"{size[0]}x{size[1]}"
        rows += [
            (
                f"smallest Textual app, whole frame, {at} (baseline)",
                statistics.median(minimal[size]),
            ),
            (f"torch-tui: whole first frame, {at}", statistics.median(a[0] for a in apps[size])),
            (f"torch-tui: titles and footer, {at}", statistics.median(a[1] for a in apps[size])),
            (f"torch-tui: In [1] usable, {at}", statistics.median(a[2] for a in apps[size])),
        ]
    print(f"{'what':52} {'seconds':>8} {'x import torch':>15}")
    for name, value in rows:
        print(f"{name:52} {value:8.3f} {value / torch_s:15.2f}")
    for size in SIZES:
        for index, what in ((1, "titles and footer"), (0, "whole first frame")):
            pairs = zip(apps[size], minimal[size], strict=True)
            ratios = sorted(a[index] / m for a, m in pairs)
            ratio = statistics.median(ratios)
            print(
                f"{size[0]}x{size[1]}: {what} / smallest Textual app's, run by run: "
                f"median {ratio:.2f} (range {ratios[0]:.2f}-{ratios[-1]:.2f}), target <= "
                f"{FIRST_FRAME_RATIO}: {'PASS' if ratio <= FIRST_FRAME_RATIO else 'FAIL'}"
            )
    usable = statistics.median(a[2] for size in SIZES for a in apps[size])
    print(
        f"In [1] usable {usable:.3f} s - import torch {torch_s:.3f} s = "
        f"{usable - torch_s:+.3f} s, target <= +{USABLE_MARGIN} s: "
        f"{'PASS' if usable <= torch_s + USABLE_MARGIN else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
