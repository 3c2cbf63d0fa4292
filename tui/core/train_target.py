"""What F5 trains, in words: the playground's network or the REPL's own model.

The app never sees the REPL's objects (it never imports torch): it learns that ``model``,
``X`` and ``y`` exist from the variables rows the agent pushes after every cell
(``CellPayload.variables``), and names them from those rows alone. No textual here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tui.core.inspect_types import VarRow

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
    """``"circles 16-16"`` from the form's values as typed (``hidden`` ``"16,16"``)."""
    dataset = str(raw.get("dataset") or "?")
    hidden = str(raw.get("hidden") or "").strip()
    widths = [w for w in hidden.replace(",", " ").replace("x", " ").split() if w]
    if hidden.lower() in ("none", "-"):
        widths = []
    return f"{dataset} {'-'.join(widths) or 'linear'}"


def describe(target: str, playground_text: str, repl_text: str | None) -> str:
    """The dashboard's one-line target row: what F5 trains now, and what ``p`` gives."""
    if target == REPL and repl_text:
        return f"F5 trains ▸ REPL model: {repl_text} · p: playground"
    mine = f"F5 trains ▸ playground: {playground_text}"
    return f"{mine} · p: REPL model" if repl_text else mine
