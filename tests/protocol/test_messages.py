"""Every message of the protocol survives the wire: encode, decode, the same message back.

Each dataclass of ``tui.protocol.messages`` (and the inspector's plain data it carries) is
filled with a value for every field, chosen from the field's type, nested dataclasses
included, then sent through ``encode``/``decode`` (and through JSON text, as a comm
does). No torch and no kernel here.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import types
import typing
from typing import Any

import pytest

from tui.protocol import messages as p
from tui.tensors import cards as inspect_types
from tui.tensors.pictures import Picture


def _dataclasses(module: Any) -> list[type]:
    return sorted(
        (
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and dataclasses.is_dataclass(obj)
            and obj.__module__ == module.__name__
        ),
        key=lambda cls: cls.__name__,
    )


PROTOCOL = _dataclasses(p)
CARRIED = _dataclasses(inspect_types)


def sample(tp: Any, module: Any, depth: int = 0) -> Any:
    """A value of type ``tp`` with something in every field (lists of one, no None)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:  # cards, reports, configs: a nested dataclass in a mapping
        return {"card": make(inspect_types.Histogram, inspect_types), "n": [1, 2.5, "x"]}
    if origin in (typing.Union, types.UnionType):
        real = [a for a in args if a is not type(None)]
        return sample(real[0], module, depth)
    if origin is list:
        return [sample(args[0] if args else Any, module, depth + 1)]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return (sample(args[0], module, depth + 1),)
        return tuple(sample(a, module, depth + 1) for a in args)
    if origin is dict:
        return {"key": sample(args[1] if args else Any, module, depth + 1)}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return make(tp, inspect_types if tp.__module__ == inspect_types.__name__ else module)
    if tp is bool:
        return True
    if tp is int:
        return 7
    if tp is float:
        return 2.5
    if tp is str:
        return "text ✓"
    if tp is p.NDArray:  # numpy arrays travel as (nested) lists of numbers
        return [[1.5, 2.0], [3.0, 4.0]]
    raise AssertionError(f"no sample for {tp!r}")


#: Classes whose fields keep an invariant the decoder checks (``protocol._SHAPES``): a
#: valid value with something in every field.
VALID: dict[str, Any] = {
    "GraphNode": lambda: inspect_types.GraphNode("node ✓", -1, 0, True),
    "Picture": lambda: Picture(
        2, 2, base64.b64encode(bytes(range(12))).decode(), "grid", "diverging", -1.5, 2.5, 3, 1, 2
    ),
}


def make(cls: type, module: Any = p) -> Any:
    if cls.__name__ in VALID:
        return VALID[cls.__name__]()
    hints = p.field_types(cls)  # the types the decoder checks against
    values = {f.name: sample(hints[f.name], module) for f in dataclasses.fields(cls)}
    return cls(**values)


def wire(message: Any) -> Any:
    """Through a comm: encode, JSON text (as the Jupyter session sends it), decode."""
    data = json.loads(json.dumps(p.encode(message)))
    return p.decode(data)


def test_every_message_class_is_registered():
    names = set(p._types())
    assert {cls.__name__ for cls in PROTOCOL + CARRIED} <= names
    assert len(PROTOCOL) >= 25  # requests, replies and pushes


@pytest.mark.parametrize("cls", PROTOCOL + CARRIED, ids=lambda cls: cls.__name__)
def test_round_trip(cls):
    message = make(cls, inspect_types if cls in CARRIED else p)
    back = wire(message)
    assert type(back) is cls
    # tuples travel as lists; everything else, nested dataclasses included, comes back
    assert p._plain(back) == p._plain(message)
    if not _has_tuple(message):
        assert back == message


def _has_tuple(value: Any) -> bool:
    if isinstance(value, tuple):
        return True
    if dataclasses.is_dataclass(value):
        return any(_has_tuple(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, list):
        return any(_has_tuple(v) for v in value)
    if isinstance(value, dict):
        return any(_has_tuple(v) for v in value.values())
    return False


def test_requests_keep_their_id_and_replies_repeat_it():
    for cls in PROTOCOL:
        if "id" in {f.name for f in dataclasses.fields(cls)}:
            message = make(cls)
            message.id = "abc123"
            assert wire(message).id == "abc123", cls.__name__


def test_nested_payloads_come_back_as_dataclasses():
    card = make(inspect_types.TensorCard, inspect_types)
    payload = p.CellPayload(
        number=3,
        cards=[card, make(inspect_types.ModuleCard, inspect_types)],
        variables=[inspect_types.VarRow("x", "tensor", "(2,)", "float32", "cpu")],
        watches=[inspect_types.WatchValue("x.sum()", True, "3.0")],
        checks=p.Checks("", "01-mini", [p.CheckResultRow("e1", False, "not yet", 2)]),
    )
    back = wire(payload)
    assert isinstance(back.cards[0], inspect_types.TensorCard)
    assert isinstance(back.cards[0].stats, inspect_types.Stats)
    assert isinstance(back.cards[0].graph.nodes[0], inspect_types.GraphNode)
    assert back.cards[0].preview.slice_count == card.preview.slice_count
    assert isinstance(back.cards[1], inspect_types.ModuleCard)
    assert back.checks.results[0] == p.CheckResultRow("e1", False, "not yet", 2)
    assert back.variables == payload.variables and back.watches == payload.watches


def test_floats_that_json_cannot_hold():
    stats = inspect_types.Stats(min=-math.inf, max=math.inf, mean=math.nan)
    card = make(inspect_types.TensorCard, inspect_types)
    card.stats = stats
    values = wire(p.CardReply("1", card)).card.stats
    assert isinstance(values, inspect_types.Stats)
    assert values.min == -math.inf and values.max == math.inf and math.isnan(values.mean)


def test_other_versions_and_strangers_are_refused():
    data = p.encode(p.Ping("1"))
    with pytest.raises(p.ProtocolError, match="protocol"):
        p.decode({**data, "v": p.VERSION + 1})
    with pytest.raises(p.ProtocolError):
        p.decode({"text/plain": "hello"})
    with pytest.raises(p.ProtocolError, match="unknown message type"):
        p.decode({"v": p.VERSION, "json": json.dumps({"__t": "NoSuchThing"})})
    with pytest.raises(p.ProtocolError):
        p.decode({"v": p.VERSION, "json": "{not json"})


#: What the agent answers to each of the inspector's and the lessons' requests.
REPLIES = {
    p.Hello: p.Welcome,
    p.Ping: p.Ack,
    p.CardRequest: p.CardReply,
    p.PreviewRequest: p.PreviewReply,
    p.VariablesRequest: p.VariablesReply,
    p.SetWatches: p.WatchValues,
    p.SetExercises: p.Ack,
    p.CheckNow: p.Checks,
}


@pytest.mark.parametrize("request_cls", list(REPLIES), ids=lambda cls: cls.__name__)
def test_every_reply_can_carry_its_requests_id(request_cls):
    """The link matches a reply to its request by id: a reply class without one would
    arrive as a push and its request would time out."""
    reply = make(REPLIES[request_cls])
    reply.id = "req-1"
    assert wire(reply).id == "req-1"
    assert "id" in {f.name for f in dataclasses.fields(request_cls)}


def _report_with_losses(losses: Any) -> dict[str, Any]:
    """A TrainReport as the agent would send it, its losses replaced by ``losses``."""
    import numpy as np

    from tui.training.report import Report

    report = Report(0, np.zeros(3, dtype=np.float32), 3, 10, 0, 0.1, 30.0, None)
    data = p.encode(p.TrainReport(run_id=1, report=report))
    tree = json.loads(data["json"])
    tree["report"]["losses"] = losses
    return {"v": data["v"], "json": json.dumps(tree)}


def test_a_report_of_many_losses_comes_back_as_numbers():
    losses = [0.5, 1, True, None, *[i / 7 for i in range(5_000)]]
    message = p.decode(_report_with_losses(losses))
    assert list(message.report.losses) == losses


@pytest.mark.parametrize(
    "losses",
    [
        [0.5, "0.5"],  # a string among the numbers
        [0.5, {"__t": "TrainReport"}],  # a message where a number goes
        [[[0.5]]] * 2 + [0.1, [0.2, ["x"]]],  # a string deeper down
        [0.5] * (p.MAX_ITEMS + 1),  # too long
    ],
)
def test_an_array_with_anything_but_numbers_or_too_long_is_refused(losses):
    with pytest.raises(p.ProtocolError):
        p.decode(_report_with_losses(losses))


def test_an_arrays_numbers_count_towards_a_messages_bound(monkeypatch):
    monkeypatch.setattr(p, "MAX_VALUES", 1_000)
    p.decode(_report_with_losses([0.5] * 900))
    with pytest.raises(p.ProtocolError, match="over 1000 values"):
        p.decode(_report_with_losses([0.5] * 1_001))


def test_an_array_nested_past_the_depth_bound_is_refused():
    deep: Any = [0.5]
    for _ in range(p.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(p.ProtocolError, match="deep"):
        p.decode(_report_with_losses(deep))
