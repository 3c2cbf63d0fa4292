"""Pictures on the inspector's cards, built from plain data (no kernel, no torch): a
heatmap card, an image card and a module card's Conv2d filters (snapshots: look at the
SVGs under __snapshots__ before accepting), ``p`` toggling picture and values, a picture
asked for, one that cannot be drawn, and nothing drawn again while unchanged.

pytest tests/ui/inspector/test_picture_cards.py --snapshot-update   # after a deliberate change
"""

from __future__ import annotations

import dataclasses

import numpy as np
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from tui.tensors import cards as core
from tui.tensors.pictures import grid, heatmap, image
from tui.ui.inspector.card_widgets import ModuleCard, TensorCard, card_widget, picture_view

from ..pilot_wait import wait_for

SIZE = (160, 48)


def tensor_card(title: str, shape: list[int], picture, key: int = 3) -> core.TensorCard:
    numel = int(np.prod(shape))
    return core.TensorCard(
        title=title,
        shape=shape,
        dtype="float32",
        device="cpu",
        layout="strided",
        requires_grad=False,
        is_leaf=True,
        grad_fn=None,
        has_grad=False,
        numel=numel,
        nbytes=4 * numel,
        stride=None,
        contiguous=True,
        stats=core.Stats(min=0.0, max=1.0, mean=0.5, std=0.29),
        preview=core.Preview(
            cells=[["0.25", "0.5"], ["0.75", "1.0"]],
            row_labels=["0", "1"],
            col_labels=["0", "1"],
            index=[],
            lead_shape=[],
        ),
        histogram=None,
        graph=None,
        key=key,
        picture=picture,
    )


def ripple() -> np.ndarray:
    """A 28x28 image-like pattern in [0, 1], the same on every machine."""
    y, x = np.mgrid[0:28, 0:28]
    r = np.hypot(y - 13.5, x - 13.5)
    return (np.cos(r / 2.5) + 1) / 2


def heatmap_card() -> core.TensorCard:
    return tensor_card("x", [28, 28], heatmap(ripple()))


def image_card() -> core.TensorCard:
    y, x = np.mgrid[0:32, 0:32] / 31.0
    rgb = np.stack([x, y, 1 - x])  # (3, 32, 32): red right, green down, blue left
    return tensor_card("img", [3, 32, 32], image(rgb))


def conv_module_card() -> core.ModuleCard:
    filters = np.zeros((16, 1, 5, 5))
    y, x = np.mgrid[-2:3, -2:3]
    for i in range(16):  # edges at 16 angles, signed: a diverging scale
        a = np.pi * i / 16
        filters[i, 0] = np.cos(a) * x + np.sin(a) * y
    return core.ModuleCard(
        title="net",
        type_name="Sequential",
        layers=[
            core.LayerRow(0, "net", "Sequential", 0),
            core.LayerRow(1, "0", "Conv2d", 416, "1, 16, kernel_size=(5, 5), stride=(1, 1)"),
            core.LayerRow(1, "1", "ReLU", 0),
        ],
        trainable=416,
        frozen=0,
        nbytes=1664,
        buffer_bytes=0,
        devices=["cpu"],
        dtypes=["float32"],
        training=True,
        filters=grid(filters, 36, 16, "filters"),
    )


class CardsApp(App):
    """One card in a column as wide as the inspector's beside the REPL."""

    CSS = """
    #left { width: 1fr; }
    #cards { width: 54; }
    """

    def __init__(self, card, fetch_picture=None) -> None:
        super().__init__()
        self.card = card
        self.fetch_picture = fetch_picture

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("the REPL", id="left")
            with VerticalScroll(id="cards"):
                yield card_widget(self.card, None, self.fetch_picture)

    def on_mount(self) -> None:
        self.query_one("#cards > *").focus()


def test_heatmap_card(snap_compare):
    assert snap_compare(CardsApp(heatmap_card()), terminal_size=SIZE)


def test_image_card(snap_compare):
    assert snap_compare(CardsApp(image_card()), terminal_size=SIZE)


def test_conv2d_filter_grid_on_the_module_card(snap_compare):
    assert snap_compare(CardsApp(conv_module_card()), terminal_size=SIZE)


def picture_static(app) -> Static:
    return app.query_one(TensorCard).query_one(".picture", Static)


def values_static(app) -> Static:
    return app.query_one(TensorCard).query_one(".values", Static)


async def test_p_toggles_the_picture_and_the_values():
    app = CardsApp(heatmap_card())
    async with app.run_test(size=SIZE) as pilot:
        card = app.query_one(TensorCard)
        assert card.show_picture and picture_static(app).display
        assert not values_static(app).display
        assert "▀" in str(picture_static(app).render())
        await pilot.press("p")
        assert not card.show_picture and values_static(app).display
        assert not picture_static(app).display
        await pilot.press("p")
        assert card.show_picture and picture_static(app).display


async def test_p_asks_the_kernel_for_a_picture_the_card_did_not_bring():
    asked: list[tuple[int, int, int]] = []
    reply = heatmap(np.arange(120.0).reshape(3, 40))

    async def fetch_picture(key: int, cols: int, rows: int):
        asked.append((key, cols, rows))
        return reply, ""

    app = CardsApp(tensor_card("t", [2, 3, 40], None, key=9), fetch_picture)
    async with app.run_test(size=SIZE) as pilot:
        card = app.query_one(TensorCard)
        assert not card.show_picture and not picture_static(app).display
        await pilot.press("p")
        await wait_for(pilot, lambda: card.show_picture, what="the picture")
        assert asked == [(9, 50, 16)]  # the card's width, in cells
        assert card.picture is reply and "▀" in str(picture_static(app).render())
        await pilot.press("p", "p")  # kept: asked once
        assert card.show_picture and len(asked) == 1


async def test_shapes_without_a_picture_say_so_and_a_failed_request_keeps_the_values():
    async def nothing(key: int, cols: int, rows: int):
        return None, "that object is gone"

    app = CardsApp(tensor_card("v", [100], None), nothing)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await wait_for(pilot, lambda: app._notifications, what="a notification")
        assert "takes 2 to 4 dimensions" in list(app._notifications)[-1].message
        card = app.query_one(TensorCard)
        card.set_card(tensor_card("t", [2, 3, 40], None))
        await pilot.press("p")
        await wait_for(pilot, lambda: len(app._notifications) == 2, what="the second notice")
        assert "that object is gone" in list(app._notifications)[-1].message
        assert not card.show_picture and values_static(app).display


async def test_a_picture_that_cannot_be_drawn_is_a_one_line_note():
    good = heatmap(ripple())
    broken = dataclasses.replace(good, data=good.data[:-8] + "!!!!!!!!")  # not base64
    app = CardsApp(heatmap_card())
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(TensorCard).set_card(tensor_card("y", [28, 28], broken))
        await pilot.pause()
        text = str(picture_static(app).render())
        assert text.startswith("(no picture:") and "▀" not in text
    # a picture whose legend raises is a note too (the decoder refuses such a one first)
    weird = dataclasses.replace(good, factor="x")  # type: ignore[arg-type]
    note = picture_view(weird)
    assert isinstance(note, Text) and note.plain.startswith("no picture: TypeError")
    assert "\n" not in note.plain


async def test_the_same_picture_again_is_not_drawn_again():
    app = CardsApp(heatmap_card())
    async with app.run_test(size=SIZE) as pilot:
        card = app.query_one(TensorCard)
        static = picture_static(app)
        drawn = static.content
        card.set_card(dataclasses.replace(heatmap_card(), title="Out[2]"))  # equal picture
        await pilot.pause()
        assert static.content is drawn
        card.set_card(tensor_card("z", [28, 28], heatmap(1 - ripple())))
        await pilot.pause()
        assert static.content is not drawn and card.show_picture
        card.set_card(tensor_card("w", [2, 2], None))  # no picture: the values
        await pilot.pause()
        assert not card.show_picture and values_static(app).display

    module = CardsApp(conv_module_card())
    async with module.run_test(size=SIZE) as pilot:
        widget = module.query_one(ModuleCard)
        drawn = widget.content
        widget.set_card(conv_module_card())
        await pilot.pause()
        assert widget.content is drawn
        assert "the first Conv2d's filters" in str(widget.render())
