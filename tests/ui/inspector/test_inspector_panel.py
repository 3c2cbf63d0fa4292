"""The inspector panel on a real kernel: cards, variables, autograd tree, watches.

The panel renders only what the kernel sends; these tests run cells through the kernel
hub (as the REPL does) and hand every kernel event to the panel (as the REPL does).
"""

from __future__ import annotations

import time
from functools import partial

import pytest
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input, Static, TabbedContent, Tree

from tui.kernel.hub import KernelHub
from tui.protocol import messages as p
from tui.ui.common.kernel_messages import KernelEvent, message_for
from tui.ui.common.session import Session
from tui.ui.inspector.card_widgets import TensorCard
from tui.ui.inspector.inspector_panel import InspectorPanel, WatchPanel

from ..pilot_wait import wait_for


class InspectorApp(App):
    """The panel alone, on the shared kernel (its namespace reset on connect)."""

    def __init__(self, process) -> None:
        super().__init__()
        self.kernel = KernelHub(self._post, device="cpu", process=process, keep_kernel=True)
        self.events: list[object] = []

    def _post(self, event: object, generation: int) -> None:
        self.post_message(KernelEvent(event, generation))

    def compose(self) -> ComposeResult:
        yield InspectorPanel(Session(self.kernel), id="insp")

    def on_mount(self) -> None:
        self.kernel.start()

    def on_kernel_event(self, message: KernelEvent) -> None:
        if message.generation == self.kernel.generation:
            self.events.append(message.event)
            forward = message_for(message.event)
            if forward is not None:
                self.query_one(InspectorPanel).post_message(forward)

    async def on_unmount(self) -> None:
        await self.kernel.shutdown()


def texts(app, selector: str = "Static") -> str:
    return "\n".join(str(w.render()) for w in app.query(selector))


until = partial(wait_for, timeout=60.0)  # the first test waits for torch in the kernel


@pytest.fixture
def inspector_app(shared_kernel):
    return InspectorApp(shared_kernel)


async def built(app, pilot) -> InspectorPanel:
    """The panel, once the kernel is ready and its tabs are mounted."""
    panel = app.query_one(InspectorPanel)
    await until(pilot, lambda: app.kernel.ready and panel.built, what="the kernel and the panel")
    return panel


async def run_cell(pilot, app, panel, source: str, ok: bool = True):
    """Run a cell in the kernel and wait until the panel has shown its payload."""
    outcome = await app.kernel.execute(source, lambda out: None)
    assert outcome.ok == ok, outcome.text()
    await until(pilot, lambda: panel.last_cell == outcome.number, what=f"payload of {source!r}")
    return outcome


async def test_cell_result_shows_a_tensor_card(inspector_app):
    app = inspector_app
    async with app.run_test(size=(50, 48)) as pilot:
        panel = await built(app, pilot)
        await run_cell(pilot, app, panel, "x = torch.arange(12.).reshape(3, 4)")
        out = await run_cell(pilot, app, panel, "x * 2")
        await until(pilot, lambda: f"Out[{out.number}]" in texts(app, "TensorCard Static"))
        text = texts(app, "TensorCard Static")
        assert "shape (3, 4)" in text and "dtype float32" in text
        assert "16.0 18.0 20.0 22.0" in text
        assert app.query_one(TabbedContent).active == "card"
        assert len(app.query(TensorCard)) == 1


async def test_enter_on_a_variable_opens_its_card(inspector_app):
    app = inspector_app
    async with app.run_test(size=(50, 40)) as pilot:
        panel = await built(app, pilot)
        await run_cell(
            pilot, app, panel, "w = torch.ones(2, 5, dtype=torch.int64)\nm = nn.Linear(5, 2)"
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


async def test_slices_of_a_3d_tensor_move_with_brackets(inspector_app):
    app = inspector_app
    async with app.run_test(size=(50, 48)) as pilot:
        panel = await built(app, pilot)
        await run_cell(pilot, app, panel, "t3 = torch.arange(24.).reshape(2, 3, 4)")
        card = app.query_one(TensorCard)
        card.focus()
        assert "slice [0, :, :]" in texts(app, "TensorCard Static")
        await pilot.press("]")
        await until(pilot, lambda: "slice [1, :, :]" in texts(app, "TensorCard Static"))
        assert "12.0" in texts(app, "TensorCard .values")
        await pilot.press("]")  # wraps around
        await until(pilot, lambda: "slice [0, :, :]" in texts(app, "TensorCard Static"))
        # once the tensor is deleted, the card stays but its other slices are gone
        await run_cell(pilot, app, panel, "del t3")
        card.focus()
        await pilot.press("]")
        await until(
            pilot,
            lambda: any("That tensor is gone" in str(n.message) for n in app._notifications),
            what="the notice that the tensor is gone",
        )
        assert "slice [0, :, :]" in texts(app, "TensorCard Static")


async def test_del_frees_the_tensor_behind_a_card(inspector_app):
    """The kernel holds the object behind a card weakly: ``del x`` frees it."""
    app = inspector_app
    async with app.run_test(size=(50, 40)) as pilot:
        panel = await built(app, pilot)
        await run_cell(pilot, app, panel, "big = torch.ones(1000, 1000)")
        key = app.query_one(TensorCard).card.key
        assert key >= 0
        reply = await app.kernel.agent(p.PreviewRequest(key=key, index=[]))
        assert reply.preview is not None
        out = await run_cell(
            pilot,
            app,
            panel,
            "import gc, weakref\n_ref = weakref.ref(big)\ndel big\ngc.collect()\n"
            "print('freed' if _ref() is None else 'alive')",
        )
        assert "freed" in out.text(), out.text()
        reply = await app.kernel.agent(p.PreviewRequest(key=key, index=[]))
        assert reply.preview is None


async def test_autograd_tree_names_the_leaves(inspector_app):
    app = inspector_app
    async with app.run_test(size=(50, 40)) as pilot:
        panel = await built(app, pilot)
        await run_cell(
            pilot,
            app,
            panel,
            "a = torch.ones(3, requires_grad=True)\nb = torch.ones(3, requires_grad=True)",
        )
        await run_cell(pilot, app, panel, "(a * b).sum()")
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


async def test_watches_update_show_errors_and_recover(inspector_app):
    app = inspector_app
    async with app.run_test(size=(50, 40)) as pilot:
        panel = await built(app, pilot)
        await run_cell(pilot, app, panel, "w = torch.zeros(3)")
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
        await run_cell(pilot, app, panel, "w += 1\nundefined_name = 21")
        await until(pilot, lambda: "42" in texts(app, "WatchPanel Static"))
        assert "w.sum()\n3.0  (float32 scalar" in texts(app, "WatchPanel Static")
        assert "NameError" not in texts(app, "WatchPanel Static")
        # remove the selected watch
        app.query_one("#watch-list").focus()
        await pilot.press("delete")
        assert watches.exprs == ["undefined_name * 2"]
        await until(pilot, lambda: panel.watch_exprs == ("undefined_name * 2",))


async def test_watches_are_pushed_while_a_run_trains(inspector_app):
    """No cell runs, a training run does: the agent re-evaluates the watches on its own,
    at most 4 times a second, and stops once the run ends."""
    app = inspector_app
    async with app.run_test(size=(50, 40)) as pilot:
        panel = await built(app, pilot)
        await run_cell(pilot, app, panel, "import time")
        panel.action_add_watch()
        await pilot.press(*"time.monotonic()", "enter")
        await until(pilot, lambda: panel.watch_exprs == ("time.monotonic()",))

        def pushes() -> list[p.WatchValues]:
            return [
                e.message
                for e in app.events
                if hasattr(e, "message") and isinstance(e.message, p.WatchValues)
            ]

        assert not pushes()
        run = p.TrainStart(run_id=7, config={"dataset": "xor", "steps": 1_000_000})
        await app.kernel.agent(run)
        start = time.monotonic()
        await until(pilot, lambda: len(pushes()) >= 3, what="watch values pushed while training")
        elapsed = time.monotonic() - start
        assert len(pushes()) <= 4 * elapsed + 2
        seen = {v.values[0].text for v in pushes()}
        assert len(seen) >= 2, "each push is a fresh evaluation"
        shown = texts(app, "WatchPanel Static")
        assert any(text in shown for text in seen)
        await app.kernel.agent(p.TrainControl(run_id=7, action="stop"))
        await until(
            pilot,
            lambda: any(
                type(getattr(e, "message", None)).__name__ == "TrainEnded" for e in app.events
            ),
            what="the run to end",
        )
        await pilot.pause(0.3)
        count = len(pushes())
        await pilot.pause(0.8)
        assert len(pushes()) == count, "no pushes once the run has ended"


async def test_containers_get_a_card_per_tensor_and_errors_do_not_break(inspector_app):
    app = inspector_app
    async with app.run_test(size=(50, 48)) as pilot:
        panel = await built(app, pilot)
        out = await run_cell(
            pilot, app, panel, "(torch.zeros(2), 'x', torch.ones(3, dtype=torch.bool))"
        )
        titles = [str(c.card.title) for c in app.query(TensorCard)]
        assert titles == [f"Out[{out.number}][0]", f"Out[{out.number}][2]"]
        await run_cell(pilot, app, panel, "1/0", ok=False)  # an error keeps the cards
        assert len(app.query(TensorCard)) == 2


def test_static_text_helper_is_plain():
    assert str(Static("a").render()) == "a"


def test_a_numpy_array_card_has_no_autograd_fields():
    """NumPy has no autograd: requires_grad, leaf, grad_fn and grad would only confuse."""
    import numpy as np
    import torch  # noqa: F401 - the card is built from the array as torch sees it

    from tui.tensors import objects
    from tui.ui.inspector.card_widgets import tensor_header

    text = tensor_header(objects.card_for(np.arange(6.0).reshape(2, 3), "a", {})).plain
    assert "ndarray" in text and "(2, 3)" in text and "float64" in text
    for field in ("requires_grad", "grad_fn", "leaf", "grad "):
        assert field not in text, text
    tensor = tensor_header(objects.card_for(torch.ones(2, requires_grad=True), "t", {})).plain
    assert "requires_grad" in tensor and "grad_fn" in tensor
