"""Legend labels for overlaid runs: each names what differs from the others shown.

Two runs that differ only in their learning rate read ``#2 lr=0.3`` and ``#1 lr=0.03``,
not the same ``circles 16-16 adam`` twice. What a run trains comes first (the REPL
model's class, or the playground's layers), then its data, optimizer and lr, then the
rest, so the difference is never cut off behind settings both runs share. Two runs never
get the same words: a label names as many differences as it takes to tell it from every
other run shown. A run shown alone keeps its full label.
"""

from __future__ import annotations

from typing import Any

#: The settings a legend may name, in the order it names them: what is trained, its
#: data, the optimizer and lr, then the rest. A REPL run's config (``job_from_namespace``)
#: names its model's class, ``X_shape``, optimizer class and criterion.
KEYS = (
    "model", "data", "optimizer", "lr", "activation", "schedule", "batch_size", "epochs",
    "steps", "samples", "noise", "train_share", "init", "dropout", "momentum",
    "weight_decay", "loss", "seed",
)  # fmt: skip
_SHORT = {"batch_size": "batch", "weight_decay": "wd", "train_share": "train", "activation": "act"}
#: Settings named at least, when that many differ (more only when it takes more to tell
#: two runs apart; a long label covers the curve).
MAX_NAMED = 3


def _repl(config: dict[str, Any]) -> bool:
    return config.get("source") == "repl"


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)


def facets(config: dict[str, Any]) -> dict[str, str]:
    """A run's settings as the legend words them (``key: shown text``); what a run does
    not have is ``""``. A REPL run and a playground run share the keys, so they compare."""
    out: dict[str, str] = {}
    repl = _repl(config)
    for key in KEYS:
        value = config.get(key)
        if key == "model":
            if repl:
                text = str(value or "REPL model")
            else:
                hidden = config.get("hidden")
                if isinstance(hidden, (list, tuple)):
                    hidden = "-".join(str(v) for v in hidden) or "linear"
                text = f"hidden={hidden}" if hidden is not None else ""
        elif key == "data":
            if repl:
                shape = config.get("X_shape")
                dims = "x".join(str(d) for d in shape) if isinstance(shape, (list, tuple)) else ""
                text = f"X {dims}" if dims else "X"
            else:
                text = f"data={config['dataset']}" if config.get("dataset") else ""
        elif key == "optimizer":
            text = _plain(value).lower()
        elif key == "loss" and repl:
            text = f"loss={config['criterion']}" if config.get("criterion") else ""
        else:
            shown = _plain(value)
            text = f"{_SHORT.get(key, key)}={shown}" if shown else ""
        out[key] = text
    return out


def legend_labels(
    runs: list[tuple[int, dict[str, Any], str]], max_named: int = MAX_NAMED
) -> list[str]:
    """``(id, config, full label)`` per run, newest first -> one label per run: ``#id``
    and what differs, the first ``max_named`` differences (more where it takes more to
    tell two runs apart), ``…`` when some are left out."""
    if len(runs) < 2:
        return [label for _, _, label in runs]
    words = [facets(config) for _, config, _ in runs]
    differing = [k for k in KEYS if len({w[k] for w in words}) > 1]
    if not differing:
        return [label for _, _, label in runs]
    # The fewest leading differences that tell every run from every other run.
    distinct = len({tuple(w[k] for k in differing) for w in words})
    need = next(
        n
        for n in range(1, len(differing) + 1)
        if len({tuple(w[k] for k in differing[:n]) for w in words}) == distinct
    )
    named = differing[: max(need, min(max_named, len(differing)))]
    out = []
    for (run_id, _, _), w in zip(runs, words, strict=True):
        parts = [w[k] or f"{_SHORT.get(k, k)}=-" for k in named]
        more = " …" if len(differing) > len(named) else ""
        out.append(f"#{run_id} " + " ".join(parts) + more)
    return out


def fitted_labels(runs: list[tuple[int, dict[str, Any], str]], room: int) -> list[str]:
    """``legend_labels`` naming fewer differences while the entries (``━━ label``, two
    spaces apart) need more than ``room`` cells; never fewer than tell the runs apart."""
    labels = legend_labels(runs)
    for fewer in range(MAX_NAMED - 1, 0, -1):
        if sum(len(label) + 5 for label in labels) <= room:
            break
        labels = legend_labels(runs, max_named=fewer)
    return labels
