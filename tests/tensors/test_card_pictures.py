"""Cards with pictures, computed by the agent's cell watcher (the kernel side, in process):
the card of an image-like tensor carries its picture fitted to the app's room, a module
card its first Conv2d's filters, and ``PictureRequest`` draws the shapes that are not
drawn by default. Everything survives the wire."""

from __future__ import annotations

import gc
import json
from types import SimpleNamespace

import numpy as np
import torch

from tui.agent.after_cell import CellWatcher
from tui.protocol import messages as p
from tui.tensors import objects
from tui.tensors import summaries as insp


def _cell(number: int, result=None) -> SimpleNamespace:
    return SimpleNamespace(
        execution_count=number,
        result=result,
        error_in_exec=None,
        error_before_exec=None,
        info=SimpleNamespace(raw_cell=""),
    )


def wire(message):
    return p.decode(json.loads(json.dumps(p.encode(message))))


def assigned(cells: CellWatcher, **values) -> p.CellPayload:
    cells.before()
    cells.ns.update(values)
    return cells.after(_cell(1))


def test_a_28x28_tensor_card_carries_a_28x28_heatmap_when_the_room_allows():
    room = p.SetRoom(card_cols=36, card_rows=16)
    cells = CellWatcher({}, room=lambda: room)
    payload = assigned(cells, x=torch.rand(28, 28))
    (card,) = payload.cards
    pic = card.picture
    assert (pic.kind, pic.width, pic.height, pic.factor) == ("heatmap", 28, 28, 1)
    assert pic.scale == "sequential" and 0 <= pic.lo <= pic.hi <= 1
    back = wire(payload)  # the whole cell payload, decoded and validated as the app does
    assert back.cards[0].picture == pic
    # a smaller room: the same tensor stepped over, the factor said
    room = p.SetRoom(card_cols=14, card_rows=7)
    small = assigned(cells, x=torch.rand(28, 28)).cards[0].picture
    assert (small.width, small.height, small.factor) == (14, 14, 2)


def test_shapes_not_drawn_by_default_come_without_a_picture():
    cells = CellWatcher({})
    payload = assigned(cells, a=torch.arange(12.0).reshape(3, 4), b=torch.zeros(100))
    assert [c.picture for c in payload.cards] == [None, None]


def test_images_ndarrays_and_conv_weights():
    cells = CellWatcher({})
    conv = torch.nn.Conv2d(3, 8, 5)
    net = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Sequential(conv, torch.nn.ReLU()))
    cards = {c.title: c for c in assigned(cells, img=torch.rand(3, 32, 32), w=conv.weight).cards}
    cards.update({c.title: c for c in assigned(cells, arr=np.random.rand(16, 16), net=net).cards})
    assert cards["img"].picture.kind == "image" and cards["img"].picture.width == 32
    assert cards["arr"].kind == "ndarray" and cards["arr"].picture.kind == "heatmap"
    assert cards["w"].picture.note == "8 filters, channel 0 of 3"
    filters = cards["net"].filters  # the first Conv2d, however deep
    assert filters is not None and filters == cards["w"].picture
    assert objects.module_card(torch.nn.Linear(3, 3)).filters is None
    assert wire(p.CardReply("1", cards["net"])).card.filters == filters


def test_a_picture_request_draws_what_the_card_did_not_bring():
    cells = CellWatcher({})
    card = assigned(cells, t=torch.rand(2, 3, 40)).cards[0]
    assert card.picture is None
    reply = wire(cells.picture(card.key, 36, 16))
    assert reply.picture.kind == "heatmap" and reply.picture.note == "channel 0 of 2"
    assert (reply.picture.width, reply.picture.factor) == (20, 2)  # 40 columns in 36
    wide = cells.picture(card.key, 80, 16).picture  # the room the app asks for
    assert (wide.width, wide.factor) == (40, 1)
    huge = cells.picture(card.key, 10**9, -5).picture  # a room out of bounds is clamped
    assert huge.width <= insp.ROOM_COLS[1] and huge.height >= 2
    one_d = assigned(cells, v=torch.zeros(5)).cards[0]
    assert cells.picture(one_d.key, 36, 16).note == "no picture of shape (5,)"
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3))
    assert cells.picture(cells.keep(net), 36, 16).picture.note == "4 filters"
    del cells.ns["t"]
    gc.collect()
    gone = cells.picture(card.key, 36, 16)
    assert gone.picture is None and "gone" in gone.note
    assert wire(p.PictureRequest("7", card.key, 36, 16)).key == card.key


def test_a_picture_never_breaks_a_card():
    meta = insp.tensor_card(torch.empty(28, 28, device="meta"))
    sparse = insp.tensor_card(torch.eye(28).to_sparse())
    assert meta.picture is None and sparse.picture is None
    assert insp.tensor_card(torch.rand(28, 28, dtype=torch.complex64)).picture.kind == "heatmap"
    assert insp.tensor_card(torch.rand(28, 28) > 0.5).picture.kind == "heatmap"
    half = insp.tensor_card(torch.rand(28, 28, dtype=torch.bfloat16, requires_grad=True) * 2)
    assert half.picture.width == 28
