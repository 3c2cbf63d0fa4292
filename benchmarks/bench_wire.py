"""Bytes on the wire: what torch-tui writes to its terminal, measured under a pty at 120x40.

    .venv/bin/python benchmarks/bench_wire.py [--seconds 10] [--cols 120] [--rows 40]
        [--view curve|boundary]

Runs ``torch-tui`` in a pseudo-terminal (TORCH_TUI_HOME in a temp dir,
COLORTERM=truecolor), waits until the kernel is ready and the screen has settled, focuses
the REPL (F3), then counts the bytes the app writes:

* idle: nothing happening (target <= 1 KB/s);
* printing: a cell in the REPL printing a line every 10 ms (no target: the ratio to the
  same loop in plain ``python`` is reported);
* training: F5 pressed, the live loss curve drawing (target <= 20 KB/s); with
  ``--view boundary`` the dashboard shows the decision boundary instead (F4, v);
* the same with ``--low-bandwidth`` (target < 5 KB/s while training);
* pictures (without ``--low-bandwidth``): the bytes a 28x28 heatmap (``show``) and a
  matplotlib plot cost when first drawn in the REPL log (target ~30 KB), then the bytes/s
  while they stay on screen unchanged (target 0). A cell ``1+1`` runs first, its bytes
  reported apart: the session's first exercise checks fill the lesson's cards, which
  repaints the lesson pane once, whatever the cell draws.

Baselines, measured in the same run under the same pty, each a plain program in its own
process: the printing loop run by plain ``python``, and a naive loop that redraws a
plotext loss curve ten times a second (for training).
``tests/test_wire.py`` uses ``PtyApp`` and ``start_app`` from here for a short idle check.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
F5 = b"\x1b[15~"  # what Textual parses as F5 (xterm); the linux console sends \x1b[[E
F3 = b"\x1bOR"
F4 = b"\x1bOS"
CTRL_C = b"\x03"
CTRL_Q = b"\x11"
#: One line a learner might type: prints a line every 10 ms until interrupted.
PRINTING = (
    "import itertools, time; [print('tick', i) or time.sleep(0.01) for i in itertools.count()]"
)

NAIVE_PLOT = """
import math, sys, time
import plotext as plt
ys = []
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    ys.append(math.exp(-len(ys) / 300) + 0.05 * math.sin(len(ys)))
    plt.clf(); plt.plot(ys); plt.plotsize(118, 38); plt.title("loss")
    sys.stdout.write("\\x1b[H" + plt.build()); sys.stdout.flush()
    time.sleep(0.1)
"""


class PtyApp:
    """A child process on a pty of a given size, with every byte it writes timestamped."""

    def __init__(
        self,
        argv: list[str],
        cols: int = 120,
        rows: int = 40,
        env: dict[str, str] | None = None,
    ) -> None:
        self.chunks: list[tuple[float, int]] = []
        self.text = bytearray()
        self._lock = threading.Lock()
        full_env = {**os.environ, "TERM": "xterm-256color", **(env or {})}
        pid, fd = pty.fork()
        if pid == 0:  # child: size the terminal, then become the program
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.chdir(ROOT)
                os.execve(argv[0], argv, full_env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.returncode: int | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.5)
                if not ready:
                    if self.poll() is not None:
                        return
                    continue
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.chunks.append((time.monotonic(), len(data)))
                self.text += data

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def wait_for(self, needle: bytes, timeout: float, since: int = 0) -> bool:
        """Wait until ``needle`` has appeared in the output from byte ``since`` on (False
        on timeout or exit)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.text.find(needle, since) >= 0:
                    return True
            if self.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def wait_quiet(self, gap: float = 0.5, timeout: float = 10.0) -> None:
        """Wait until nothing has been written for ``gap`` seconds (or ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                last = self.chunks[-1][0] if self.chunks else 0.0
            if time.monotonic() - last >= gap:
                return
            time.sleep(0.05)

    def send_and_settle(self, data: bytes, gap: float = 1.0, timeout: float = 15.0) -> None:
        """Send ``data``, wait until the app starts answering it, then until it is quiet."""
        with self._lock:
            seen = len(self.chunks)
        self.send(data)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.chunks) > seen:
                    break
            time.sleep(0.02)
        self.wait_quiet(gap=gap, timeout=max(0.0, deadline - time.monotonic()))

    def rate(self, seconds: float) -> float:
        """Bytes per second written over the next ``seconds``."""
        t0 = time.monotonic()
        time.sleep(seconds)
        t1 = time.monotonic()
        with self._lock:
            total = sum(n for t, n in self.chunks if t0 <= t < t1)
        return total / (t1 - t0)

    def close(self, timeout: float = 10.0) -> int | None:
        """Quit with ctrl+q; kill the process if it does not go."""
        if self.poll() is None:
            try:
                self.send(CTRL_Q)
            except OSError:
                pass
            deadline = time.monotonic() + timeout
            while self.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.returncode = -9
        self._reader.join(timeout=2)
        try:
            os.close(self.fd)
        except OSError:
            pass
        return self.returncode


def start_app(extra_args: list[str], home: str, cols: int, rows: int, env=None) -> PtyApp:
    argv = [sys.executable, "-m", "tui", "--device", "cpu", *extra_args]
    app = PtyApp(argv, cols, rows, env={"TORCH_TUI_HOME": home, **(env or {})})
    if not app.wait_for(b"torch 2.", timeout=60) and not app.wait_for(b"torch ", timeout=5):
        app.close()
        raise RuntimeError("torch-tui did not finish loading torch within 60 s")
    app.wait_quiet(gap=1.0, timeout=15)
    return app


RUNNING = "▶ running".encode()
ENDED = ("✓ done".encode(), "■ stopped".encode(), "✗ failed".encode())


def rate_while_training(app: PtyApp, seconds: float) -> tuple[float, int]:
    """Bytes/s while the dashboard trains; a run that ends is started again with F5
    (the default run is short), so the whole window is training. Returns (rate, runs)."""
    mark = len(app.text)
    app.send(F5)
    if not app.wait_for(RUNNING, timeout=60):
        raise RuntimeError("F5 did not start training within 60 s")
    time.sleep(0.5)  # the first frames after the start are not the steady state
    runs = 1
    with app._lock:
        mark = len(app.text)
    t0 = time.monotonic()
    end = t0 + seconds
    while time.monotonic() < end:
        time.sleep(0.1)
        with app._lock:
            fresh = bytes(app.text[mark:])
        if any(word in fresh for word in ENDED):
            with app._lock:
                mark = len(app.text)
            app.send(F5)
            runs += 1
    t1 = time.monotonic()
    with app._lock:
        total = sum(n for t, n in app.chunks if t0 <= t < t1)
    return total / (t1 - t0), runs


def rate_while_printing(app: PtyApp, seconds: float) -> float:
    """Bytes/s while a REPL cell prints a line every 10 ms; the cell is interrupted after."""
    app.send(PRINTING.encode() + b"\r")
    if not app.wait_for(b"tick 3", timeout=60):  # its first lines are in the log
        raise RuntimeError("the printing cell did not start within 60 s")
    time.sleep(0.5)
    rate = app.rate(seconds)
    app.send(CTRL_C)
    if not app.wait_for(b"KeyboardInterrupt", timeout=30):
        raise RuntimeError("ctrl+c did not interrupt the printing cell")
    app.wait_quiet(gap=1.0, timeout=15)
    return rate


#: Cells that draw a picture in the REPL log, and what their caption shows once drawn.
PICTURES = [
    ("a 28x28 heatmap: show(torch.rand(28, 28))", b"show(torch.rand(28, 28))", b"tensor 28x28"),
    (
        "a plot: plt.plot([1, 3, 2]); plt.show()",
        b"import matplotlib.pyplot as plt; plt.plot([1, 3, 2]); plt.show()",
        b"Figure size",
    ),
]


def bytes_per_picture(app: PtyApp) -> list[tuple[str, int, float]]:
    """(what, bytes from Enter until the screen is quiet, bytes/s for 3 s after): the
    first draw of each picture, then what it costs while unchanged."""
    out = []
    for name, cell, shows in [("a first cell: 1+1", b"1+1", b"Out[1]"), *PICTURES]:
        with app._lock:
            mark = len(app.text)
        app.send(cell + b"\r")
        if not app.wait_for(shows, timeout=120, since=mark):
            raise RuntimeError(f"{name} was not drawn within 120 s")
        app.wait_quiet(gap=1.0, timeout=15)
        with app._lock:
            drawn = len(app.text) - mark
        out.append((name, drawn, app.rate(3.0)))
    return out


def measure_app(
    extra_args: list[str], seconds: float, cols: int, rows: int, view: str = "curve"
) -> tuple[float, float, float]:
    """(idle, printing, training) bytes/s for one way of starting the app."""
    with tempfile.TemporaryDirectory() as home:
        # truecolor: the most bytes a terminal is sent (24-bit colours in every SGR)
        app = start_app(extra_args, home, cols, rows, env={"COLORTERM": "truecolor"})
        try:
            app.send_and_settle(F3)  # the REPL's input focused, as a learner's would be
            idle = app.rate(seconds)
            if "--no-low-bandwidth" in extra_args:
                for name, drawn, after in bytes_per_picture(app):
                    print(f"  {name}: {drawn / 1024:.1f} KB drawn, then {after:.0f} B/s")
            printing = rate_while_printing(app, seconds)
            if view == "boundary":  # the dashboard shown, its decision boundary in view
                app.send_and_settle(F4)
                app.send_and_settle(b"v")
            training, runs = rate_while_training(app, seconds)
            print(f"  ({' '.join(extra_args)}: {runs} run(s) in the training window)")
            app.send(F5)
        finally:
            app.close()
    return idle, printing, training


def measure_naive(seconds: float, cols: int, rows: int) -> float:
    app = PtyApp([sys.executable, "-c", NAIVE_PLOT, str(seconds + 2)], cols, rows)
    try:
        time.sleep(1.0)
        return app.rate(seconds)
    finally:
        app.close(timeout=3)


def measure_plain_printing(seconds: float, cols: int, rows: int) -> float:
    app = PtyApp([sys.executable, "-c", PRINTING], cols, rows)
    try:
        time.sleep(1.0)
        return app.rate(seconds)
    finally:
        os.kill(app.pid, signal.SIGINT)
        app.close(timeout=3)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each measurement")
    ap.add_argument("--cols", type=int, default=120)
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument(
        "--view", choices=("curve", "boundary"), default="curve", help="what training shows"
    )
    args = ap.parse_args()

    naive = measure_naive(args.seconds, args.cols, args.rows)
    plain = measure_plain_printing(args.seconds, args.cols, args.rows)
    idle, printing, train = measure_app(
        ["--no-low-bandwidth"], args.seconds, args.cols, args.rows, args.view
    )
    lb_idle, lb_printing, lb_train = measure_app(
        ["--low-bandwidth"], args.seconds, args.cols, args.rows, args.view
    )

    rows = [
        ("plain python printing every 10 ms (baseline)", plain, plain, None),
        ("naive 10 Hz plotext redraw (baseline)", naive, naive, None),
        ("torch-tui idle", idle, None, 1024),
        ("torch-tui cell printing every 10 ms", printing, plain, None),
        (f"torch-tui training, live {args.view}", train, naive, 20 * 1024),
        ("torch-tui --low-bandwidth idle", lb_idle, None, 1024),
        ("torch-tui --low-bandwidth cell printing", lb_printing, plain, None),
        ("torch-tui --low-bandwidth training", lb_train, naive, 5 * 1024),
    ]
    print(f"bytes written to a {args.cols}x{args.rows} pty, {args.seconds:.0f} s each")
    print(f"{'what':46} {'KB/s':>8} {'x baseline':>11} {'target':>10} {'ok':>4}")
    ok_all = True
    for name, rate, base, target in rows:
        ratio = f"{rate / base:11.3f}" if base else f"{'':11}"
        if target is None:
            verdict, tgt = "", ""
        else:
            ok = rate <= target
            ok_all &= ok
            verdict, tgt = ("yes" if ok else "NO"), f"<= {target / 1024:.0f}"
        print(f"{name:46} {rate / 1024:8.2f} {ratio} {tgt:>10} {verdict:>4}")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
