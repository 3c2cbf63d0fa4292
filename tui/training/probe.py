"""Light looks at a model while it trains: validation loss and accuracy, and per-layer
gradient norm, weight norm, update-to-weight ratio and dead (or saturated) units.

Taken by the ``Reporter`` at the report cadence (~every 100 ms), never every step: the
loop snapshots the weights just before the optimizer step of a report step
(``before_step``), so the update ratio is that one step's ``|W_after - W_before| / |W|``.
The validation forward runs under ``no_grad`` in eval mode (dropout off) on at most
``MAX_EVAL`` held-out samples, with forward hooks on the activation modules only for
that pass. Everything is fetched to the host in one copy; any failure gives no figures.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from tui.training.job import Job

log = logging.getLogger(__name__)

#: Samples a validation pass reads at most.
MAX_EVAL = 1024
#: The share of training time the looks may take (a big model is looked at less often) ...
PROBE_DUTY = 0.02
#: ... though a run gets at least this many looks, spread over its steps.
MIN_LOOKS = 50
_RELU_LIKE = ("ReLU", "LeakyReLU", "GELU", "ReLU6", "ELU", "SiLU")
_SQUASHING = ("Tanh", "Sigmoid", "Hardtanh", "Hardsigmoid")


@dataclass
class LayerStat:
    """One parameterised layer; ``dead`` is the share of dead (ReLU-like: zero for every
    sample) or saturated (tanh/sigmoid: |a| near its bound) units of the activation module
    that follows it, None when there is none (a functional activation)."""

    name: str
    kind: str
    grad_norm: float | None = None
    weight_norm: float | None = None
    update_ratio: float | None = None
    dead: float | None = None
    dead_kind: str = ""  # "dead" or "saturated"
    shape: str = ""  # the weight's shape, e.g. "32x2"


@dataclass
class Look:
    val_loss: float | None = None
    val_accuracy: float | None = None
    layers: list[LayerStat] | None = None


class Probe:
    """The looks of one run, and when to take them (``take``)."""

    def __init__(self, job: Job, total_steps: int = 0) -> None:
        self.job = job
        self.every_steps = max(1, total_steps // MIN_LOOKS)
        self.next_time = time.perf_counter()
        self.next_step = 0
        self.layers: list[tuple[str, Any, Any]] = []  # (name, layer, activation or None)
        self._before: list[Any] | None = None
        self._ratios: list[float | None] = []  # the last step measured, for reports between
        self._said = False  # a look that fails is logged once a run
        try:
            self._find_layers()
        except Exception:  # noqa: BLE001 - an odd model: no per-layer figures
            log.warning("no per-layer figures for this model", exc_info=True)
            self.layers = []

    def _find_layers(self) -> None:
        """Each leaf module with a weight, and the activation module that follows it."""
        model = getattr(self.job.model, "module", self.job.model)  # DDP wraps the model
        found: list[list[Any]] = []
        for name, module in model.named_modules():
            kind = type(module).__name__
            weight = getattr(module, "weight", None)
            if weight is not None and hasattr(weight, "grad") and not list(module.children()):
                found.append([name or kind, module, None])
            elif kind in _RELU_LIKE + _SQUASHING and found and found[-1][2] is None:
                found[-1][2] = module
        self.layers = [(name, layer, act) for name, layer, act in found]

    def due(self, step: int) -> bool:
        return time.perf_counter() >= self.next_time or step >= self.next_step

    def take(self, step: int, now_anyway: bool = False) -> Look | None:
        """A look when one is due: at every report unless looks cost more than
        ``PROBE_DUTY`` of the time, at least every ``total/MIN_LOOKS`` steps, and always
        when asked (the final report, a Step)."""
        if not (now_anyway or self.due(step)):
            return None
        started = time.perf_counter()
        look = self.look()
        self.next_time = started + (time.perf_counter() - started) / PROBE_DUTY
        self.next_step = step + self.every_steps
        return look

    def before_step(self, step: int = 0, now_anyway: bool = False) -> None:
        """Keep the weights as they are before this step's update, when a look follows."""
        import torch

        if not (now_anyway or self.due(step)):
            return

        with torch.no_grad():
            self._before = [layer.weight.detach().clone() for _, layer, _ in self.layers]

    def look(self) -> Look:
        try:
            return self._look()
        except Exception:  # noqa: BLE001 - the figures are a bonus; the run goes on
            if not self._said:
                log.warning("a look at the layers failed (said once a run)", exc_info=True)
                self._said = True
            self._before = None
            return Look()

    def _look(self) -> Look:
        import torch

        job = self.job
        X, y, held_out = _eval_set(job)
        model = job.model
        acts: dict[int, Any] = {}
        hooks = []
        for n, (_, _, act) in enumerate(self.layers):
            if act is not None:
                hooks.append(act.register_forward_hook(_keeper(acts, n, type(act).__name__)))
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                figures: list[Any] = []
                loss = acc = None
                if len(X):
                    out = model(X)
                    loss = job.criterion(out, y).float().reshape(())
                    acc = _accuracy(job, out, y)
                for _, layer, _ in self.layers:
                    w = layer.weight.detach()
                    g = layer.weight.grad
                    figures += [w.norm(), g.norm() if g is not None else w.new_tensor(float("nan"))]
                before = self._before
                ratios = []
                if before is not None and len(before) == len(self.layers):
                    for (_, layer, _), old in zip(self.layers, before, strict=True):
                        ratios.append(
                            (layer.weight.detach() - old).norm() / old.norm().clamp_min(1e-12)
                        )
                dead = [acts.get(n) for n in range(len(self.layers))]
                row = [v for v in (loss, acc) if v is not None] + figures + ratios
                row += [d for d in dead if d is not None]
                numbers: list[float] = []
                if row:
                    where = row[0].device
                    values = torch.stack([v.float().reshape(()).to(where) for v in row])
                    numbers = values.cpu().tolist()
        finally:
            for hook in hooks:
                hook.remove()
            model.train(was_training)
        self._before = None
        it = iter(numbers)
        val_loss = next(it) if loss is not None else None
        val_acc = next(it) if acc is not None else None
        stats = []
        for name, layer, _ in self.layers:
            wn, gn = next(it), next(it)
            shape = "x".join(str(d) for d in layer.weight.shape)
            stats.append(
                LayerStat(name, type(layer).__name__, _finite(gn), _finite(wn), shape=shape)
            )
        if ratios:
            self._ratios = [_finite(next(it)) for _ in stats]
        for stat, ratio in zip(stats, self._ratios, strict=False):
            stat.update_ratio = ratio
        for stat, d, (_, _, act) in zip(stats, dead, self.layers, strict=True):
            if d is not None:
                stat.dead = next(it)
                stat.dead_kind = "dead" if type(act).__name__ in _RELU_LIKE else "saturated"
        if not held_out:
            val_loss = val_acc = None
        return Look(val_loss, val_acc, stats or None)


def _eval_set(job: Job) -> tuple[Any, Any, bool]:
    """The validation set (at most MAX_EVAL samples), or else a slice of the training set
    for the dead-unit figures only (no validation loss is reported then); and which."""
    Xv, yv = getattr(job, "X_val", None), getattr(job, "y_val", None)
    if Xv is not None and yv is not None and len(Xv):
        return Xv[:MAX_EVAL], yv[:MAX_EVAL], True
    return job.X[:MAX_EVAL], job.y[:MAX_EVAL], False


def _keeper(store: dict[int, Any], index: int, kind: str):
    """A forward hook that keeps one number: the share of dead or saturated units."""

    def hook(module: Any, inputs: Any, output: Any) -> None:
        out = output.detach()
        if out.ndim < 2:
            return
        flat = out.transpose(0, 1).reshape(out.shape[1], -1)  # (units, samples[*positions])
        if kind in _RELU_LIKE:
            store[index] = (flat.amax(dim=1) <= 0).float().mean()
        elif kind in ("Sigmoid", "Hardsigmoid"):
            store[index] = ((out < 0.02) | (out > 0.98)).float().mean()
        else:
            store[index] = (out.abs() > 0.98).float().mean()

    return hook


def labels_of(decision: str | None, out: Any) -> Any:
    """Class labels from a model's outputs, as ``Job.decision`` says to read them."""
    if decision == "argmax":
        return out.argmax(dim=1)
    cut = 0.0 if decision == "logit" else 0.5
    return (out > cut).to(out.dtype)


def _accuracy(job: Job, out: Any, y: Any) -> Any:
    if job.decision is None:
        return None
    pred = labels_of(job.decision, out)
    target = y if job.decision == "argmax" else y.reshape(pred.shape).to(pred.dtype)
    return (pred == target).float().mean()


def _finite(value: float) -> float | None:
    return value if value == value and abs(value) != float("inf") else None
