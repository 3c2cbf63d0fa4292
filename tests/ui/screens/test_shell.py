"""The three-pane shell as a keyboard user meets it."""

from __future__ import annotations

import asyncio

import pytest
from textual import events
from textual.command import CommandPalette

from tui.ui.app import TorchTUI
from tui.ui.screens.help import HelpScreen

from ..pilot_wait import wait_for


def pane_of(app, widget):
    node = widget
    while node is not None and node.id not in ("lessons", "repl", "dashboard"):
        node = node.parent
    return node.id if node is not None else None


async def test_status_line_shows_torch_version_after_loading():
    app = TorchTUI()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.torch_info is not None)
        await pilot.pause()
        status = str(app.screen.query_one("#status").render())
        assert status.startswith("torch 2.") and "cpu" in status


async def test_all_three_panes_visible_when_wide():
    app = TorchTUI()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        for name in ("lessons", "repl", "dashboard"):
            region = app.screen.query_one(f"#{name}").region
            assert region.width > 20 and region.height > 5, name
        assert not app.screen.query_one("#pane-tabs").display


async def test_function_keys_focus_each_pane():
    app = TorchTUI()
    async with app.run_test(size=(160, 48)) as pilot:
        for key, name in (("f3", "repl"), ("f4", "dashboard"), ("f2", "lessons")):
            await pilot.press(key)
            await wait_for(pilot, lambda name=name: pane_of(app, app.focused) == name)


@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
async def test_f_keys_in_one_burst_settle_on_the_last_pane(size):
    """F4, F3, F2 typed faster than the app draws: it ends on the lessons and stays
    responsive (stale tab messages used to bounce the panes back and forth forever)."""
    app = TorchTUI()
    async with app.run_test(size=size) as pilot:
        await pilot.press("f3")
        await wait_for(pilot, lambda: pane_of(app, app.focused) == "repl", timeout=10)
        tabs = app.screen.query_one("#pane-tabs")
        for key in ("f4", "f3", "f2"):
            app.post_message(events.Key(key, None))
        await wait_for(pilot, lambda: pane_of(app, app.focused) == "lessons", timeout=10)
        for _ in range(5):
            await pilot.pause(0.02)
            assert pane_of(app, app.focused) == "lessons"
            assert tabs.active == "tab-lessons"
        await pilot.press("f3")
        await wait_for(pilot, lambda: pane_of(app, app.focused) == "repl", timeout=10)


async def test_narrow_terminal_shows_one_pane_under_tabs():
    app = TorchTUI()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#pane-tabs").display
        for key, name in (("f3", "repl"), ("f4", "dashboard"), ("f2", "lessons")):
            await pilot.press(key)
            await wait_for(pilot, lambda name=name: pane_of(app, app.focused) == name)
            await pilot.pause()
            shown = app.screen.query_one(f"#{name}")
            assert shown.region.width >= 70, name
            others = {"lessons", "repl", "dashboard"} - {name}
            for other in others:
                assert app.screen.query_one(f"#{other}").region.width == 0, other
        await pilot.click("#tab-repl")  # a tab picked with the mouse shows its pane
        await wait_for(pilot, lambda: pane_of(app, app.focused) == "repl")
        await wait_for(pilot, lambda: app.screen.query_one("#repl").region.width >= 70)


async def test_f1_lists_global_and_pane_keys():
    app = TorchTUI()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = app.screen.help_text
        assert "ctrl+q" in text.lower() and "REPL (F3)" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))


async def test_question_mark_is_typed_in_the_repl_but_opens_help_elsewhere():
    app = TorchTUI()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f3")
        await wait_for(pilot, lambda: pane_of(app, app.focused) == "repl")
        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        assert "?" in app.focused.text
        await pilot.press("f4")
        await wait_for(pilot, lambda: pane_of(app, app.focused) == "dashboard")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))


async def test_command_palette_offers_area_actions():
    app = TorchTUI()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"view: repl")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane_of(app, app.focused) == "repl")


async def test_ctrl_q_quits():
    app = TorchTUI()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+q")
        await asyncio.wait_for(pilot.wait_for_scheduled_animations(), 5)
    assert app.return_code == 0 or app.return_code is None
