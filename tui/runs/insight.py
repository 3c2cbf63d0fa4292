"""What the dashboard says about a run besides its curve: the coach's line, the layer
table and the learning rate drawn as one line. Pure functions of a ``Run`` (no textual,
no torch), so the app and ``torch-tui train`` say the same things.
"""

from __future__ import annotations

import math
from typing import Any

#: The update-to-weight ratio a healthy layer sits near (per step), and the band shown
#: as fine around it.
HEALTHY_RATIO = 1e-3
RATIO_BAND = (1e-4, 1e-2)
_SPARK = "▁▂▃▄▅▆▇█"
_LOSS_KIND = {
    "BCEWithLogitsLoss": "bce",
    "BCELoss": "bce",
    "CrossEntropyLoss": "cross-entropy",
    "MSELoss": "mse",
    "bce": "bce",
    "cross-entropy": "cross-entropy",
    "mse": "mse",
}
_TASK_LOSS = {"binary": "bce", "multiclass": "cross-entropy", "regression": "mse"}


def loss_kind(config: dict[str, Any]) -> str:
    """ "bce", "cross-entropy", "mse" or "" for the coach's loss-at-start rule."""
    if config.get("source") == "repl":
        return _LOSS_KIND.get(str(config.get("criterion", "")), "")
    name = str(config.get("loss", "auto"))
    if name == "auto":
        from tui.training.datasets import DATASETS

        found = DATASETS.get(str(config.get("dataset", "")))
        return _TASK_LOSS.get(found[0].task, "") if found else ""
    return _LOSS_KIND.get(name, "")


def n_classes(config: dict[str, Any]) -> int | None:
    from tui.training.datasets import DATASETS

    found = DATASETS.get(str(config.get("dataset", "")))
    return found[0].classes if found and found[0].task == "multiclass" else None


def curve_of(series: Any, run: Any, max_points: int = 400) -> Any:
    """The coach's ``Curve`` for a run: its decimated training losses and its
    validation points."""
    from tui.runs.coach import Curve, split_error

    xs, ys = series.decimated(max_points - 1) if len(series) else ([], [])
    xs, ys = [int(round(x)) for x in xs], [float(y) for y in ys]
    if xs and xs[0] > series.first_step:  # the first point is a block mean: keep step 1's
        xs, ys = [series.first_step, *xs], [float(series.raw()[0]), *ys]
    last = run.last
    config = run.config or {}
    # A NaN/Inf loss is the curve's own error; an exception or a lost kernel is not, and
    # must never read as a diverging loss.
    error, failure = split_error(run.error or (last.error if last is not None else None))
    return Curve(
        steps=xs,
        train=ys,
        val_steps=list(run.val_steps),
        val=list(run.val_losses),
        total_steps=int(last.total_steps) if last is not None else 0,
        loss_kind=loss_kind(config),
        n_classes=n_classes(config),
        target_var=config.get("target_var"),
        lr=float(config["lr"]) if isinstance(config.get("lr"), (int, float)) else None,
        error=error,
        finished=not run.live,
        failure=failure,
        layers=[(str(s.name), s.grad_norm) for s in run.layers or ()],
    )


def coach_advice(run: Any) -> Any:
    """The coach's ``Advice`` for the run, or None when it has nothing to say."""
    from tui.runs.coach import advise

    if run is None or not len(run.series):
        return None
    return advise(curve_of(run.series, run))


def coach_line(run: Any) -> str:
    """The coach's one line for the run, or "" when it has nothing to say."""
    advice = coach_advice(run)
    return advice.text if advice is not None else ""


def sci(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.1e}" if value and (abs(value) < 1e-2 or abs(value) >= 1e4) else f"{value:.3g}"


def layer_rows(layers: list[Any] | None) -> list[tuple[str, str, str, str, str, str]]:
    """(layer, grad norm, weight norm, update/weight, dead units, verdict) per layer; the
    verdict names what looks wrong (vanishing, exploding, too-fast or frozen updates)."""
    from tui.runs.coach import vanishing_flags

    rows = []
    stats = list(layers or ())
    flags = vanishing_flags([stat.grad_norm for stat in stats])  # as the coach reads them
    for stat, vanished in zip(stats, flags, strict=True):
        g, w, r = stat.grad_norm, stat.weight_norm, stat.update_ratio
        verdict = ""
        if vanished:
            verdict = "vanishing"
        elif g is not None and w and g > 1e3 * max(w, 1.0):
            verdict = "exploding"
        elif r is not None and r > RATIO_BAND[1]:
            verdict = "big steps"
        elif r is not None and r < RATIO_BAND[0]:
            verdict = "tiny steps"
        short = {"dead": "dead", "saturated": "sat."}.get(stat.dead_kind, stat.dead_kind)
        dead = "–" if stat.dead is None else f"{stat.dead:.0%} {short}"
        if stat.dead is not None and stat.dead >= 0.5 and not verdict:
            verdict = f"mostly {short}"
        name = f"{stat.name} {stat.kind} {stat.shape}".strip()
        rows.append((name, sci(g), sci(w), sci(r), dead, verdict))
    return rows


def sparkline(values: list[float], width: int) -> str:
    """``values`` as one line of block characters, ``width`` cells (resampled)."""
    if not values or width <= 0:
        return ""
    step = len(values) / width
    picked = [values[min(len(values) - 1, int(i * step))] for i in range(min(width, len(values)))]
    lo, hi = min(picked), max(picked)
    span = hi - lo
    if span <= 0:
        return _SPARK[3] * len(picked)
    return "".join(_SPARK[min(7, int((v - lo) / span * 7.999))] for v in picked)


def lr_line(run: Any, width: int) -> str:
    """ "lr ▇▇▆▅▃▂▁ 0.03 → 3e-06" under the curve, for a run whose schedule moves it."""
    if run is None or len(run.lrs) < 2 or run.config.get("schedule", "none") == "none":
        return ""
    values = [lr for _, lr in run.lrs]
    label = f" {sci(values[0])} → {sci(values[-1])}"
    cells = max(8, width - len(label) - 3)
    return "lr " + sparkline(by_step(run.lrs, cells), cells) + label


def by_step(points: list[tuple[int, float]], n: int) -> list[float]:
    """``n`` values at evenly spaced steps (reports come by time, the curve is by step)."""
    import bisect

    steps = [s for s, _ in points]
    first, last = steps[0], steps[-1]
    out = []
    for i in range(n):
        at = first + (last - first) * i / max(1, n - 1)
        out.append(points[max(0, bisect.bisect_right(steps, at) - 1)][1])
    return out
