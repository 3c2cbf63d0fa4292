"""Pictures on the inspector's cards in the real app, on a real kernel: a 28x28 tensor's
card shows a heatmap and ``p`` toggles the values; a shape not drawn by default is asked
for (``PictureRequest``)."""

from __future__ import annotations

from textual.widgets import Static

from tui.ui.inspector.card_widgets import TensorCard
from tui.ui.repl.cell_input import ReplInput

from ..pilot_wait import wait_for
from .test_inspector_app import card_text, ready_panel


def shown(card: TensorCard, part: str) -> str:
    static = card.query_one(f".{part}", Static)
    return str(static.render()) if static.display else ""


async def test_a_28x28_tensor_shows_a_heatmap_and_p_toggles_the_values(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        panel = await ready_panel(pilot, app)
        inp = app.screen.query_one(ReplInput)
        await wait_for(pilot, lambda: app.focused is inp)
        inp.insert("x = torch.rand(28, 28)")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "x  tensor" in card_text(app), what="x's card")
        card = panel.query_one(TensorCard)
        picture = card.card.picture  # fitted to the room the REPL pane told the kernel
        assert picture.kind == "heatmap" and picture.width == 28 // picture.factor
        lines = shown(card, "picture").splitlines()
        assert lines[0] == "▀" * picture.width and len(lines) >= picture.height // 2 + 1
        assert shown(card, "values") == ""

        await pilot.press("f6")  # into the inspector: the card has the focus
        await wait_for(pilot, lambda: app.focused is card, what="the card's focus")
        await pilot.press("p")
        assert shown(card, "picture") == "" and "0 " in shown(card, "values")
        await pilot.press("p")
        assert shown(card, "picture").startswith("▀" * picture.width)

        # a shape not drawn by default: p asks the kernel for one
        await pilot.press("escape")
        inp.insert("t = torch.rand(2, 3, 40)")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "t  tensor" in card_text(app), what="t's card")
        assert card.card.picture is None and shown(card, "picture") == ""
        await pilot.press("f6")
        await wait_for(pilot, lambda: app.focused is card, what="the card's focus")
        await pilot.press("p")
        await wait_for(pilot, lambda: shown(card, "picture"), what="the asked-for picture")
        assert "channel 0 of 2" in shown(card, "picture")


async def test_low_bandwidth_draws_a_picture_only_when_asked(make_app):
    app = make_app(device="cpu", low_bandwidth=True)
    async with app.run_test(size=(160, 48)) as pilot:
        panel = await ready_panel(pilot, app)
        inp = app.screen.query_one(ReplInput)
        await wait_for(pilot, lambda: app.focused is inp)
        inp.insert("x = torch.rand(28, 28)")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "x  tensor" in card_text(app), what="x's card")
        card = panel.query_one(TensorCard)
        assert card.card.picture is not None
        assert shown(card, "picture") == "" and "0 " in shown(card, "values")
        await pilot.press("f6")
        await wait_for(pilot, lambda: app.focused is card, what="the card's focus")
        await pilot.press("p")
        assert shown(card, "picture").startswith("▀")
