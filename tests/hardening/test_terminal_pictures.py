"""A plot reaches a real terminal as half-blocks: the app on a pty, its real kernel.

``plt.plot([1, 3, 2]); plt.show()`` is drawn in the REPL log as upper half blocks with
24-bit colours (COLORTERM=truecolor), a blank on the background where a cell's two pixels
are alike; under ``--low-bandwidth`` it stays a one-line
placeholder until ctrl+g draws it.
"""

from __future__ import annotations

import re
import sys
import uuid
from pathlib import Path

import pytest

from .test_clean_ends import kill_all, run_cell, screen_text, wait_until

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_wire import F3, PtyApp  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

PLOT = b"import matplotlib.pyplot as plt; plt.plot([1, 3, 2]); plt.show()"
HALF = "▀".encode()
CTRL_G = b"\x07"
#: A cell drawn with a 24-bit foreground and background (what a half-block pixel pair is).
TRUECOLOR_HALF = re.compile(rb"\x1b\[[0-9;]*38;2;\d+;\d+;\d+[0-9;]*m" + HALF)
#: Runs of a plot's white: a blank on a white background where both pixels are white.
WHITE_CELLS = re.compile(rb"\x1b\[[0-9;]*48;2;255;255;255m( +)")


def white_cells(drawn: bytes) -> int:
    return sum(len(run) for run in WHITE_CELLS.findall(drawn))


@pytest.fixture
def marker():
    mark = f"TORCH_TUI_TEST_MARK={uuid.uuid4().hex}"
    yield mark
    kill_all(mark)


def start(home: Path, marker: str, bandwidth: str) -> PtyApp:
    key, value = marker.split("=")
    argv = [sys.executable, "-m", "tui", "--device", "cpu", bandwidth]
    env = {"TORCH_TUI_HOME": str(home), key: value, "COLORTERM": "truecolor"}
    app = PtyApp(argv, 120, 40, env=env)
    assert app.wait_for(b"torch ", timeout=90), "the app did not get its kernel"
    app.wait_quiet(gap=0.5, timeout=15)
    app.send_and_settle(F3, gap=0.3)
    return app


def test_a_plot_reaches_the_terminal_as_truecolor_half_blocks(tmp_home, marker):
    app = start(tmp_home, marker, "--no-low-bandwidth")
    try:
        seen = len(app.text)
        run_cell(app, PLOT, b"Figure size 640x480", timeout=120)
        drawn = bytes(app.text[seen:])
    finally:
        app.close()
    # fitted to the log's rows (14 at least): ~37x14 cells, most of them white
    assert white_cells(drawn) > 150
    assert len(TRUECOLOR_HALF.findall(drawn)) > 20
    assert b"image/png output" not in screen_text(drawn)


def test_low_bandwidth_shows_the_placeholder_until_ctrl_g(tmp_home, marker):
    app = start(tmp_home, marker, "--low-bandwidth")
    try:
        seen = len(app.text)
        run_cell(app, PLOT, b"ctrl+g draws it", timeout=120)
        placeholder = bytes(app.text[seen:])
        seen = len(app.text)
        app.send(CTRL_G)
        assert wait_until(lambda: b"Figure size" in screen_text(bytes(app.text[seen:])), 30)
        app.wait_quiet(gap=0.3, timeout=10)
        drawn = bytes(app.text[seen:])
    finally:
        app.close()
    assert b"<image/png output, " in screen_text(placeholder)
    assert placeholder.count(HALF) == 0
    assert white_cells(drawn) > 150 and TRUECOLOR_HALF.search(drawn)
