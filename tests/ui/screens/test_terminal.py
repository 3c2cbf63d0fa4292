"""Any terminal: too small says so and recovers; the copy key writes OSC 52; NO_COLOR is honoured."""

from __future__ import annotations

import base64

from textual.widgets import Static, TextArea

from tui.ui.app import TorchTUI
from tui.ui.screens.too_small import TooSmallScreen

from ..pilot_wait import wait_for


def _message(app: TorchTUI) -> str:
    return str(app.screen.query_one("#too-small-message", Static).render())


async def test_too_small_terminal_says_so_and_recovers_on_resize():
    app = TorchTUI(device="cpu")
    async with app.run_test(size=(70, 20)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, TooSmallScreen))
        assert "terminal too small: need 80x24, have 70x20" in _message(app)
        # F1 must not open help under (or over) the message.
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)

        await pilot.resize_terminal(79, 30)
        await wait_for(pilot, lambda: "have 79x30" in _message(app))

        await pilot.resize_terminal(120, 40)
        await wait_for(pilot, lambda: not isinstance(app.screen, TooSmallScreen))
        lessons = app.screen.query_one("#lessons")
        assert lessons.display and lessons.region.width >= 40  # the lesson pane is back
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"


async def test_copy_key_writes_osc52_with_the_selected_text(monkeypatch):
    app = TorchTUI(device="cpu")
    written: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()  # let the start-up focus settle first
        monkeypatch.setattr(app._driver, "write", written.append)
        area = TextArea("x = torch.ones(3)\nprint(x)")
        await app.screen.query_one("#repl").mount(area)
        area.focus()
        await pilot.pause()
        area.select_all()
        await pilot.press("f8")
        await pilot.pause()
    payload = base64.b64encode(b"x = torch.ones(3)\nprint(x)").decode()
    assert f"\x1b]52;c;{payload}\a" in written


async def test_copy_key_with_nothing_to_copy_says_so(monkeypatch):
    app = TorchTUI(device="cpu")
    async with app.run_test(size=(120, 40)) as pilot:
        notes: list[str] = []
        monkeypatch.setattr(app, "notify", lambda msg, **kw: notes.append(msg))
        app.screen.set_focus(None)
        await pilot.press("f8")
        await pilot.pause()
    assert any("Nothing to copy" in n for n in notes)


async def test_no_color_turns_colour_off(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = TorchTUI(device="cpu")
    assert app.no_color
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.no_color


async def test_devices_command_notifies_the_device_list(monkeypatch):
    app = TorchTUI(device="cpu")
    async with app.run_test(size=(120, 40)) as pilot:
        notes: list[str] = []
        await wait_for(pilot, lambda: app.torch_info is not None, timeout=60)
        monkeypatch.setattr(app, "notify", lambda msg, **kw: notes.append(msg))
        await app.run_action("devices")
        await wait_for(pilot, lambda: bool(notes))
    assert notes[0].splitlines()[0] == "cpu"


def test_the_minimum_is_80x24():
    from textual.geometry import Size

    from tui.ui.screens.too_small import is_too_small, too_small_message

    assert not is_too_small(Size(80, 24))
    assert is_too_small(Size(79, 24)) and is_too_small(Size(80, 23))
    assert too_small_message(Size(70, 20)) == "terminal too small: need 80x24, have 70x20"


async def test_copy_key_in_the_repl_copies_the_last_output(monkeypatch):
    app = TorchTUI(device="cpu")
    written: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.kernel.ready, timeout=120)
        await pilot.press("f3")
        repl = app.screen.query_one("#repl")
        await wait_for(pilot, lambda: repl.built and app.focused is repl.input)
        repl.run_source("print('hello'); 6 * 7")
        await wait_for(pilot, lambda: getattr(app, "last_cell", None) is not None)
        monkeypatch.setattr(app._driver, "write", written.append)
        await pilot.press("f8")
        payload = base64.b64encode(b"hello\n42").decode()
        osc52 = f"\x1b]52;c;{payload}\a"
        # on a loaded box the dashboard may still be mounting: wait for the write itself
        await wait_for(pilot, lambda: osc52 in written)
