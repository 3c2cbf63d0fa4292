"""The REPL pane as a learner uses it: IPython in a kernel, typed into the real app."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import RichLog, Static

import tui.ui.app as app_module
from tui.ui.app import TorchTUI
from tui.ui.repl.cell_input import ReplInput
from tui.ui.repl.repl_pane import ReplPane

from ..pilot_wait import wait_for


class RecordingApp(TorchTUI):
    """The real app, remembering the CellDone outcomes that bubble up to it."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.cells = []

    def on_repl_pane_cell_done(self, message: ReplPane.CellDone) -> None:
        self.cells.append(message.outcome)


def log_text(app) -> str:
    log = app.screen.query_one("#repl-log", RichLog)
    return "\n".join(line.text for line in log.lines)


def status_text(app) -> str:
    """The kernel's state, on the input's lower edge."""
    return str(app.screen.query_one("#repl-input").border_subtitle or "")


async def enter(pilot, inp: ReplInput, source: str) -> None:
    """Put ``source`` in the input (as a paste would) and press Enter: fast typing."""
    inp.insert(source)
    await pilot.press("enter")


async def open_repl(pilot, app, ready: bool = True) -> ReplInput:
    await pilot.press("f3")
    await wait_for(pilot, lambda: isinstance(app.focused, ReplInput))
    if ready:
        await wait_for(pilot, lambda: app.kernel.ready, timeout=120, what="the kernel")
    return app.focused


async def run(pilot, app, inp, source: str, timeout: float = 60):
    before = len(app.cells)
    await enter(pilot, inp, source)
    await wait_for(pilot, lambda: len(app.cells) > before, timeout=timeout, what=source)
    return app.cells[-1]


async def test_typing_running_and_editing_cells():
    """Out and CellDone, blocks, history, completion, reverse search, IPython's own syntax."""
    app = RecordingApp(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        inp = await open_repl(pilot, app)
        await enter(pilot, inp, "x = torch.arange(12.).reshape(3, 4)")
        await pilot.press(*"x * 2", "enter")
        await wait_for(pilot, lambda: len(app.cells) == 2)
        text = log_text(app)
        assert "In [2]: x * 2" in text
        assert "Out[2]: tensor([[ 0.,  2.,  4.,  6.]," in text
        assert inp.text == ""

        # Enter on an open block adds an indented line; an empty line runs it.
        await pilot.press(*"for i in range(2):", "enter")
        assert inp.text == "for i in range(2):\n    "
        await pilot.press(*"print(i)", "enter")
        assert len(app.cells) == 2
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app.cells) == 3)
        assert app.cells[2].text() == "0\n1\n"

        # History: up on the first line recalls, down comes back to the draft.
        await pilot.press("up")
        assert inp.text == "for i in range(2):\n    print(i)"
        await pilot.press("up")
        assert inp.text == "x * 2"
        await pilot.press("down", "down")
        assert inp.text == ""

        # Tab completes through IPython's completer in the kernel.
        await run(pilot, app, inp, "my_value = 5")
        await pilot.press(*"my_v", "tab")
        await wait_for(pilot, lambda: inp.text == "my_value")
        await pilot.press(*".bit_l", "tab")
        await wait_for(pilot, lambda: inp.text == "my_value.bit_length")
        inp.clear()

        # "(" shows the signature of what comes before it.
        await pilot.press(*"torch.zeros(")
        hint = app.screen.query_one("#repl-hint", Static)
        await wait_for(pilot, lambda: "size" in str(hint.render()), what="the signature")
        inp.clear()

        # ctrl+r searches history backwards; enter accepts into the input, not run.
        await pilot.press("ctrl+r", *"arange")
        assert inp.text.startswith("x = torch.arange")
        await pilot.press("enter")
        assert inp.text.startswith("x = torch.arange") and len(app.cells) == 4
        inp.clear()

        # IPython: magics, ? and the Out cache.
        timing = await run(pilot, app, inp, "%timeit -n 10 torch.ones(3)")
        assert "per loop" in timing.text()
        doc = await run(pilot, app, inp, "torch.zeros?")
        assert "Returns a tensor filled with the scalar value" in doc.text()
        assert "Returns a tensor filled" in log_text(app)
        who = await run(pilot, app, inp, "%who")
        assert "my_value" in who.text() and "x" in who.text()


async def test_input_is_answered_from_the_repl():
    """input() shows its prompt; the next Enter sends the line to the kernel."""
    app = RecordingApp(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        inp = await open_repl(pilot, app)
        await enter(pilot, inp, "name = input('your name? ')")
        await wait_for(pilot, lambda: "your name?" in log_text(app), what="the prompt")
        await pilot.press(*"Ada (", "enter")  # not valid Python, still sent as typed
        await wait_for(pilot, lambda: len(app.cells) == 1)
        answer = await run(pilot, app, inp, "name")
        assert answer.text() == "'Ada ('\n"


async def test_interrupt_exit_and_hostile_output():
    app = RecordingApp(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        inp = await open_repl(pilot, app)

        # ctrl+c when idle clears the input.
        inp.insert("half typed")
        await pilot.press("ctrl+c")
        assert inp.text == ""

        # ctrl+c interrupts a busy loop and a sleep; the REPL keeps working.
        for source in ("while True: pass", "import time; time.sleep(30)"):
            before = len(app.cells)
            await enter(pilot, inp, source)
            await wait_for(pilot, lambda: "running In [" in status_text(app))
            await pilot.press("ctrl+c")
            await wait_for(pilot, lambda b=before: len(app.cells) > b, timeout=10)
            assert app.cells[-1].interrupted
        assert "KeyboardInterrupt" in log_text(app)

        # exit(), quit() and sys.exit() never end the app.
        for source in ("exit()", "quit()", "import sys; sys.exit(1)"):
            await run(pilot, app, inp, source)
        assert app.is_running
        assert log_text(app).count("exit() does not close torch-tui") == 3

        # Escape sequences, bells, \r and NUL cannot reach the terminal; colour can.
        cell = await run(
            pilot,
            app,
            inp,
            'print("\\x1b[2J\\x1b[31mred\\a\\x1b]0;title\\x07 done\\rOVER\\x00")\n"\\x1b[5mblink"',
        )
        assert cell.ok
        log = app.screen.query_one("#repl-log", RichLog)
        for strip in log.lines:
            for segment in strip:
                assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in segment.text)
        text = log_text(app)
        assert "OVER\u2400" in text  # \r keeps what a terminal shows last; NUL made visible
        assert "'\\x1b[5mblink'" in text  # repr shows the escape as text

        # A 10 MB print is capped and the app keeps drawing.
        big = await run(pilot, app, inp, "print(('y' * 99 + '\\n') * 100_000)")
        assert big.ok
        assert "more lines not shown" in log_text(app)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: "more lines not shown" not in log_text(app))


@pytest.mark.fresh_kernel
async def test_a_crash_is_one_line_and_ctrl_n_gives_a_working_kernel(tmp_home):
    """os._exit and a segfault each cost a restart, never the app or its history."""
    app = RecordingApp(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        inp = await open_repl(pilot, app)
        for source, reason in (
            ("import os; os._exit(1)", "exit code 1"),
            ("import ctypes; ctypes.string_at(0)", "killed by SIGSEGV"),
        ):
            await run(pilot, app, inp, source)
            await wait_for(pilot, lambda r=reason: f"The kernel died ({r})" in log_text(app))
            assert app.is_running
            old_pid = app.kernel.pid
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda o=old_pid: app.kernel.ready and app.kernel.pid != o, 120)
            answer = await run(pilot, app, inp, "6*7")
            assert answer.text() == "42\n"
        history = app.screen.query_one(ReplPane).history
        assert "import os; os._exit(1)" in history.entries


async def test_a_cell_typed_while_another_runs_is_echoed_when_it_starts():
    """As at IPython's next prompt: the waiting cell's echo comes after the output of the
    cell before it (echoed at once, it sat above that output), and the input's edge
    counts the cells that wait."""
    app = RecordingApp(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        inp = await open_repl(pilot, app)
        before = len(app.cells)
        await enter(pilot, inp, "import time; time.sleep(0.8); print('slow one')")
        await enter(pilot, inp, "print('quick one')")
        await enter(pilot, inp, "print('last one')")
        assert " · 2 waiting" in str(inp.border_title)
        await wait_for(pilot, lambda: len(app.cells) == before + 3, timeout=60)
        lines = log_text(app).splitlines()
        order = [
            next(i for i, line in enumerate(lines) if needle in line)
            for needle in (
                "time.sleep(0.8)",
                "slow one",
                "print('quick one')",
                "quick one",
                "print('last one')",
                "last one",
            )
        ]
        assert order == sorted(order), lines[-8:]
        assert "waiting" not in str(inp.border_title)


@pytest.mark.fresh_kernel
async def test_cells_typed_before_the_kernel_is_ready_run_in_order(tmp_home):
    app = RecordingApp(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        inp = await open_repl(pilot, app, ready=False)
        assert not app.kernel.ready
        for source in ("a = 6", "b = a * 7", "b"):
            await enter(pilot, inp, source)
        await wait_for(pilot, lambda: len(app.cells) == 3, timeout=120)
        assert [c.status for c in app.cells] == ["ok", "ok", "ok"]
        assert app.cells[-1].text() == "42\n"


async def test_narrow_layout_hides_the_inspector_until_toggled():
    app = RecordingApp(device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_repl(pilot, app, ready=False)
        inspector = app.screen.query_one("#repl-inspector")
        assert not inspector.display
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert inspector.display
