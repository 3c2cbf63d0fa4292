"""How much memory a run needs, estimated from its settings before anything is built.

Pure Python (no torch, no textual): the dashboard checks a run in the app process, which
never imports torch, and ``torch-tui train`` checks it before ``build_job``. A model that
cannot fit is refused with one line that names the figures, instead of a traceback (or
the kernel killed) once torch tries to allocate it.

The estimate is rough but errs high: float32 (4 bytes) weights, as many gradients, the
optimizer's state (Adam keeps two moments per weight, SGD and RMSprop one or two), the
copy of the weights the layer probe keeps at a report, the activations a batch keeps for
the backward pass, one forward pass over the largest set the reports evaluate, and the
data itself (the set, its split and one shuffled copy).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from tui.training.config import TrainConfig, split_sizes
from tui.training.report import BOUNDARY_CHUNK

FLOAT = 4  # bytes per float32
#: Points of the decision-boundary grid a report evaluates at once (in chunks of these).
GRID_POINTS = BOUNDARY_CHUNK


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes one training process needs, by what they hold."""

    params: int  # the model's parameter count
    weights: int
    gradients: int
    optimizer: int  # the optimizer's state (Adam: two moments)
    probe: int  # the layer probe's copy of the weights at a report
    replicas: int  # data parallel: DDP's gradient buckets (0 for one process)
    activations: int  # what one batch keeps for backward
    evaluation: int  # one forward pass over the largest evaluated set, no gradients
    data: int

    @property
    def of_params(self) -> int:
        """What grows with the parameter count (wider layers)."""
        return self.weights + self.gradients + self.optimizer + self.probe + self.replicas

    @property
    def total(self) -> int:
        return self.of_params + self.activations + self.evaluation + self.data


def layer_sizes(config: TrainConfig) -> list[int]:
    """Input width, the hidden widths, output width: what ``build_model`` stacks."""
    spec = config.spec
    return [spec.in_features, *config.hidden, spec.classes]


def param_count(sizes: list[int]) -> int:
    """Weights and biases of the ``nn.Linear`` layers between consecutive ``sizes``."""
    return sum(a * b + b for a, b in zip(sizes, sizes[1:], strict=False))


def optimizer_slots(config: TrainConfig) -> int:
    """Tensors of the parameters' size the optimizer keeps per parameter."""
    if config.optimizer in ("adam", "adamw"):
        return 2  # exp_avg and exp_avg_sq
    momentum = 1 if config.momentum > 0 else 0
    if config.optimizer == "rmsprop":
        return 1 + momentum  # square_avg (+ momentum_buffer)
    return momentum  # sgd: momentum_buffer


def estimate(config: TrainConfig, workers: int = 1) -> MemoryEstimate:
    """The memory one training process of ``config`` needs (one of ``workers``)."""
    sizes = layer_sizes(config)
    n = param_count(sizes)
    weights = n * FLOAT
    n_train, n_val = split_sizes(config.samples, config.train_share)
    if workers > 1:
        n_train = -(-n_train // workers)  # each rank trains on its share
    batch = max(1, min(config.batch_size, n_train))
    hidden = sum(config.hidden)
    # Each hidden layer keeps its output and its activation's (and dropout's mask) for
    # backward; the backward pass holds about as much again for the gradients it passes.
    per_unit = 2 + (1 if config.dropout > 0 else 0)
    activations = batch * (2 * per_unit * hidden + sizes[0] + 2 * sizes[-1]) * FLOAT
    # Under no_grad only two layers' outputs live at once: the widest pair decides.
    widest = max(a + b for a, b in zip(sizes, sizes[1:], strict=False))
    evaluation = max(n_train, n_val, GRID_POINTS) * widest * FLOAT
    data = 3 * config.samples * (sizes[0] + 1) * FLOAT
    return MemoryEstimate(
        params=n,
        weights=weights,
        gradients=weights,
        optimizer=optimizer_slots(config) * weights,
        probe=weights,
        replicas=weights if workers > 1 else 0,
        activations=activations,
        evaluation=evaluation,
        data=data,
    )


def needed(config: TrainConfig, workers: int = 1) -> int:
    """Bytes the run needs where it is measured: on the cpu every worker shares the RAM;
    on a GPU each worker has its own device, so one worker's share is what must fit."""
    per_worker = estimate(config, workers).total
    return per_worker * workers if config.device == "cpu" else per_worker


def ram_available() -> int | None:
    """Bytes of RAM free for a new allocation (Linux's MemAvailable), None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB"


def count(n: int) -> str:
    """``4.3 billion``, ``12 million``, ``9,000``."""
    if n >= 1e9:
        return f"{n / 1e9:.2g} billion"
    if n >= 1e6:
        return f"{n / 1e6:.3g} million"
    return f"{n:,}"


def held(config: TrainConfig) -> str:
    """What is kept per parameter, in words: ``weights, gradients, adam's two moments``."""
    slots = optimizer_slots(config)
    if not slots:
        return "weights and gradients"
    if config.optimizer in ("adam", "adamw"):
        state = "two moments"
    elif config.optimizer == "sgd":
        state = "momentum"
    else:
        state = "running averages" if slots > 1 else "running average"
    return f"weights, gradients, {config.optimizer}'s {state}"


def fit_problem(config: TrainConfig, available: int | None, workers: int = 1) -> str | None:
    """One line saying the run cannot fit in ``available`` bytes, or None (it fits, or
    the free memory is unknown). It starts with the setting to change, as ConfigError's
    messages do (the dashboard marks that field)."""
    if available is None:
        return None
    need = needed(config, workers)
    if need <= available:
        return None
    est = estimate(config, workers)
    where = config.device if workers == 1 else f"{config.device} ({workers} workers)"
    if est.of_params >= max(est.activations, est.evaluation + est.data):
        hidden = ",".join(map(str, config.hidden)) or "none"
        head = (
            f"hidden {hidden} needs about {gb(need)} to train "
            f"({count(est.params)} parameters: {held(config)})"
        )
        tip = "use narrower hidden layers"
    elif est.activations >= est.evaluation + est.data:
        head = (
            f"batch_size {config.batch_size} needs about {gb(need)} to train "
            f"(a batch's activations: {gb(est.activations)})"
        )
        tip = "use a smaller batch or narrower hidden layers"
    else:
        head = (
            f"samples {config.samples} needs about {gb(need)} to train "
            f"(the data and one pass over it: {gb(est.evaluation + est.data)})"
        )
        tip = "use fewer samples or narrower hidden layers"
    if workers > 1 and config.device == "cpu":
        tip += " or fewer workers"
    return f"{head}, but {where} has {gb(available)} available: {tip}"


def launch_problem(config: dict, workers: int = 1) -> str | None:
    """The dashboard's check before it starts a run (the app process, no torch): the
    estimate against this machine's free RAM for a cpu run. A GPU's free memory is the
    kernel's to know: such a run is left to start (and to fail with torch's message)."""
    from tui.training.config import ConfigError

    try:
        parsed = TrainConfig.from_mapping(config)
    except ConfigError:
        return None  # the kernel says what is wrong with it
    if parsed.device != "cpu":
        return None
    return fit_problem(parsed, ram_available(), workers)
