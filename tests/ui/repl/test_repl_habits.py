"""IPython habits in the REPL: clearing a recalled cell, Enter running it, a completion
list that narrows as you type, F1 in words, and a footer with the focused pane's keys."""

from __future__ import annotations

import pytest
from textual.widgets import Footer

from tui.ui.repl.cell_input import ReplInput
from tui.ui.repl.completion_menu import CompletionMenu
from tui.ui.screens.help import HelpScreen

from ..pilot_wait import wait_for
from .test_repl import RecordingApp, open_repl, run

CELL = "for i in range(2):\n    print('loop', i)\n"


async def recall_cell(pilot, app) -> ReplInput:
    inp = await open_repl(pilot, app)
    await run(pilot, app, inp, CELL)
    await pilot.press("up")
    assert inp.text.strip() == CELL.strip() and inp.cursor_location[0] == 0
    return inp


@pytest.mark.parametrize("key", ["ctrl+c", "ctrl+u", "escape"])
async def test_a_key_empties_a_recalled_multi_line_cell(key):
    app = RecordingApp()
    async with app.run_test(size=(120, 40)) as pilot:
        inp = await recall_cell(pilot, app)
        await pilot.press(key)
        await wait_for(pilot, lambda: inp.text == "", what=f"{key} to empty the input")


async def test_enter_runs_a_recalled_multi_line_cell():
    app = RecordingApp()
    async with app.run_test(size=(120, 40)) as pilot:
        inp = await recall_cell(pilot, app)
        before = len(app.cells)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app.cells) > before, what="the recalled cell to run")
        assert app.cells[-1].ok and inp.text == ""


async def test_tab_after_torch_dot_opens_a_list_that_narrows_as_you_type():
    app = RecordingApp()
    async with app.run_test(size=(120, 40)) as pilot:
        inp = await open_repl(pilot, app)
        menu = app.screen.query_one(CompletionMenu)
        inp.insert("torch.")
        await pilot.press("tab")
        await wait_for(pilot, lambda: menu.is_open and len(menu.shown) > 100, what="the list")
        assert menu.region.height <= 10  # a list to choose from, not a dump of names
        await pilot.press("z", "e")
        await wait_for(
            pilot,
            lambda: menu.shown and all(".ze" in m or m.startswith("ze") for m in menu.shown),
            what="the list narrowed to ze…",
        )
        assert len(menu.shown) < 10
        await pilot.press("down", "tab")
        assert not menu.is_open
        assert inp.text.startswith("torch.zero") and inp.text != "torch.ze"
        await pilot.press("ctrl+u", *"torch.", "tab")
        await wait_for(pilot, lambda: menu.is_open)
        await pilot.press("escape")
        assert not menu.is_open and inp.text == "torch."


async def test_f1_groups_the_keys_by_pane_in_words():
    app = RecordingApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_repl(pilot, app, ready=False)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        text = app.screen.help_text
        for heading in ("Everywhere", "Lessons", "REPL", "Dashboard"):
            assert f"# {heading}" in text, heading
        assert "full_stop" not in text and "question_mark" not in text
        assert "scroll" in text and "pgup" in text.lower()


async def test_the_footer_shows_the_focused_panes_keys():
    app = RecordingApp()
    async with app.run_test(size=(160, 48)) as pilot:

        def footer_keys() -> str:
            return " ".join(
                b.binding.description
                for b in app.screen.active_bindings.values()
                if b.binding.show and b.binding.description
            )

        await pilot.pause()
        assert "Run block" in footer_keys()
        await open_repl(pilot, app, ready=False)
        await wait_for(pilot, lambda: "Restart" in footer_keys(), what="the REPL's keys")
        assert "Run block" not in footer_keys()
        assert app.screen.query_one(Footer).display
