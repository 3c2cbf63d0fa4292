"""Legend labels for overlaid runs: each names what differs from the others shown.

Two runs that differ only in their learning rate read ``#2 lr=0.3`` and ``#1 lr=0.03``,
not the same ``circles 16-16 adam`` twice. A run shown alone keeps its full label.
"""

from __future__ import annotations

from typing import Any

#: The settings a legend may name, in the order it names them.
KEYS = (
    "source", "dataset", "hidden", "activation", "optimizer", "lr", "schedule", "batch_size",
    "epochs", "steps", "samples", "noise", "train_share", "init", "dropout", "momentum",
    "weight_decay", "loss", "seed", "model",
)  # fmt: skip
_SHORT = {"batch_size": "batch", "weight_decay": "wd", "train_share": "train"}
#: Settings named at most in one legend entry (a long label covers the curve).
MAX_NAMED = 3


def _value(config: dict[str, Any], key: str) -> str:
    value = config.get(key)
    if key == "hidden" and isinstance(value, (list, tuple)):
        return "-".join(str(v) for v in value) or "linear"
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)


def legend_labels(runs: list[tuple[int, dict[str, Any], str]]) -> list[str]:
    """``(id, config, full label)`` per run, newest first -> one label per run."""
    if len(runs) < 2:
        return [label for _, _, label in runs]
    differing = [k for k in KEYS if len({_value(c, k) for _, c, _ in runs}) > 1]
    if not differing:
        return [label for _, _, label in runs]
    out = []
    for run_id, config, _ in runs:
        named = [f"{_SHORT.get(k, k)}={_value(config, k) or '-'}" for k in differing[:MAX_NAMED]]
        more = " …" if len(differing) > MAX_NAMED else ""
        out.append(f"#{run_id} " + " ".join(named) + more)
    return out
