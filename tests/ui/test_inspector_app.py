"""The inspector inside the real app: type a cell in the REPL, see its card, open a variable."""

from __future__ import annotations

from textual.widgets import DataTable

from tui.app import TorchTUI
from tui.widgets.inspector import InspectorPanel
from tui.widgets.inspector_cards import TensorCard
from tui.widgets.repl_input import ReplInput

from .pilot_wait import wait_for


def card_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query("TensorCard Static"))


async def test_typed_cell_shows_its_card_and_enter_opens_a_variable():
    app = TorchTUI(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f3")
        await wait_for(pilot, lambda: getattr(app, "session", None) is not None)
        panel = app.screen.query_one(InspectorPanel)
        await wait_for(pilot, lambda: panel.session is app.session)  # hook registered
        inp = app.screen.query_one(ReplInput)
        await wait_for(pilot, lambda: app.focused is inp)
        await pilot.press(*"x = torch.arange(12.).reshape(3, 4)", "enter")
        await wait_for(pilot, lambda: "x  tensor" in card_text(app))  # assigned: x's card
        await pilot.press(*"x * 2", "enter")
        await wait_for(pilot, lambda: "Out[2]" in card_text(app))
        text = card_text(app)
        assert "shape (3, 4)" in text and "dtype float32" in text
        assert "16.0 18.0 20.0 22.0" in text
        assert panel.query_one(TensorCard).region.width >= 30  # readable beside the log

        # F6 moves into the inspector, v shows the variables, Enter opens x's card
        await pilot.press("f6")
        await pilot.press("v")
        table = panel.query_one(DataTable)
        await wait_for(pilot, lambda: app.focused is table)
        assert table.get_row_at(table.cursor_row)[0] == "x"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "x  tensor" in card_text(app))
        assert isinstance(app.focused, TensorCard)
        await pilot.press("escape")  # back to typing
        assert app.focused is inp


async def test_narrow_layout_shows_the_card_when_the_inspector_is_toggled():
    app = TorchTUI(device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await wait_for(pilot, lambda: getattr(app, "session", None) is not None)
        panel = app.screen.query_one(InspectorPanel)
        await wait_for(pilot, lambda: panel.session is app.session)
        await pilot.press(*"torch.ones(2, 3)", "enter")
        await wait_for(pilot, lambda: "Out[1]" in card_text(app))
        await pilot.press("f6")  # shows the inspector in place of the log
        await wait_for(pilot, lambda: panel.display and panel.region.width > 0)
        assert panel.region.width >= 30
        assert "shape (2, 3)" in card_text(app)
