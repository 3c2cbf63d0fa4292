"""A run's settings, validated without torch: ``TrainConfig.from_mapping`` (no textual here).

The dashboard validates its form with it in the app process (which never imports torch);
the kernel and ``torch-tui train`` parse the same mapping again before they build a job.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from tui.platform.devices import DeviceError, parse_device
from tui.training.datasets import DATASETS, DatasetSpec

ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "leaky_relu")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
LOSSES = ("auto", "bce", "cross-entropy", "mse", "l1", "huber")
#: Weight initialisations: PyTorch's own, Xavier (Glorot) and Kaiming (He) uniform, and
#: two that go wrong on purpose: N(0, 1) (too large) and zeros (no symmetry breaking).
INITS = ("default", "xavier", "kaiming", "normal", "zeros")
#: Learning-rate schedules, stepped once per training step.
SCHEDULES = ("none", "step", "cosine", "one-cycle")
_LOSSES_FOR_TASK = {
    "binary": ("auto", "bce", "mse"),
    "multiclass": ("auto", "cross-entropy"),
    "regression": ("auto", "mse", "l1", "huber"),
}


class ConfigError(ValueError):
    """A bad setting or a REPL model that cannot be trained; the message is for the user."""


# -- configuration -------------------------------------------------------------------


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run. Build it with ``TrainConfig.from_mapping`` to validate."""

    dataset: str = "circles"
    #: 2,048 samples x 800 epochs at batch 64: 20,800 steps, 10-15 s on 2 cpu cores: long
    #: enough to watch the curve grow (and no overfitting); steps or epochs shorten a run.
    samples: int = 2048
    noise: float = 0.05
    hidden: tuple[int, ...] = (16, 16)
    activation: str = "tanh"
    loss: str = "auto"
    optimizer: str = "adam"
    lr: float = 0.03
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 64
    epochs: int = 800
    steps: int | None = None  # overrides epochs when set
    seed: int = 0
    device: str = "cpu"
    train_share: float = 0.8  # the rest is the validation set
    init: str = "default"
    dropout: float = 0.0  # after each hidden activation
    schedule: str = "none"

    @property
    def spec(self) -> DatasetSpec:
        return DATASETS[self.dataset][0]

    @property
    def train_samples(self) -> int:
        """Samples in the training share (at least 1; all when there is no validation)."""
        return split_sizes(self.samples, self.train_share)[0]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> TrainConfig:
        """Parse and check user values (strings from inputs or flags are fine).

        Raises ConfigError naming every bad field, e.g. ``lr must be a number > 0, got '-1'``.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        errors: list[str] = [f"unknown setting {name!r}" for name in unknown]
        values: dict[str, Any] = {}

        def take(name: str, parse: Callable[[Any], Any]) -> None:
            if name not in raw or raw[name] is None or raw[name] == "":
                return
            try:
                values[name] = parse(raw[name])
            except (TypeError, ValueError) as exc:
                errors.append(f"{name} {exc}" if str(exc) else f"{name}: bad value {raw[name]!r}")

        take("dataset", _choice("dataset", tuple(DATASETS)))
        take("samples", _int(4, 1_000_000))
        take("noise", _float(0.0, 10.0))
        take("hidden", parse_hidden)
        take("activation", _choice("activation", ACTIVATIONS))
        take("loss", _choice("loss", LOSSES))
        take("optimizer", _choice("optimizer", OPTIMIZERS))
        take("lr", _float(0.0, 100.0, open_low=True))
        take("momentum", _float(0.0, 1.0))
        take("weight_decay", _float(0.0, 10.0))
        take("batch_size", _int(1, 1_000_000))
        take("epochs", _int(1, 10_000_000))
        take("steps", _int(1, 1_000_000_000))
        take("seed", _int(0, 2**63 - 1))
        take("device", _device)
        take("train_share", _share)
        take("init", _choice("init", INITS))
        take("dropout", _dropout)
        take("schedule", _choice("schedule", SCHEDULES))
        if "steps" in raw and raw["steps"] in (None, ""):
            values["steps"] = None
        if errors:
            raise ConfigError("; ".join(errors))
        config = cls(**values)
        allowed = _LOSSES_FOR_TASK[config.spec.task]
        if config.loss not in allowed:
            raise ConfigError(
                f"loss {config.loss!r} does not fit the {config.dataset} set "
                f"({config.spec.task}); use one of: {', '.join(allowed)}"
            )
        return config

    def total_steps(self, n_samples: int | None = None) -> int:
        if self.steps is not None:
            return self.steps
        n = n_samples if n_samples is not None else self.train_samples
        return self.epochs * steps_per_epoch(n, self.batch_size)


def steps_per_epoch(n_samples: int, batch_size: int) -> int:
    return max(1, math.ceil(n_samples / max(1, min(batch_size, n_samples))))


#: Sets smaller than this keep every sample for training (no validation share).
MIN_SPLIT = 20


def split_sizes(samples: int, train_share: float) -> tuple[int, int]:
    """(training, validation) sample counts; both sides keep at least one sample, and a
    set of fewer than ``MIN_SPLIT`` (the seed's four XOR points) is not split at all."""
    if train_share >= 1.0 or samples < MIN_SPLIT:
        return samples, 0
    train = min(samples - 1, max(1, round(samples * train_share)))
    return train, samples - train


def _share(value: Any) -> float:
    """A fraction in (0, 1], or a percentage: ``0.8``, ``80%``."""
    if isinstance(value, str) and value.strip().endswith("%"):
        return _float(0.0, 100.0, open_low=True)(value.strip()[:-1]) / 100
    return _float(0.0, 1.0, open_low=True)(value)


def _dropout(value: Any) -> float:
    p = _float(0.0, 1.0)(value)
    if p >= 1.0:
        raise ValueError(f"must be below 1 (1 drops every unit), got {value!r}")
    return p


def _int(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(f"must be a whole number, got {value!r}")
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(f"must be a whole number, got {value!r}")
            value = int(value)
        if isinstance(value, str):
            text = value.strip().replace("_", "")
            try:
                value = int(text)
            except ValueError:
                try:
                    f = float(text)
                except ValueError:
                    raise ValueError(f"must be a whole number, got {value!r}") from None
                if not f.is_integer():
                    raise ValueError(f"must be a whole number, got {value!r}") from None
                value = int(f)
        if not isinstance(value, int):
            raise ValueError(f"must be a whole number, got {value!r}")
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, got {value}")
        return value

    return parse


def _float(low: float, high: float, open_low: bool = False) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError(f"must be a number, got {value!r}")
        try:
            f = float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            raise ValueError(f"must be a number, got {value!r}") from None
        if not math.isfinite(f):
            raise ValueError(f"must be a finite number, got {value!r}")
        too_low = f <= low if open_low else f < low
        if too_low or f > high:
            bound = f"> {low:g}" if open_low else f">= {low:g}"
            raise ValueError(f"must be a number {bound} and <= {high:g}, got {value!r}")
        return f

    return parse


def _choice(name: str, options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip().lower().replace("_", "-")
        for option in options:
            if text == option.replace("_", "-"):
                return option
        raise ValueError(f"must be one of {', '.join(options)}; got {value!r}")

    return parse


def parse_hidden(value: Any) -> tuple[int, ...]:
    """``"16,16"``, ``"16 16"``, ``[16, 16]`` or ``""``/``"none"`` for no hidden layer."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("", "none", "-"):
            return ()
        parts: list[str | int] = [p for p in text.replace(",", " ").replace("x", " ").split() if p]
    elif isinstance(value, int) and not isinstance(value, bool):
        parts = [value]
    else:
        parts = list(value)
    sizes = []
    for p in parts:
        try:
            n = int(p)
        except (TypeError, ValueError):
            raise ValueError(f"must be layer widths like '16,16', got {value!r}") from None
        if n == 0:
            raise ValueError(
                "has a width of 0, which makes no layer; use 'none' for a linear model"
            )
        if not 1 <= n <= 65536:
            raise ValueError(f"widths must be between 1 and 65536, got {n}")
        sizes.append(n)
    if len(sizes) > 16:
        raise ValueError("allows at most 16 hidden layers")
    return tuple(sizes)


def _device(value: Any) -> str:
    try:
        return parse_device(str(value))
    except DeviceError as exc:
        raise ValueError(str(exc).removeprefix("unknown device ")) from None


def check_device(device: str) -> str:
    """The device if torch has it, else ConfigError listing what it has. Imports torch."""
    from tui.platform.devices import discover

    names = [d.name for d in discover()]
    if device not in names:
        raise ConfigError(f"device {device} is not available here (have: {', '.join(names)})")
    return device
