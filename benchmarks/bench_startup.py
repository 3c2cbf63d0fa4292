"""Start-up under a pty: the first frame, and ``In [1]`` usable (prompt shown, kernel ready).

    .venv/bin/python benchmarks/bench_startup.py [RUNS]

``python -m tui`` runs under a pseudo-terminal at 120x40 (benchmarks/_pty.py), as a user
starts it, with a fresh TORCH_TUI_HOME. Timed from the fork to:

* first frame: both pane titles ("Lessons", "REPL") written to the terminal;
* ``In [1]`` usable: the REPL's prompt on screen and the kernel ready (the status line's
  "torch 2." or the REPL log's "kernel ready").

Baselines, measured in the same run, each in a process of its own: the smallest Textual
app (two labels and a footer) under the same pty, which is the floor any Textual app's
first frame stands on, and ``python -c 'import torch'``, the least any torch REPL waits.
Children run with bytecode caching on after one warm-up launch, as an installed app would.

Targets: first frame <= 1.3x the smallest Textual app's (median of the run-by-run
ratios); ``In [1]`` usable <= ``import torch`` + 0.8 s (medians). A kernel restart to a
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
FIRST_FRAME_RATIO = 1.3
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


def time_minimal() -> float:
    run = PtyRun([sys.executable, "-c", MINIMAL_APP], env={**ENV, "TERM": "xterm-256color"})
    try:
        return run.read_until(lambda out: b"Lessons" in out and b"REPL" in out)
    finally:
        run.close()


def _usable(out: bytes) -> bool:
    return b"In [1]" in out and (b"torch 2." in out or b"kernel ready" in out)


def time_app() -> tuple[float, float]:
    home = tempfile.mkdtemp()
    run = PtyRun(
        [sys.executable, "-m", "tui"],
        env={**ENV, "TORCH_TUI_HOME": home, "TERM": "xterm-256color"},
    )
    try:
        first = run.read_until(lambda out: b"Lessons" in out and b"REPL" in out)
        usable = run.read_until(_usable, timeout=120)
    finally:
        run.close()
    return first, usable


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else RUNS
    python = statistics.median(time_cmd("pass") for _ in range(runs))
    textual = statistics.median(time_cmd("import textual.app") for _ in range(runs))
    time_minimal(), time_app()  # warm-up: bytecode caches written, files in the page cache
    # Interleaved, so a drift of the machine's speed hits all alike.
    minimal: list[float] = []
    torch: list[float] = []
    apps: list[tuple[float, float]] = []
    for _ in range(runs):
        minimal.append(time_minimal())
        torch.append(time_cmd("import torch"))
        apps.append(time_app())
    floor, torch_s = statistics.median(minimal), statistics.median(torch)
    first, usable = (statistics.median(a[i] for a in apps) for i in range(2))
    print(f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, median of {runs}")
    print(f"{'what':44} {'seconds':>8} {'x import torch':>15}")
    for name, value in [
        ("python -c pass", python),
        ("python -c 'import textual.app'", textual),
        ("python -c 'import torch' (baseline)", torch_s),
        ("smallest Textual app: first frame (baseline)", floor),
        ("torch-tui: first frame painted", first),
        ("torch-tui: In [1] usable (kernel ready)", usable),
    ]:
        print(f"{name:44} {value:8.3f} {value / torch_s:15.2f}")
    ratios = sorted(a[0] / m for a, m in zip(apps, minimal, strict=True))
    ratio = statistics.median(ratios)
    print(
        f"first frame / smallest Textual app's, run by run: median {ratio:.2f} "
        f"(range {ratios[0]:.2f}-{ratios[-1]:.2f}), target <= {FIRST_FRAME_RATIO}: "
        f"{'PASS' if ratio <= FIRST_FRAME_RATIO else 'FAIL'}"
    )
    print(
        f"In [1] usable {usable:.3f} s - import torch {torch_s:.3f} s = "
        f"{usable - torch_s:+.3f} s, target <= +{USABLE_MARGIN} s: "
        f"{'PASS' if usable <= torch_s + USABLE_MARGIN else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
