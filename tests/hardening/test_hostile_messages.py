"""Property-based: random and hostile agent messages to the decoder and to the panes.

The decoder may only ever return a message that fits its classes' types, or raise
``ProtocolError``; the panes, handed whatever the decoder lets through, never fall over.
No torch here: the messages are built as the agent would send them.
"""

from __future__ import annotations

import dataclasses
import json
import random
import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardening.conftest import shared_app_fixture, still_usable, wait_until
from tui.kernel import link as kl
from tui.protocol import messages as p
from tui.tensors import cards as insp

FAST = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    database=None,
)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["[/x]", "[b]x", "\x1b[31m", "", "nan", "inf"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=16,
)


def card() -> insp.TensorCard:
    return insp.TensorCard(
        title="x", shape=[3, 4], dtype="float32", device="cpu", layout="strided",
        requires_grad=True, is_leaf=False, grad_fn="AddBackward0", has_grad=False, numel=12,
        nbytes=48, stride=[4, 1], contiguous=True,
        stats=insp.Stats(min=-1.0, max=2.0, mean=0.5, std=0.3),
        preview=insp.Preview([["1.0"] * 4] * 3, ["0", "1", "2"], ["0", "1", "2", "3"], [], []),
        histogram=insp.Histogram([1] * insp.HIST_BINS, -1.0, 2.0),
        graph=insp.Graph([insp.GraphNode("AddBackward0", -1, 0)]),
    )  # fmt: skip


def module_card() -> insp.ModuleCard:
    layers = [insp.LayerRow(0, "model", "Net", 10), insp.LayerRow(1, "fc", "Linear", 10)]
    return insp.ModuleCard("model", "Net", layers, 10, 0, 40, 0, ["cpu"], ["float32"], True)


#: Messages as the agent sends them, to mutate.
VALID: list[Any] = [
    p.CellPayload(
        number=3,
        cards=[card(), module_card()],
        variables=[insp.VarRow("x", "Tensor", "(3, 4)", "float32", "cpu")],
        watches=[insp.WatchValue("x.sum()", True, "tensor(6.)")],
        checks=p.Checks(lesson="08", results=[p.CheckResultRow("e1", False, "not yet", 2)]),
        changed=["x"],
    ),
    p.WatchValues(values=[insp.WatchValue("x", False, "NameError: x")]),
    p.TrainBegun(run_id=1, label="#1", device="cpu", total_steps=100, two_d=True, lr=0.1),
    p.TrainEnded(run_id=1, summary=None, error="training failed: [/x]"),
]


def wire(message: Any) -> Any:
    return json.loads(p.encode(message)["json"])


def paths(tree: Any, here: tuple = ()) -> list[tuple]:
    """Every place in a JSON tree a value could be swapped."""
    out = [here]
    if isinstance(tree, dict):
        for key, value in tree.items():
            out += paths(value, (*here, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            out += paths(value, (*here, i))
    return out


def replaced(tree: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(tree, dict):
        return {**tree, head: replaced(tree[head], rest, value)}
    copy = list(tree)
    copy[head] = replaced(copy[head], rest, value)
    return copy


def fits(value: Any, hint: Any) -> None:
    """Independent of the decoder: every field holds what its class declares."""
    if hint is Any or value is None:
        return
    origin = typing.get_origin(hint)
    if origin in (typing.Union, __import__("types").UnionType):
        assert any(_fits(value, a) for a in typing.get_args(hint)), (value, hint)
    elif origin is list:
        assert isinstance(value, list)
        for item in value:
            fits(item, typing.get_args(hint)[0])
    elif isinstance(hint, type) and dataclasses.is_dataclass(hint):
        assert isinstance(value, hint)
        for f in dataclasses.fields(value):
            fits(getattr(value, f.name), p.field_types(hint).get(f.name, Any))
    elif hint is str:
        assert isinstance(value, str) and len(value) <= p.MAX_TEXT
    elif hint is int:
        assert isinstance(value, int)
    elif hint is float:
        assert isinstance(value, (int, float))


def _fits(value: Any, hint: Any) -> bool:
    try:
        fits(value, hint)
    except AssertionError:
        return False
    return True


@FAST
@given(JSON)
def test_random_json_is_refused_or_a_message_of_the_protocol(tree):
    try:
        message = p.decode({"v": p.VERSION, "json": json.dumps(tree)})
    except p.ProtocolError:
        return
    fits(message, type(message))


@FAST
@given(st.sampled_from(range(len(VALID))), st.data())
def test_a_message_with_any_value_swapped_decodes_to_its_types_or_is_refused(which, data):
    tree = wire(VALID[which])
    path = data.draw(st.sampled_from(paths(tree)))
    bad = replaced(tree, path, data.draw(JSON))
    try:
        message = p.decode({"v": p.VERSION, "json": json.dumps(bad)})
    except p.ProtocolError:
        return
    fits(message, type(message))


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        '{"__t": "Ack", "id": "' + "a" * (p.MAX_TEXT + 1) + '"}',
        "x" * (p.MAX_MESSAGE + 1),
    ],
    ids=["nested", "long-string", "huge"],
)
def test_deep_long_and_huge_messages_are_refused(text):
    with pytest.raises(p.ProtocolError):
        p.decode({"v": p.VERSION, "json": text})


def test_a_list_past_the_bound_is_refused():
    payload = wire(p.CellPayload())
    payload["changed"] = ["x"] * (p.MAX_ITEMS + 1)
    with pytest.raises(p.ProtocolError, match="items"):
        p.decode({"v": p.VERSION, "json": json.dumps(payload)})


# -- the panes ---------------------------------------------------------------------------
shared = shared_app_fixture()


def accepted_mutations(count: int, seed: int = 7) -> list[Any]:
    """Mutated messages the decoder lets through: right types, hostile values."""
    rng = random.Random(seed)
    hostile = [
        -1, 0, 2**62, -(2**62), 1e308, -0.0, float("nan"), float("inf"), "", "[/x]",
        "[@click=app.quit]", "\x1b[2J", "x" * 5000, [], [0] * 300, True, None,
    ]  # fmt: skip
    out: list[Any] = []
    while len(out) < count:
        tree = wire(rng.choice(VALID))
        for _ in range(3):
            tree = replaced(tree, rng.choice(paths(tree)), rng.choice(hostile))
        try:
            out.append(p.decode({"v": p.VERSION, "json": json.dumps(tree)}))
        except p.ProtocolError:
            continue
    return out


@pytest.mark.asyncio(loop_scope="module")
async def test_the_panes_survive_whatever_the_decoder_lets_through(shared):
    app, pilot = shared
    for message in accepted_mutations(120):
        app.post_message(kl_event(app, kl.Pushed(message)))
        await pilot.pause()
    await wait_until(pilot, lambda: app.is_running, what="the app")
    await still_usable(pilot, app)


def kl_event(app: Any, event: Any) -> Any:
    from tui.ui.common.kernel_messages import KernelEvent

    return KernelEvent(event, app.kernel.generation)


@pytest.mark.asyncio(loop_scope="module")
async def test_a_card_that_cannot_be_drawn_is_an_error_card_beside_the_others(shared):
    app, pilot = shared
    odd = card()
    odd.kind = "no-such-kind"
    payload = p.CellPayload(number=50, cards=[odd, module_card()])
    app.post_message(kl_event(app, kl.Pushed(p.decode(p.encode(payload)))))
    inspector = app._main().query_one("#repl-inspector")
    await wait_until(pilot, lambda: inspector.query("ErrorCard"), what="an error card")
    error = inspector.query_one("ErrorCard")
    assert "unknown kind 'no-such-kind'" in str(error.render())
    assert inspector.query("ModuleCard"), "the good card beside it is shown"
    await still_usable(pilot, app)
