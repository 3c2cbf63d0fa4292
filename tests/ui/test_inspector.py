"""The inspector panel with a real Session: cards, variables, autograd tree, watches."""

from __future__ import annotations

import asyncio
from functools import partial

import pytest
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input, Static, TabbedContent, Tree

from tui.widgets.inspector import InspectorPanel, WatchPanel
from tui.widgets.inspector_cards import TensorCard

from .pilot_wait import wait_for

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def session_cls():
    from tui.core.session import Session

    return Session


class InspectorApp(App):
    def __init__(self, session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        yield InspectorPanel(id="insp")


def texts(app, selector: str = "Static") -> str:
    return "\n".join(str(w.render()) for w in app.query(selector))


until = partial(wait_for, timeout=10.0)  # the shared helper, this file's deadline


async def built(app, pilot) -> InspectorPanel:
    """The panel, once its tabs are mounted (they come after the first frame)."""
    panel = app.query_one(InspectorPanel)
    await until(pilot, lambda: panel.built)
    return panel


async def run_cell(pilot, session, panel, source: str):
    record = await asyncio.wrap_future(session.submit(session.run_cell, source))
    assert record.error is None, record.error
    panel.show(record)
    await pilot.pause()
    return record


@pytest.fixture
def session(session_cls):
    s = session_cls()
    yield s


async def test_cell_result_shows_a_tensor_card(session):
    app = InspectorApp(session)
    async with app.run_test(size=(50, 48)) as pilot:
        panel = await built(app, pilot)
        panel.attach(session)  # normally found through app.session once torch is ready
        await run_cell(pilot, session, panel, "x = torch.arange(12.).reshape(3, 4)")
        await run_cell(pilot, session, panel, "x * 2")
        await until(pilot, lambda: "Out[2]" in texts(app, "TensorCard Static"))
        text = texts(app, "TensorCard Static")
        assert "shape (3, 4)" in text and "dtype float32" in text
        assert "16.0 18.0 20.0 22.0" in text
        assert app.query_one(TabbedContent).active == "card"
        assert len(app.query(TensorCard)) == 1


async def test_enter_on_a_variable_opens_its_card(session):
    app = InspectorApp(session)
    async with app.run_test(size=(50, 40)) as pilot:
        panel = await built(app, pilot)
        panel.attach(session)
        await run_cell(
            pilot, session, panel, "w = torch.ones(2, 5, dtype=torch.int64)\nm = nn.Linear(5, 2)"
        )
        table = app.query_one(DataTable)
        assert table.row_count == 2
        panel.action_tab("vars")
        await pilot.pause()
        assert app.focused is table
        table.move_cursor(row=table.get_row_index("w"))
        await pilot.press("enter")
        await until(pilot, lambda: "w  tensor" in texts(app, "TensorCard Static"))
        assert "shape (2, 5)" in texts(app, "TensorCard Static")
        assert "dtype int64" in texts(app, "TensorCard Static")
        assert isinstance(app.focused, TensorCard)
        # and a module opens a module card
        await pilot.press("v")
        table.move_cursor(row=table.get_row_index("m"))
        await pilot.press("enter")
        await until(pilot, lambda: "trainable 12" in texts(app, "ModuleCard"))


async def test_slices_of_a_3d_tensor_move_with_brackets(session):
    app = InspectorApp(session)
    async with app.run_test(size=(50, 48)) as pilot:
        panel = await built(app, pilot)
        panel.attach(session)
        await run_cell(pilot, session, panel, "torch.arange(24.).reshape(2, 3, 4)")
        card = app.query_one(TensorCard)
        card.focus()
        assert "slice [0, :, :]" in texts(app, "TensorCard Static")
        await pilot.press("]")
        await until(pilot, lambda: "slice [1, :, :]" in texts(app, "TensorCard Static"))
        assert "12.0" in texts(app, "TensorCard .values")
        await pilot.press("]")  # wraps around
        await until(pilot, lambda: "slice [0, :, :]" in texts(app, "TensorCard Static"))


async def test_autograd_tree_names_the_leaves(session):
    app = InspectorApp(session)
    async with app.run_test(size=(50, 40)) as pilot:
        panel = await built(app, pilot)
        panel.attach(session)
        await run_cell(
            pilot,
            session,
            panel,
            "a = torch.ones(3, requires_grad=True)\nb = torch.ones(3, requires_grad=True)",
        )
        await run_cell(pilot, session, panel, "(a * b).sum()")
        await pilot.press("g")  # nothing focused in the panel yet: use the action
        panel.action_tab("graph")
        await pilot.pause()
        tree = app.query_one(Tree)
        assert app.focused is tree
        labels = []
        stack = [tree.root]
        while stack:
            node = stack.pop()
            labels.append(str(node.label))
            stack.extend(node.children)
        assert "SumBackward0" in labels
        assert any(lab.startswith("AccumulateGrad a ") for lab in labels)
        assert any(lab.startswith("AccumulateGrad b ") for lab in labels)
        await pilot.press("down", "down")  # keyboard navigable
        assert tree.cursor_line == 2


async def test_watches_update_show_errors_and_recover(session):
    app = InspectorApp(session)
    async with app.run_test(size=(50, 40)) as pilot:
        panel = await built(app, pilot)
        panel.attach(session)
        await run_cell(pilot, session, panel, "w = torch.zeros(3)")
        panel.action_add_watch()
        await pilot.pause()
        assert isinstance(app.focused, Input)
        for expr in ("w.sum()", "undefined_name * 2"):
            await pilot.press(*expr)
            await pilot.press("enter")
        watches = app.query_one(WatchPanel)
        assert watches.exprs == ["w.sum()", "undefined_name * 2"]
        await until(pilot, lambda: "NameError" in texts(app, "WatchPanel Static"))
        assert "w.sum()\n0.0  (float32 scalar" in texts(app, "WatchPanel Static")
        await run_cell(pilot, session, panel, "w += 1\nundefined_name = 21")
        await until(pilot, lambda: "42" in texts(app, "WatchPanel Static"))
        assert "w.sum()\n3.0  (float32 scalar" in texts(app, "WatchPanel Static")
        assert "NameError" not in texts(app, "WatchPanel Static")
        # the timer keeps values fresh while something else changes the namespace
        session.submit(lambda: session.namespace["w"].add_(1)).result()
        await until(
            pilot, lambda: "w.sum()\n6.0  (float32 scalar" in texts(app, "WatchPanel Static")
        )
        # remove the selected watch
        app.query_one("#watch-list").focus()
        await pilot.press("delete")
        assert watches.exprs == ["undefined_name * 2"]


async def test_watch_timer_never_evaluates_on_the_ui_thread(session):
    import threading

    from tui.core import inspect as core

    threads = set()
    real = core.evaluate_watch

    def spy(expr, ns):
        threads.add(threading.get_ident())
        return real(expr, ns)

    app = InspectorApp(session)
    async with app.run_test(size=(50, 30)) as pilot:
        panel = await built(app, pilot)
        panel.attach(session)
        core_eval = core.evaluate_watch
        core.evaluate_watch = spy
        try:
            panel.action_add_watch()
            await pilot.press(*"1 + 1", "enter")
            await until(pilot, lambda: "\n2" in texts(app, "WatchPanel Static"))
        finally:
            core.evaluate_watch = core_eval
    assert threads and threading.get_ident() not in threads


async def test_containers_get_a_card_per_tensor_and_errors_do_not_break(session):
    app = InspectorApp(session)
    async with app.run_test(size=(50, 48)) as pilot:
        panel = await built(app, pilot)
        panel.attach(session)
        await run_cell(
            pilot, session, panel, "(torch.zeros(2), 'x', torch.ones(3, dtype=torch.bool))"
        )
        titles = [str(c.card.title) for c in app.query(TensorCard)]
        assert titles == ["Out[1][0]", "Out[1][2]"]
        record = await asyncio.wrap_future(session.submit(session.run_cell, "1/0"))
        panel.show(record)  # an error keeps the previous cards
        await pilot.pause()
        assert len(app.query(TensorCard)) == 2


def test_static_text_helper_is_plain():
    assert str(Static("a").render()) == "a"
