"""Keys typed fast reach the pane asked for, in order: checked in a real pty, where the
keys of one write arrive together (Pilot waits for the screen between keys).

Each test drives ``torch-tui`` under a pseudo-terminal at 160x48 (the harness is
``benchmarks/bench_wire.py``'s) and reads what it writes: a cell's result on screen says
that its keys reached the REPL's input, in the order typed.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from bench_wire import PtyApp, start_app  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")

F2, F3 = b"\x1bOQ", b"\x1bOR"
LEFT, END, BACKSPACE = b"\x1b[D", b"\x1b[F", b"\x7f"
RUNS = 10
#: The status line once the kernel is ready: "torch 2.x · devices: cpu · using cpu".
READY = " · devices: ".encode()
#: A cell's result must show within this (a loaded 2-core box; a lost key never shows).
CELL_S = 30.0


def cell(n: int) -> tuple[bytes, bytes]:
    """A cell whose result is on screen only if every key of it reached the REPL in
    order (the source shows ``37*1003``, the result ``37111``)."""
    return f"print(37*{1000 + n})".encode(), str(37 * (1000 + n)).encode()


def seen(app: PtyApp, needle: bytes) -> bool:
    return app.wait_for(needle, timeout=CELL_S)


@pytest.fixture(scope="module")
def app():
    """One app for the module, torch loaded and the screen quiet (its own home: the
    per-test ``tmp_home`` is not set yet when a module's fixture starts)."""
    with tempfile.TemporaryDirectory() as home:
        running = start_app([], home, 160, 48, env={"HOME": home})
        try:
            yield running
        finally:
            running.close()


def test_a_cell_typed_with_f3_in_one_write_runs(app):
    """F3 and a cell in one write, from the lessons (where letters are commands): the
    cell's keys wait for the REPL's input instead of landing in the lesson."""
    for n in range(RUNS):
        app.send_and_settle(F2, gap=0.3)  # the lesson has the keys
        source, result = cell(n)
        app.send(F3 + source + b"\r")
        assert seen(app, result), f"run {n + 1} of {RUNS}: {source!r} never ran"


def written_since(app: PtyApp, mark: int) -> str:
    """The text written after byte ``mark``, less escape sequences: what a failure shows."""
    with app._lock:
        raw = bytes(app.text[mark:])
    return re.sub(rb"\x1b(\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>78])", b" ", raw).decode(
        errors="replace"
    )


def shows_after(app: PtyApp, mark: int, needle: bytes, timeout: float = CELL_S) -> bool:
    """``needle`` written after the first ``mark`` bytes of output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app._lock:
            if needle in app.text[mark:]:
                return True
        time.sleep(0.05)
    return False


def test_a_key_typed_before_f3_stays_with_the_lesson(app):
    """``n``, F3 and a cell in one write: the ``n`` turns the lesson's section (its binding
    runs once the key has bubbled up, with the lesson still focused), the cell runs."""
    for n in range(5):
        app.send(F2)  # the lesson has the keys (it may have them already)
        app.wait_quiet(gap=0.3)
        with app._lock:
            mark = len(app.text)
        source, result = cell(100 + n)
        app.send(b"n" + F3 + source + b"\r")
        assert seen(app, result), f"run {n + 1}: {source!r} never ran"
        assert shows_after(app, mark, "§2/".encode()), f"run {n + 1}: the n was lost"
        app.send_and_settle(F2 + b"p", gap=0.3)  # back to the first section


def test_an_edit_burst_keeps_its_order(app):
    """``abc``, left, backspace, ``X`` typed at once edit as typed: ``aXc`` (the left puts
    the cursor after the ``b``, which the backspace deletes). Textual ran the input's
    bindings only once their key had bubbled up to the app, after the keys behind them
    were typed: the cell ran as ``abcX``."""
    app.send_and_settle(F3, gap=0.3)
    for n in range(3):
        with app._lock:
            mark = len(app.text)
        app.send(b"print('abc" + LEFT + BACKSPACE + b"X" + END + f"'.upper(), {n})\r".encode())
        assert seen(app, f"AXC {n}".encode()), (
            f"run {n + 1}: the burst came out reordered or lost; the screen since: "
            f"{written_since(app, mark)[-1200:]!r}"
        )


def test_cells_typed_as_the_kernel_says_ready_run(shared_kernel, tmp_home):
    """The moment the status line shows torch's version (the dashboard and the inspector
    start mounting then): F3 and a cell at once, then a second, in ten fresh apps. Each
    app attaches to one kernel (``--existing``), so no run waits for torch to import."""
    argv = [sys.executable, "-m", "tui", "--device", "cpu", "--no-low-bandwidth"]
    argv += ["--existing", str(shared_kernel.connection_file)]
    for n in range(RUNS):
        app = PtyApp(argv, 160, 48, env={"TORCH_TUI_HOME": str(tmp_home)})
        try:
            assert app.wait_for(READY, timeout=60), "the kernel never said it was ready"
            first, first_result = cell(2 * n)
            second, second_result = cell(2 * n + 1)
            app.send(F3 + first + b"\r")
            app.send(second + b"\r")
            assert seen(app, first_result), f"run {n + 1} of {RUNS}: the first cell was lost"
            assert seen(app, second_result), f"run {n + 1} of {RUNS}: the second cell was lost"
        finally:
            assert app.close() == 0
