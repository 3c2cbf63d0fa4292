"""Light on the wire and any terminal, checked over a real pty (the app as a user runs it).

Each test starts ``torch-tui`` under a pseudo-terminal at 120x40 (see
``benchmarks/bench_wire.py`` for the harness and the full benchmark) and reads what it writes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_wire import PtyApp, start_app  # noqa: E402
from ui.procs import children, gone  # noqa: E402

from tui.ui.common.halfblock import UPPER_HALF  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")

F3 = b"\x1bOR"
# Greys of the 256-colour palette: black, the cube's diagonal, the grey ramp, white.
GREYS = {0, 7, 8, 15, 16, 59, 102, 145, 188, 231, *range(232, 256)}


def _colours(text: bytes) -> tuple[set[int], int]:
    """256-colour indices used, and how many truecolor (24-bit) SGRs there are."""
    idx = {int(x) for x in re.findall(rb"[34]8;5;(\d+)", text)}
    return idx, len(re.findall(rb"[34]8;2;\d+;\d+;\d+", text))


def test_idle_with_the_repl_focused_writes_almost_nothing(tmp_home):
    app = start_app(["--no-low-bandwidth"], str(tmp_home), 120, 40, env={"NO_COLOR": "1"})
    try:
        app.send(F3)  # focus the REPL input: a blinking cursor there used to cost ~2 KB/s
        # The focus change repaints the footer and both panes, and on a loaded machine that
        # can start seconds after the key. So: the quietest of four one-second windows. A
        # periodic writer (a blinking cursor, a spinner, a clock) shows up in every window;
        # a one-off transient does not.
        app.wait_quiet(gap=1.0, timeout=20)
        rate = min(app.rate(1.0) for _ in range(4))
        text = bytes(app.text)
    finally:
        assert app.close() == 0
    # The budget is 1 KB/s; a blinking cursor alone costs ~290 B/s, so hold idle far lower.
    assert rate <= 256, f"idle wrote {rate:.0f} B/s"
    # NO_COLOR: only greys on screen.
    idx, truecolor = _colours(text)
    assert idx and idx <= GREYS and truecolor == 0, sorted(idx - GREYS)


def test_a_16_colour_terminal_gets_only_16_colour_codes(tmp_home):
    app = start_app([], str(tmp_home), 120, 40, env={"TERM": "xterm", "COLORTERM": ""})
    try:
        text = bytes(app.text)
    finally:
        assert app.close() == 0
    idx, truecolor = _colours(text)
    assert not idx and truecolor == 0
    assert b"Lessons" in text and b"REPL" in text


@pytest.mark.parametrize(
    "term, system",
    [("xterm", "standard"), ("linux", "standard"), ("screen", "standard"),
     ("xterm-256color", "256"), ("tmux-256color", "256")],
)  # fmt: skip
def test_the_colour_system_follows_term(monkeypatch, term, system):
    """The same detection the pty test above exercises end to end, for each TERM."""
    from tui.ui.app import TorchTUI

    monkeypatch.setenv("TERM", term)
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("TEXTUAL_COLOR_SYSTEM", raising=False)
    assert TorchTUI().console.color_system == system


def test_pty_harness_counts_bytes():
    """The harness itself: a program that writes 3000 bytes is counted as 3000."""
    code = "import sys,time; sys.stdout.write('x'*3000); sys.stdout.flush(); time.sleep(1)"
    app = PtyApp([sys.executable, "-c", code], 80, 24)
    assert app.wait_for(b"x" * 3000, timeout=10)
    app.close()
    assert sum(n for _, n in app.chunks) == 3000


def _kernel_of(app_pid: int) -> int:
    """The kernel the app spawned: its child running ``tui.kernel.boot``."""
    found = children(app_pid, b"tui.kernel.boot")
    assert found, "no kernel found under the app"
    return found[0]


@pytest.mark.parametrize(("sig", "code"), [(1, 129), (15, 143)])
def test_a_dropped_connection_or_sigterm_leaves_no_kernel(tmp_home, sig, code):
    """SIGHUP (the SSH connection went away) and SIGTERM end the app and its kernel."""
    import os
    import time

    app = start_app([], str(tmp_home), 120, 40)
    try:
        kernel = _kernel_of(app.pid)
        os.kill(app.pid, sig)
        deadline = time.monotonic() + 20
        while app.poll() is None or not gone(kernel):
            assert time.monotonic() < deadline, "the app or its kernel outlived the signal"
            time.sleep(0.1)
        assert app.returncode == code
    finally:
        app.close()


def test_a_picture_in_the_repl_log_is_sent_to_the_terminal_once(tmp_home):
    """A 28x28 heatmap is 392 half-block cells (fewer in view in a short log), a plot
    fitted to the log about 500. The log used to paint a picture unscrolled, then
    scrolled, then again as the "running" line under it went away, and a plot taller than
    the log once for each line that scrolled it: 64 KB for ``plt.plot([1, 3, 2])``.
    Now each cell in view is sent once, and a plot is as tall as the log."""
    app = start_app(["--no-low-bandwidth"], str(tmp_home), 120, 40, env={"COLORTERM": "truecolor"})
    drawn = []
    try:
        app.send(F3)
        app.wait_quiet(gap=1.0, timeout=20)
        cells = (
            (b"1+1", b"Out[1]"),
            # the sleep: long enough for the "running" line, as a plot's matplotlib import is
            (b"import time; time.sleep(1.5); show(torch.rand(28, 28))", b"tensor 28x28"),
            (b"import matplotlib.pyplot as plt; plt.plot([1, 3, 2]); plt.show()", b"Figure"),
        )
        for cell, done in cells:
            mark = len(app.text)
            app.send(cell + b"\r")
            assert app.wait_for(done, timeout=60, since=mark), cell
            app.wait_quiet(gap=1.0, timeout=20)
            drawn.append(bytes(app.text[mark:]))
        after = app.rate(1.0)
    finally:
        assert app.close() == 0
    heatmap, plot = drawn[1:]
    cells_sent = heatmap.count(UPPER_HALF.encode())
    assert 0 < cells_sent <= 392, f"{cells_sent} half-block cells sent for 392"
    assert len(heatmap) <= 30_000, f"{len(heatmap)} bytes for a heatmap"
    assert len(plot) <= 30_000, f"{len(plot)} bytes for a plot"
    assert after == 0
