"""REPL faults through the real app: every mistake gets a clear message and the next cell runs.

One app (and its kernel) serves the module: the cases are independent, each leaves the
REPL usable, which is exactly what each asserts. Cases that kill the kernel restart it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hardening.conftest import (
    log_text,
    repl_pane,
    run_cell,
    shared_app_fixture,
    still_usable,
    wait_until,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")
shared = shared_app_fixture()

OWN_FILES = ("tui/agent", "tui/kernel", "ipykernel/", "repl_pane.py", "site-packages/textual")


def assert_no_own_frames(text: str) -> None:
    for name in OWN_FILES:
        assert name not in text, f"our own frame {name} leaked into the user's traceback"


def traceback_of(outcome) -> str:
    return "\n".join(getattr(out, "traceback", "") for out in outcome.outputs)


async def restart(pilot, app) -> None:
    old = app.kernel.pid
    repl_pane(app).action_restart_kernel()
    await wait_until(pilot, lambda: app.kernel.ready and app.kernel.pid != old, 120, "restart")


async def test_syntax_error_is_shown_and_the_next_cell_runs(shared):
    app, pilot = shared
    outcome = await run_cell(pilot, app, "def f(:\n    pass")
    assert outcome.error_name == "SyntaxError"
    assert "SyntaxError" in log_text(app)
    await still_usable(pilot, app)


async def test_exception_deep_in_user_code_shows_only_user_frames(shared):
    app, pilot = shared
    src = (
        "def level3(x):\n    raise ValueError(f'bad value {x}')\n"
        "def level2(x):\n    return level3(x + 1)\n"
        "def level1(x):\n    return level2(x * 2)\n"
        "level1(20)"
    )
    outcome = await run_cell(pilot, app, src)
    assert outcome.error_name == "ValueError"
    assert "ValueError: bad value 41" in log_text(app)
    tb = traceback_of(outcome)
    for fn in ("level1", "level2", "level3"):
        assert fn in tb
    assert_no_own_frames(tb)
    await still_usable(pilot, app)


@pytest.mark.parametrize(
    "source", ["exit()", "quit()", "import sys; sys.exit(3)", "raise SystemExit"]
)
async def test_exit_variants_never_end_the_app_or_the_kernel(shared, source):
    app, pilot = shared
    pid = app.kernel.pid
    await run_cell(pilot, app, source)
    assert app.is_running and app.return_code is None
    assert "does not close torch-tui" in log_text(app).split(f"]: {source}")[-1]
    await still_usable(pilot, app)
    assert app.kernel.pid == pid


async def _interrupt_typed(pilot, app, source: str) -> tuple[object, float]:
    before = len(app.cells)
    await pilot.press("f3")
    await wait_until(pilot, lambda: app.focused is not None and app.focused.id == "repl-input")
    repl_pane(app).run_source(source)
    status = app.screen.query_one("#repl-input")
    await wait_until(
        pilot, lambda: "running In [" in str(status.border_subtitle or ""), what="running status"
    )
    start = time.monotonic()
    await pilot.press("ctrl+c")
    await wait_until(pilot, lambda: len(app.cells) > before, 20, "the interrupted cell")
    return app.cells[before], time.monotonic() - start


@pytest.mark.parametrize("source", ["while True: pass", "import time; time.sleep(60)"])
async def test_ctrl_c_stops_a_loop_and_a_sleep(shared, source):
    app, pilot = shared
    outcome, took = await _interrupt_typed(pilot, app, source)
    assert outcome.interrupted
    assert took < 5, f"ctrl+c took {took:.1f} s"
    assert "KeyboardInterrupt" in log_text(app)
    await still_usable(pilot, app)


async def test_a_native_op_that_ignores_ctrl_c_is_offered_a_restart(shared):
    """A single long C call does not see SIGINT: 2 s later the REPL says so, and a second
    ctrl+c offers a restart that Enter confirms."""
    app, pilot = shared
    code = "sum(range(10**13))"  # one C loop: Python never gets to run its SIGINT handler
    before = len(app.cells)
    await pilot.press("f3")
    repl_pane(app).run_source(code)
    status = app.screen.query_one("#repl-input")
    await wait_until(pilot, lambda: "running In [" in str(status.border_subtitle or ""))
    await pilot.press("ctrl+c")
    await wait_until(
        pilot, lambda: "still busy after ctrl+c" in str(status.border_subtitle or ""), 10
    )
    await pilot.press("ctrl+c")
    from tui.ui.common.confirm import ConfirmScreen

    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the offer")
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(app.cells) > before, 30, "the cell to end")
    outcome = app.cells[before]
    assert outcome.status == "restarted"
    await wait_until(pilot, lambda: app.kernel.ready, 120, "the new kernel")
    await still_usable(pilot, app)


async def test_ten_megabyte_print_is_capped_and_the_ui_keeps_drawing(shared):
    app, pilot = shared
    await run_cell(pilot, app, "print('spam spam spam\\n' * 500_000)")  # ~10 MB
    assert "more lines not shown" in log_text(app)
    await run_cell(pilot, app, "print('x' * 10_000_000)")  # one 10 MB line
    assert "more chars" in " ".join(log_text(app).split())  # wherever the log wraps it
    assert len(repl_pane(app).log_widget.lines) <= 4000  # the log is bounded too
    await still_usable(pilot, app)


async def test_ansi_escapes_carriage_returns_and_bells_cannot_reach_the_terminal(shared):
    app, pilot = shared
    # The visible words are built at run time so the echoed source cannot match them.
    src = (
        "osc = '\\x1b]52;c;' + 'ZXZp' + 'bA==' + '\\x07'\n"
        "print('\\x1b[2J\\x1b[H\\x1b[31m' + 're' + 'd' + '\\x1b[0m\\a\\a ' + osc"
        " + 'step ' + '1' + '0%\\r' + 'step ' + 'DONE' + '\\x1b[?1049h\\x9b2J')"
    )
    outcome = await run_cell(pilot, app, src)
    assert outcome.ok
    log = repl_pane(app).log_widget
    for strip in log.lines:
        for segment in strip:
            bad = [c for c in segment.text if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0]
            assert not bad, f"control characters reached the screen: {bad!r}"
    text = log_text(app)
    assert "step DONE" in text  # \r keeps what a terminal would show last
    assert "step 10%" not in text
    assert "ZXZpbA" not in text  # an OSC 52 clipboard write is removed whole
    await still_usable(pilot, app)


async def test_huge_allocation_shows_the_error(shared):
    app, pilot = shared
    outcome = await run_cell(pilot, app, "big = torch.ones(10**12)", timeout=30)
    assert outcome.error_name == "RuntimeError"
    text = " ".join(log_text(app).split())  # the words, wherever the log wraps them
    assert "can't allocate memory" in text or "not enough memory" in text.lower()
    assert (await run_cell(pilot, app, "'big' in dir()")).text() == "False\n"
    await still_usable(pilot, app)


async def test_unbounded_recursion_is_a_clear_recursion_error(shared):
    app, pilot = shared
    outcome = await run_cell(pilot, app, "def down(n):\n    return down(n + 1)\ndown(0)")
    assert outcome.error_name == "RecursionError"
    assert "maximum recursion depth exceeded" in log_text(app)
    await still_usable(pilot, app)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("import os; os.abort()", "killed by SIGABRT"),
        ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", "killed by SIGTERM"),
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "killed by SIGKILL"),
        (
            "import sys; sys.setrecursionlimit(10**6)\nx = []\nfor i in range(10**6): x = [x]\nrepr(x)",
            "killed by SIGSEGV",
        ),
    ],
)
async def test_a_kernel_that_dies_is_one_line_and_one_key(shared, source, reason):
    """The crash matrix: the app stays, says why, and ctrl+n gives a working kernel;
    history and lesson progress stay valid."""
    app, pilot = shared
    outcome = await run_cell(pilot, app, source, timeout=60)
    assert outcome.status == "died"
    await wait_until(pilot, lambda: f"The kernel died ({reason})" in log_text(app))
    assert app.is_running
    await restart(pilot, app)
    await still_usable(pilot, app)
    history = repl_pane(app).history
    history.save()
    assert source.rstrip() in history.entries
    import json

    assert json.loads(history.path.read_text())["entries"][-2:]


async def test_builtins_broken_are_reported_as_not_responding(shared):
    app, pilot = shared
    repl_pane(app).run_source("import builtins; builtins.isinstance = None")
    await wait_until(pilot, lambda: "kernel not responding: ctrl+n restarts" in log_text(app), 30)
    await restart(pilot, app)
    await still_usable(pilot, app)


async def test_del_frees_a_2gb_tensor_and_xdel_a_displayed_one(shared):
    """The app keeps no reference to a tensor: ``del`` gives its memory back to the OS."""
    app, pilot = shared
    rss = "int(open('/proc/self/statm').read().split()[1]) * 4096"
    base = int((await run_cell(pilot, app, rss)).text())
    await run_cell(pilot, app, "big = torch.ones(2**29)")  # 2 GiB, shown as a card
    grown = int((await run_cell(pilot, app, rss)).text())
    assert grown - base > 1.5 * 2**30
    await run_cell(pilot, app, "del big")
    freed = int((await run_cell(pilot, app, rss)).text())
    assert freed - base < 0.5 * 2**30
    await run_cell(pilot, app, "shown = torch.ones(2**29)")
    await run_cell(pilot, app, "shown")  # Out and _ keep it alive, as in IPython
    await run_cell(pilot, app, "%xdel shown")
    await run_cell(pilot, app, "import gc; gc.collect()")
    freed = int((await run_cell(pilot, app, rss)).text())
    assert freed - base < 0.5 * 2**30


async def test_a_cell_cannot_reach_the_apps_objects(shared):
    """The app's history and progress live in another process: a cell that walks its
    own frames finds no App to rewrite."""
    app, pilot = shared
    outcome = await run_cell(
        pilot,
        app,
        "import sys, gc\n"
        "[type(o).__name__ for o in gc.get_objects() if type(o).__name__ == 'TorchTUI']",
    )
    assert outcome.text() == "[]\n"
    await still_usable(pilot, app)


async def test_chdir_does_not_move_the_apps_own_files(shared, tmp_path):
    app, pilot = shared
    home = app.hard_home
    outcome = await run_cell(pilot, app, "import os; os.chdir('/'); os.getcwd()")
    assert outcome.text() == "'/'\n"
    marker = "after_chdir_marker = 1"
    await run_cell(pilot, app, marker)
    history = repl_pane(app).history.path
    assert history.is_absolute() and history.is_relative_to(home)
    await wait_until(
        pilot,
        lambda: history.exists() and marker in history.read_text(),
        what="history saved under the state dir",
    )
    assert not Path("/repl_history.json").exists()
    assert os.getcwd() != "/"  # the app's own working directory did not move
    await still_usable(pilot, app)


async def test_a_shell_command_reading_stdin_gets_end_of_file(shared):
    """The kernel has no terminal and a closed stdin: ``cat`` cannot swallow the keys."""
    app, pilot = shared
    outcome = await run_cell(pilot, app, "import os; os.system('cat > /dev/null'); 'done'", 10)
    assert outcome.text().endswith("'done'\n")
    await still_usable(pilot, app)


@pytest.mark.parametrize("duration", [300])
async def test_a_sleep_started_from_a_cell_ends_with_a_restart(shared, duration):
    app, pilot = shared
    await run_cell(
        pilot,
        app,
        f"import subprocess; p = subprocess.Popen(['sleep', '{duration}']); p.pid",
    )
    pid = int(app.cells[-1].text())
    await restart(pilot, app)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and " Z " not in Path(f"/proc/{pid}/stat").read_text():
        assert time.monotonic() < deadline, "the child of the old kernel is still running"
        await pilot.pause(0.1)
    await still_usable(pilot, app)
