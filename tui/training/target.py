"""What F5 trains, in words: the playground's network or the REPL's own model.

The app never sees the REPL's objects (it never imports torch): it learns that ``model``,
``X`` and ``y`` exist from the variables rows the agent pushes after every cell
(``CellPayload.variables``), and names them from those rows alone. No textual here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tui.tensors.cards import VarRow
from tui.training.config import parse_hidden

PLAYGROUND = "playground"
REPL = "repl"
#: What the dashboard can train (and the order ``p`` cycles through).
TARGETS = (PLAYGROUND, REPL)
#: Row kinds that hold data (``list_variables`` names a module row by its class).
_DATA_KINDS = ("tensor", "parameter", "ndarray")


def repl_model(rows: Iterable[VarRow]) -> str | None:
    """``"SimpleNet on X 4x2"`` when the REPL holds a module ``model`` and data ``X`` and
    ``y``; None while any of them is missing (then there is nothing for F5 to train)."""
    by_name = {row.name: row for row in rows}
    model, x, y = by_name.get("model"), by_name.get("X"), by_name.get("y")
    if model is None or x is None or y is None:
        return None
    if model.kind in (*_DATA_KINDS, "optimizer") or not model.shape.endswith(" params"):
        return None  # a tensor or an optimizer called model: not trainable
    if x.kind not in _DATA_KINDS or y.kind not in _DATA_KINDS:
        return None
    return f"{model.kind} on X {dims(x.shape)}"


def dims(shape: str) -> str:
    """``"(4, 2)"`` -> ``"4x2"`` (how the lessons say a shape in words)."""
    parts = [part.strip() for part in shape.strip("()").split(",") if part.strip()]
    return "x".join(parts) or "scalar"


def playground(raw: Mapping[str, Any]) -> str:
    """``"circles 16-16"`` from the form's values as typed (``hidden`` ``"16,16"``); a
    ``hidden`` that is not layer widths says so, read as the run would read it."""
    dataset = str(raw.get("dataset") or "?")
    try:
        widths = parse_hidden(raw.get("hidden") or "")
    except (TypeError, ValueError):
        return f"{dataset}, hidden not layer widths (16,16 or none)"
    return f"{dataset} {'-'.join(map(str, widths)) or 'linear'}"


def describe(target: str, playground_text: str, repl_text: str | None) -> str:
    """The dashboard's one-line target row: what F5 trains now, and what ``p`` gives."""
    if target == REPL and repl_text:
        return f"F5 trains ▸ REPL model: {repl_text} · p: playground"
    mine = f"F5 trains ▸ playground: {playground_text}"
    return f"{mine} · p: REPL model" if repl_text else mine


# -- what a REPL-model run takes from the settings -----------------------------------------

#: The settings a REPL-model run reads (``job_from_namespace`` and the agent's runner):
#: how long it trains, its minibatch size and their shuffling. It brings the rest itself.
REPL_APPLIES = {
    "batch_size": "its minibatch size",
    "epochs": "how long it trains, unless steps is set",
    "steps": "how long it trains",
    "seed": "the order of its minibatches",
}


def repl_parts(rows: Iterable[VarRow]) -> tuple[bool, bool]:
    """Whether the REPL holds an ``optimizer`` (a torch optimizer) and a ``criterion`` (a
    loss module): a REPL-model run uses them instead of its defaults."""
    by_name = {row.name: row for row in rows}
    optimizer, criterion = by_name.get("optimizer"), by_name.get("criterion")
    has_optimizer = optimizer is not None and optimizer.shape.endswith(" groups")
    has_criterion = criterion is not None and criterion.shape.endswith(" params")
    return has_optimizer, has_criterion


def repl_uses(has_optimizer: bool, has_criterion: bool) -> dict[str, tuple[bool, str, str]]:
    """Per setting (a ``TrainConfig`` field, or ``ddp`` for the workers): ``(applies, tag,
    why)`` for a REPL-model run. ``tag`` is the word shown on the setting's row, ``why``
    the sentence. The run trains the REPL's own layers on its ``X`` and ``y`` with its
    ``optimizer`` (else Adam, lr 0.01) and ``criterion`` (else one picked from ``y``)."""
    head = "REPL model: "
    if has_optimizer:
        optim = ("its optimizer", head + "it trains with its own optimizer and that one's lr")
    else:
        optim = ("Adam 0.01", head + "no optimizer in the REPL, so Adam with lr 0.01")
    if has_criterion:
        loss = ("its criterion", head + "it trains on its own criterion")
    else:
        loss = ("picked from y", head + "no criterion module in the REPL: BCE, cross-entropy "
                "or MSE, picked from y (a criterion function of its own is used as it is)")  # fmt: skip
    data = ("its X, y", head + "it trains on the REPL's own X and y")
    layers = ("its layers", head + "its own layers, as the REPL built them")
    words: dict[str, tuple[str, str]] = {
        "dataset": data, "samples": data, "noise": data, "train_share": data,
        "hidden": layers, "activation": layers, "init": layers, "dropout": layers,
        "optimizer": optim, "lr": optim, "momentum": optim, "weight_decay": optim,
        "schedule": ("constant lr", head + "no schedule: its optimizer's lr stays as set"),
        "loss": loss,
        "device": ("its device", head + "it trains where its parameters are"),
        "ddp": ("one process", head + "it trains in the kernel, in one process"),
    }  # fmt: skip
    out = {name: (True, "applies", f"{head}applies: {what}") for name, what in REPL_APPLIES.items()}
    out.update({name: (False, tag, why) for name, (tag, why) in words.items()})
    return out
