"""The REPL pane as a learner uses it: type, run, interrupt, exit(), hostile output."""

from __future__ import annotations

import threading
from pathlib import Path

from textual.widgets import RichLog, Static

import tui.app as app_module
from tui.app import TorchTUI
from tui.widgets.repl_input import ReplInput
from tui.widgets.repl_pane import ReplPane

from .pilot_wait import wait_for


class RecordingApp(TorchTUI):
    """The real app, remembering the CellDone messages that bubble up to it."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.cells = []

    def on_repl_pane_cell_done(self, message: ReplPane.CellDone) -> None:
        self.cells.append(message.record)


def log_text(app) -> str:
    log = app.screen.query_one("#repl-log", RichLog)
    return "\n".join(line.text for line in log.lines)


async def enter(pilot, inp: ReplInput, source: str) -> None:
    """Put ``source`` in the input (as a paste would) and press Enter: fast typing."""
    inp.insert(source)
    await pilot.press("enter")


async def open_repl(pilot, app, ready: bool = True) -> ReplInput:
    await pilot.press("f3")
    await wait_for(pilot, lambda: isinstance(app.focused, ReplInput))
    if ready:
        pane = app.screen.query_one(ReplPane)
        await wait_for(pilot, lambda: pane.session is not None)
    return app.focused


async def test_typing_running_and_editing_cells():
    """One session: Out and CellDone, blocks, history, completion, reverse search."""
    app = RecordingApp(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        inp = await open_repl(pilot, app)
        await enter(pilot, inp, "x = torch.arange(12.).reshape(3, 4)")
        await pilot.press(*"x * 2", "enter")
        await wait_for(pilot, lambda: len(app.cells) == 2)
        text = log_text(app)
        assert "In [2]: x * 2" in text
        assert "Out[2]: tensor([[ 0.,  2.,  4.,  6.]," in text
        assert tuple(app.cells[1].result.shape) == (3, 4)
        assert inp.text == ""

        # Enter on an open block adds an indented line; an empty line runs it.
        await pilot.press(*"for i in range(2):", "enter")
        assert inp.text == "for i in range(2):\n    "
        await pilot.press(*"print(i)", "enter")
        assert len(app.cells) == 2
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app.cells) == 3)
        assert app.cells[2].stdout == "0\n1\n"

        # History: up on the first line recalls, down comes back to the draft.
        await pilot.press("up")
        assert inp.text == "for i in range(2):\n    print(i)"
        await pilot.press("up")
        assert inp.text == "x * 2"
        await pilot.press("down", "down")
        assert inp.text == ""

        # Tab completes from the live namespace.
        await enter(pilot, inp, "my_value = 5")
        await wait_for(pilot, lambda: len(app.cells) == 4)
        await pilot.press(*"my_v", "tab")
        await wait_for(pilot, lambda: inp.text == "my_v" + "alue")
        await pilot.press(*".bit_l", "tab")
        await wait_for(pilot, lambda: inp.text == "my_value.bit_length")
        inp.clear()

        # ctrl+r searches history backwards; enter accepts into the input, not run.
        await pilot.press("ctrl+r", *"arange")
        assert inp.text.startswith("x = torch.arange")
        await pilot.press("enter")
        assert inp.text.startswith("x = torch.arange") and len(app.cells) == 4


async def test_interrupt_exit_reset_and_hostile_output():
    app = RecordingApp(device="cpu")
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        inp = await open_repl(pilot, app)
        pane = app.screen.query_one(ReplPane)

        # ctrl+c with nothing running says so and keeps the app.
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert any("Nothing running" in n.message for n in app._notifications)

        # ctrl+c interrupts a busy loop; the REPL keeps working.
        await pilot.press(*"while True: pass", "enter")
        await wait_for(pilot, lambda: pane.session.busy)
        status = app.screen.query_one("#repl-status", Static)
        await wait_for(pilot, lambda: "running In [1]" in str(status.render()))
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: len(app.cells) == 1, timeout=5)
        assert app.cells[0].interrupted
        assert "KeyboardInterrupt: interrupted" in log_text(app)

        # exit(), quit() and sys.exit() never end the app.
        await pilot.press(*"exit()", "enter")
        for src in ("quit()", "import sys; sys.exit(1)"):
            await enter(pilot, inp, src)
        await wait_for(pilot, lambda: len(app.cells) == 4)
        assert app.is_running
        assert log_text(app).count("exit() does not close torch-tui") == 3

        # Escape sequences, bells, \r and NUL cannot reach the terminal.
        pane.run_source(
            'print("\\x1b[2J\\x1b[31mred\\a\\x1b]0;title\\x07 done\\rOVER\\x00")\n"\\x1b[5mblink"'
        )
        await wait_for(pilot, lambda: len(app.cells) == 5)
        log = app.screen.query_one("#repl-log", RichLog)
        for strip in log.lines:
            for segment in strip:
                assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in segment.text)
        text = log_text(app)
        assert "OVER\u2400" in text  # \r keeps what a terminal shows last; NUL made visible
        assert "Out[5]: '\\x1b[5mblink'" in text  # repr shows the escape as text

        # ctrl+n resets the namespace, ctrl+l clears the log.
        await enter(pilot, inp, "gone = 1")
        await wait_for(pilot, lambda: len(app.cells) == 6)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: "session reset" in log_text(app))
        assert "gone" not in app.session.namespace
        await pilot.press(*"2 + 2", "enter")
        await wait_for(pilot, lambda: len(app.cells) == 7)
        assert app.cells[-1].result == 4
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: "session reset" not in log_text(app))


async def test_cell_typed_before_torch_loads_waits_then_runs(monkeypatch):
    gate = threading.Event()
    real = app_module.load_torch

    def slow_load(requested):
        gate.wait(20)
        return real(requested)

    monkeypatch.setattr(app_module, "load_torch", slow_load)
    app = RecordingApp(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        await open_repl(pilot, app, ready=False)
        await pilot.press(*"6 * 7", "enter")
        status = app.screen.query_one("#repl-status", Static)
        await wait_for(pilot, lambda: "waiting for torch" in str(status.render()))
        assert not app.cells
        gate.set()
        await wait_for(pilot, lambda: len(app.cells) == 1)
        assert app.cells[0].result == 42
        assert "Out[1]: 42" in log_text(app)


async def test_narrow_layout_hides_the_inspector_until_toggled():
    app = RecordingApp(device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_repl(pilot, app, ready=False)
        inspector = app.screen.query_one("#repl-inspector")
        assert not inspector.display
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert inspector.display
