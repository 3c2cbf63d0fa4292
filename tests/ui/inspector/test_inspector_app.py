"""The inspector inside the real app: type a cell in the REPL, see its card, open a variable."""

from __future__ import annotations

from textual.widgets import DataTable

from tui.ui.inspector.card_widgets import TensorCard
from tui.ui.inspector.inspector_panel import InspectorPanel
from tui.ui.repl.cell_input import ReplInput

from ..pilot_wait import wait_for


def card_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query("TensorCard Static"))


async def ready_panel(pilot, app) -> InspectorPanel:
    await pilot.press("f3")
    await wait_for(pilot, lambda: app.kernel.ready, 120, "the kernel")
    panel = app.screen.query_one(InspectorPanel)
    await wait_for(pilot, lambda: panel.built, what="the inspector's tabs")
    return panel


async def test_typed_cell_shows_its_card_and_enter_opens_a_variable(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        panel = await ready_panel(pilot, app)
        inp = app.screen.query_one(ReplInput)
        await wait_for(pilot, lambda: app.focused is inp)
        inp.insert("x = torch.arange(12.).reshape(3, 4)")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "x  tensor" in card_text(app))  # assigned: x's card
        inp.insert("x * 2")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Out[" in card_text(app))
        text = card_text(app)
        assert "shape (3, 4)" in text and "dtype float32" in text
        assert "16.0 18.0 20.0 22.0" in text

        # F6 opens the drawer and moves into it, v shows the variables, Enter opens x's card
        await pilot.press("f6")
        card = panel.query_one(TensorCard)
        await wait_for(pilot, lambda: card.region.width >= 30, what="a readable card")
        await pilot.press("v")
        table = panel.query_one(DataTable)
        await wait_for(pilot, lambda: app.focused is table)
        assert str(table.get_row_at(table.cursor_row)[0]) == "x"  # cells are literal Text
        await pilot.press("enter")
        await wait_for(pilot, lambda: "x  tensor" in card_text(app))
        assert isinstance(app.focused, TensorCard)
        await pilot.press("escape")  # back to typing
        assert app.focused is inp


async def test_narrow_layout_shows_the_card_when_the_inspector_is_toggled(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await ready_panel(pilot, app)
        inp = app.screen.query_one(ReplInput)
        await wait_for(pilot, lambda: app.focused is inp)
        inp.insert("torch.ones(2, 3)")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Out[" in card_text(app))
        await pilot.press("f6")  # shows the inspector in place of the log
        await wait_for(pilot, lambda: panel.display and panel.region.width > 0)
        assert panel.region.width >= 30
        assert "shape (2, 3)" in card_text(app)


async def test_a_restart_keeps_the_watches_and_forgets_the_variables(make_app):
    """A fresh kernel knows no watches: the inspector sets them again on Ready."""
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        panel = await ready_panel(pilot, app)
        inp = app.screen.query_one(ReplInput)
        await wait_for(pilot, lambda: app.focused is inp)
        inp.insert("v = torch.ones(4)")
        await pilot.press("enter")
        table = panel.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 1, what="v in the variables")
        panel.action_add_watch()
        await pilot.pause()
        await pilot.press(*"2 + 2", "enter")
        watches = "#watches Static"
        await wait_for(
            pilot, lambda: "\n4" in "\n".join(str(w.render()) for w in panel.query(watches))
        )
        for w in panel.query(watches):
            w.update("")  # forget what was shown: the new kernel must send it again
        await app.kernel.restart()
        await wait_for(pilot, lambda: table.row_count == 0, 120, "the fresh namespace")
        await wait_for(
            pilot,
            lambda: "\n4" in "\n".join(str(w.render()) for w in panel.query(watches)),
            60,
            "the watch evaluated by the new kernel",
        )


async def test_keys_behind_w_and_escape_reach_where_they_moved_the_focus(make_app):
    """``w``, a watch, Enter, Escape and a cell in one burst (a laggy SSH link): the
    watch lands in the watch field and the cell in the REPL input. ``w`` and Escape move
    the focus only once handled, and the keys behind them had gone to the old focus."""
    from textual import events

    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        panel = await ready_panel(pilot, app)
        inp = app.screen.query_one(ReplInput)
        await pilot.press("f6")
        await wait_for(pilot, lambda: app.focused is not None and panel in app.focused.ancestors)
        keys = [("w", "w"), *[(c, c) for c in "3*7"], ("enter", "\r"), ("escape", None)]
        keys += [(c, c) for c in "x=1"]
        for key, char in keys:
            app.post_message(events.Key(key, char))
        watches = "#watches Static"
        await wait_for(
            pilot,
            lambda: "\n21" in "\n".join(str(w.render()) for w in panel.query(watches)),
            what="the watch 3*7 evaluated",
        )
        await wait_for(pilot, lambda: inp.text == "x=1", what=f"x=1 in the input, not {inp.text!r}")
        assert app.focused is inp
