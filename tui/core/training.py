"""The training loop behind the dashboard and ``torch-tui train`` (no textual here).

``TrainConfig`` is the validated description of a run; ``build_job`` turns it into a
``Job`` (data, model, loss, optimizer on a device) through small functions a multi-GPU
wrapper can reuse; ``job_from_namespace`` builds a ``Job`` from the REPL's own ``model``,
``X`` and ``y`` instead. ``Trainer.run`` runs the loop in the caller's thread: it checks
a stop and a pause Event every step, keeps each step's loss on the device and fetches
them in one batch per report (no host sync per step), and calls ``on_report`` at most
every ``report_every`` seconds with plain numpy / Python values only, so the receiver
(the UI thread) never has to touch a tensor.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from tui.core.datasets import DATASETS, DatasetSpec
from tui.core.devices import DeviceError, parse_device

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import torch

ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "leaky_relu")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
LOSSES = ("auto", "bce", "cross-entropy", "mse", "l1", "huber")
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
    samples: int = 512
    noise: float = 0.05
    hidden: tuple[int, ...] = (16, 16)
    activation: str = "tanh"
    loss: str = "auto"
    optimizer: str = "adam"
    lr: float = 0.03
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 64
    epochs: int = 300
    steps: int | None = None  # overrides epochs when set
    seed: int = 0
    device: str = "cpu"

    @property
    def spec(self) -> DatasetSpec:
        return DATASETS[self.dataset][0]

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
        take("hidden", _hidden)
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
        n = n_samples if n_samples is not None else self.samples
        return self.epochs * steps_per_epoch(n, self.batch_size)


def steps_per_epoch(n_samples: int, batch_size: int) -> int:
    return max(1, math.ceil(n_samples / max(1, min(batch_size, n_samples))))


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


def _hidden(value: Any) -> tuple[int, ...]:
    """``"16,16"``, ``"16 16"``, ``[16, 16]`` or ``""``/``"none"`` for no hidden layer."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("", "none", "-", "0"):
            return ()
        parts = [p for p in text.replace(",", " ").replace("x", " ").split() if p]
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
    from tui.core.devices import discover

    names = [d.name for d in discover()]
    if device not in names:
        raise ConfigError(f"device {device} is not available here (have: {', '.join(names)})")
    return device


# -- building blocks (reused by a multi-GPU wrapper) ---------------------------------


def make_data(config: TrainConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """The data set on the cpu, always the same for the same seed."""
    from tui.core.datasets import make

    return make(config.dataset, config.samples, config.noise, config.seed)


def build_model(config: TrainConfig) -> torch.nn.Sequential:
    """An MLP as nn.Sequential; weights seeded without disturbing the global RNG."""
    import torch
    from torch import nn

    act = {
        "relu": nn.ReLU,
        "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid,
        "gelu": nn.GELU,
        "leaky_relu": nn.LeakyReLU,
    }[config.activation]
    spec = config.spec
    sizes = [spec.in_features, *config.hidden, spec.classes]
    layers: list[nn.Module] = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        for i, (a, b) in enumerate(zip(sizes, sizes[1:], strict=False)):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(act())
    return nn.Sequential(*layers)


def build_loss(config: TrainConfig) -> torch.nn.Module:
    from torch import nn

    name = config.loss
    if name == "auto":
        name = {"binary": "bce", "multiclass": "cross-entropy", "regression": "mse"}[
            config.spec.task
        ]
    return {
        "bce": nn.BCEWithLogitsLoss,
        "cross-entropy": nn.CrossEntropyLoss,
        "mse": nn.MSELoss,
        "l1": nn.L1Loss,
        "huber": nn.HuberLoss,
    }[name]()


def build_optimizer(config: TrainConfig, params) -> torch.optim.Optimizer:
    import torch

    wd = config.weight_decay
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=wd)
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=config.lr, momentum=config.momentum, weight_decay=wd)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=wd)
    return torch.optim.Adam(params, lr=config.lr, weight_decay=wd)


def warm_up() -> None:
    """Build one optimizer so torch's lazy imports (dynamo, ~3 s) happen before a Start."""
    import torch

    torch.optim.Adam(torch.nn.Linear(1, 1).parameters())


# -- a job: what the loop trains ------------------------------------------------------


@dataclass
class Job:
    """The objects one run trains, on one device, and how to read its outputs.

    ``decision`` says how outputs become class labels for accuracy and the boundary:
    ``"logit"`` (binary, > 0), ``"prob"`` (binary, > 0.5), ``"argmax"`` or ``None``
    (regression: no accuracy).
    """

    model: Any
    X: Any
    y: Any
    criterion: Any
    optimizer: Any
    device: str
    total_steps: int
    batch_size: int
    decision: str | None
    label: str
    seed: int = 0
    source: str = "config"  # or "repl"
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def lr(self) -> float | None:
        try:
            return float(self.optimizer.param_groups[0]["lr"])
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            return None

    @property
    def two_d(self) -> bool:
        return self.decision is not None and self.X.ndim == 2 and self.X.shape[1] == 2


def build_job(config: TrainConfig) -> Job:
    """Data, model, loss and optimizer for a config, on its device. Imports torch."""
    device = check_device(config.device)
    X, y = make_data(config)
    model = build_model(config).to(device)
    task = config.spec.task
    loss = build_loss(config)
    decision = {"binary": "logit", "multiclass": "argmax", "regression": None}[task]
    return Job(
        model=model,
        X=X.to(device),
        y=y.to(device),
        criterion=loss,
        optimizer=build_optimizer(config, model.parameters()),
        device=device,
        total_steps=config.total_steps(len(X)),
        batch_size=config.batch_size,
        decision=decision,
        label=_config_label(config),
        seed=config.seed,
        config=config.to_dict(),
    )


def _config_label(config: TrainConfig) -> str:
    hidden = "-".join(str(h) for h in config.hidden) or "linear"
    return f"{config.dataset} {hidden} {config.optimizer} lr={config.lr:g}"


# -- the REPL's own model ---------------------------------------------------------------


def job_from_namespace(
    ns: Mapping[str, Any], steps: int, batch_size: int | None = None, seed: int = 0
) -> Job:
    """A Job that trains the REPL's ``model`` on its ``X`` and ``y`` in place.

    Uses ``criterion`` and ``optimizer`` from the namespace when present (the optimizer
    must hold the model's parameters), else BCE / cross-entropy / MSE picked from ``y``
    and Adam(lr=0.01). Validates with one forward pass and the loss (no gradient), and
    raises ConfigError saying what is missing or which shapes do not fit.
    """
    import torch
    from torch import nn

    missing = [n for n in ("model", "X", "y") if n not in ns]
    if missing:
        raise ConfigError(
            f"the REPL has no {', '.join(missing)}: define model (an nn.Module), X and y "
            "(inputs and targets) in the REPL first, e.g. run the lesson's training-loop cell"
        )
    model, X, y = ns["model"], ns["X"], ns["y"]
    if not isinstance(model, nn.Module):
        raise ConfigError(f"model is a {type(model).__name__}, not an nn.Module")
    for name, value in (("X", X), ("y", y)):
        if not isinstance(value, torch.Tensor):
            raise ConfigError(f"{name} is a {type(value).__name__}, not a tensor")
    if X.ndim == 0 or y.ndim == 0:
        raise ConfigError("X and y need a batch dimension (one row per sample)")
    if len(X) != len(y):
        raise ConfigError(f"X has {len(X)} rows but y has {len(y)}: they must match")
    if not X.is_floating_point():
        raise ConfigError(f"X is {X.dtype}; models need floats: X = X.float()")
    params = list(model.parameters())
    if not any(p.requires_grad for p in params):
        raise ConfigError("model has no trainable parameters")
    device = str(params[0].device)
    Xd, yd = X.to(device), y.to(device)

    try:
        with torch.no_grad():
            out = model(Xd[: min(len(Xd), 64)])
    except Exception as exc:
        raise ConfigError(
            f"model(X) fails with X of shape {tuple(X.shape)}: {_one_line(exc)}"
        ) from None
    if not isinstance(out, torch.Tensor):
        raise ConfigError(f"model(X) returned a {type(out).__name__}, not a tensor")

    criterion = ns.get("criterion")
    if criterion is None:
        criterion = _default_criterion(out, yd)
    elif not callable(criterion):
        raise ConfigError(f"criterion is a {type(criterion).__name__}, not a loss function")
    yb = yd[: len(out)]
    elementwise = (nn.MSELoss, nn.L1Loss, nn.BCELoss, nn.BCEWithLogitsLoss, nn.HuberLoss)
    if isinstance(criterion, elementwise) and tuple(out.shape) != tuple(yb.shape):
        raise ConfigError(
            f"shapes do not fit: model(X) gives {tuple(out.shape)[1:]} per sample but y has "
            f"{tuple(yb.shape)[1:]} ({type(criterion).__name__} needs them equal)"
        )
    try:
        with torch.no_grad():
            loss = criterion(out, yb)
    except Exception as exc:
        raise ConfigError(
            f"criterion(model(X), y) fails (output {tuple(out.shape)}, y {tuple(y.shape)} "
            f"{str(y.dtype).removeprefix('torch.')}): {_one_line(exc)}"
        ) from None
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise ConfigError("criterion(model(X), y) must return a single number (a scalar loss)")

    optimizer = ns.get("optimizer")
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    elif not isinstance(optimizer, torch.optim.Optimizer):
        raise ConfigError(f"optimizer is a {type(optimizer).__name__}, not a torch.optim optimizer")
    else:
        held = {id(p) for g in optimizer.param_groups for p in g["params"]}
        if not any(id(p) in held for p in params):
            raise ConfigError(
                "optimizer does not hold this model's parameters (was it made for an older "
                "model?): optimizer = torch.optim.Adam(model.parameters(), lr=0.01)"
            )

    decision = _decision_for(criterion, out, yb)
    bs = len(X) if batch_size is None else batch_size
    return Job(
        model=model,
        X=Xd,
        y=yd,
        criterion=criterion,
        optimizer=optimizer,
        device=device,
        total_steps=steps,
        batch_size=bs,
        decision=decision,
        label=f"REPL {type(model).__name__}",
        seed=seed,
        source="repl",
        config={
            "source": "repl",
            "model": type(model).__name__,
            "criterion": type(criterion).__name__,
            "optimizer": type(optimizer).__name__,
            "lr": optimizer.param_groups[0].get("lr"),
            "steps": steps,
            "batch_size": bs,
            "X_shape": list(X.shape),
            "y_shape": list(y.shape),
            "device": device,
        },
    )


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _default_criterion(out, y):
    from torch import nn

    if not y.is_floating_point():
        return nn.CrossEntropyLoss()
    if out.shape == y.shape and bool(((y == 0) | (y == 1)).all()):
        if bool(((out >= 0) & (out <= 1)).all()):
            return nn.BCELoss()
        return nn.BCEWithLogitsLoss()
    return nn.MSELoss()


def _decision_for(criterion, out, y) -> str | None:
    from torch import nn

    if isinstance(criterion, (nn.CrossEntropyLoss, nn.NLLLoss)):
        return "argmax"
    if isinstance(criterion, nn.BCEWithLogitsLoss):
        return "logit"
    if isinstance(criterion, nn.BCELoss):
        return "prob"
    if y.is_floating_point() and out.shape == y.shape and bool(((y == 0) | (y == 1)).all()):
        return "prob" if bool(((out >= 0) & (out <= 1)).all()) else "logit"
    return None


# -- reports ------------------------------------------------------------------------


@dataclass
class Boundary:
    """The model's answer on a grid over the data, for the decision-boundary view."""

    extent: tuple[float, float, float, float]  # x0, x1, y0, y1
    classes: np.ndarray  # (rows, cols) int, row 0 is the top (largest y)
    confidence: np.ndarray  # (rows, cols) float in [0, 1]
    points: np.ndarray  # (n, 2) a sample of the data
    point_classes: np.ndarray  # (n,)
    n_classes: int


@dataclass
class Report:
    """One batch of progress: plain numbers only, safe to hand to the UI thread."""

    first_step: int
    losses: np.ndarray  # float32, losses[i] belongs to step first_step + i
    step: int
    total_steps: int
    epoch: int
    elapsed: float
    steps_per_s: float
    eta: float | None
    accuracy: float | None = None
    memory: tuple[int, int] | None = None  # CUDA allocated, reserved (bytes)
    gpu: dict[str, float] | None = None  # NVML utilisation %, temperature C
    boundary: Boundary | None = None
    paused: bool = False
    final: bool = False
    stopped: bool = False
    error: str | None = None


@dataclass
class Summary:
    steps: int
    steps_per_s: float
    final_loss: float | None
    accuracy: float | None
    device: str
    elapsed: float
    stopped: bool = False
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["steps_per_s"] = round(self.steps_per_s, 1)
        d["elapsed"] = round(self.elapsed, 3)
        if self.final_loss is not None:
            d["final_loss"] = float(f"{self.final_loss:.6g}")
        if self.accuracy is not None:
            d["accuracy"] = round(self.accuracy, 4)
        return d


ReportFn = Callable[[Report], object]


def use_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads for the training thread; returns the count.

    ``None`` picks one core less than the machine has (at least one): on a 2-core box two
    OpenMP workers plus the UI thread oversubscribe the cores, and measured here a loaded
    2-thread pool runs the XOR net about 10x slower than one thread. ``0`` leaves torch be.
    """
    import os

    import torch

    if threads == 0:
        return torch.get_num_threads()
    if threads is None:
        threads = max(1, (os.cpu_count() or 1) - 1)
    torch.set_num_threads(threads)
    return threads


# -- the loop -----------------------------------------------------------------------


class Trainer:
    """Runs a Job in the calling thread; see the module docstring for the contract."""

    def __init__(
        self,
        job: Job,
        on_report: ReportFn | None = None,
        stop: threading.Event | None = None,
        pause: threading.Event | None = None,
        report_every: float = 0.1,
        eval_every: float = 1.0,
        grid: tuple[int, int] = (24, 48),
        gpu_stats: Callable[[], dict[str, float] | None] | None = None,
        threads: int | None = None,
    ) -> None:
        self.job = job
        self.on_report = on_report or (lambda report: None)
        self.stop = stop or threading.Event()
        self.pause = pause or threading.Event()
        self.report_every = report_every
        self.eval_every = eval_every
        self.grid = grid
        self.gpu_stats = gpu_stats
        self.threads = threads
        self._grid_points = None
        self._boundary_static: tuple | None = None

    # The loop itself: keep it lean, it is what the benchmark compares with a bare loop.
    def run(self) -> Summary:
        import torch

        job = self.job
        use_threads(self.threads)
        model, crit, opt = job.model, job.criterion, job.optimizer
        X, y = job.X, job.y
        n = len(X)
        bs = max(1, min(job.batch_size, n))
        per_epoch = steps_per_epoch(n, bs)
        full = bs >= n
        total = job.total_steps
        gen = torch.Generator().manual_seed(job.seed)
        stop, pause = self.stop, self.pause
        pending: list = []
        clock = time.perf_counter
        self._start = clock()
        self._paused_for = 0.0
        self._last_report = self._start
        self._last_eval = -math.inf
        self._last_step_reported = 0
        self._rate_step = 0
        self._first_pending = 1
        self._final_loss: float | None = None
        self._accuracy: float | None = None
        self._error: str | None = None
        next_report = self._start + self.report_every
        xs, ys = X, y
        step = 0
        model.train()
        for step in range(1, total + 1):
            if stop.is_set():
                step -= 1
                break
            if pause.is_set():
                self._flush(pending, step - 1, total, per_epoch, clock(), paused=True)
                t0 = clock()
                while pause.is_set() and not stop.is_set():
                    stop.wait(0.05)
                self._paused_for += clock() - t0
                self._last_report = clock()
                next_report = self._last_report + self.report_every
                if stop.is_set():
                    step -= 1
                    break
            i = (step - 1) % per_epoch
            if full:
                xb, yb = xs, ys
            else:
                if i == 0:
                    perm = torch.randperm(n, generator=gen).to(job.device)
                    xs, ys = X[perm], y[perm]
                xb, yb = xs[i * bs : (i + 1) * bs], ys[i * bs : (i + 1) * bs]
            loss = crit(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            pending.append(loss.detach())
            now = clock()
            if now >= next_report:
                if not self._flush(pending, step, total, per_epoch, now):
                    break
                next_report = now + self.report_every
        else:
            step = total
        stopped = step < total and self._error is None
        if self._error is None:
            self._flush(pending, step, total, per_epoch, clock(), final=True, stopped=stopped)
        elapsed = self._active(clock())
        return Summary(
            steps=self._last_step_reported,
            steps_per_s=self._last_step_reported / elapsed if elapsed > 0 else 0.0,
            final_loss=self._final_loss,
            accuracy=self._accuracy,
            device=job.device,
            elapsed=elapsed,
            stopped=stopped,
            error=self._error,
        )

    def _active(self, now: float) -> float:
        return max(1e-9, now - self._start - self._paused_for)

    def _flush(
        self,
        pending: list,
        step: int,
        total: int,
        per_epoch: int,
        now: float,
        paused: bool = False,
        final: bool = False,
        stopped: bool = False,
    ) -> bool:
        """Fetch the pending losses in one go and report. False when the run must stop."""
        import numpy as np
        import torch

        first = self._first_pending
        if pending:
            losses = torch.stack(pending).float().cpu().numpy()
            pending.clear()
        else:
            losses = np.empty(0, dtype=np.float32)
        self._first_pending = first + len(losses)
        error = None
        bad = np.flatnonzero(~np.isfinite(losses))
        if len(bad):
            at = first + int(bad[0])
            kind = "NaN" if math.isnan(float(losses[bad[0]])) else "Inf"
            lr = self.job.lr
            hint = f"try a smaller lr (e.g. {lr / 10:g})" if lr else "try a smaller lr"
            error = f"loss became {kind} at step {at}: training stopped; {hint}"
            losses = losses[: bad[0]]
            step = at - 1
            final, self._error = True, error
        if len(losses):
            self._final_loss = float(losses[-1])
        self._last_step_reported = step
        elapsed = self._active(now)
        window = now - self._last_report
        rate = (step - self._rate_step) / window if window > 0 else 0.0
        self._rate_step = step
        self._last_report = now
        overall = step / elapsed if elapsed > 0 else 0.0
        eta = (total - step) / overall if overall > 0 and not final else (0.0 if final else None)
        boundary = memory = gpu = None
        if (final or now - self._last_eval >= self.eval_every) and error is None:
            self._last_eval = now
            self._accuracy, boundary = self._evaluate()
            gpu = self.gpu_stats() if self.gpu_stats else None
        if self.job.device.startswith("cuda"):
            memory = (
                torch.cuda.memory_allocated(self.job.device),
                torch.cuda.memory_reserved(self.job.device),
            )
        report = Report(
            first_step=first,
            losses=losses,
            step=step,
            total_steps=total,
            epoch=(step - 1) // per_epoch + 1 if step else 0,
            elapsed=elapsed,
            steps_per_s=max(0.0, rate if not final else overall),
            eta=eta,
            accuracy=self._accuracy,
            memory=memory,
            gpu=gpu,
            boundary=boundary,
            paused=paused,
            final=final,
            stopped=stopped,
            error=error,
        )
        try:
            self.on_report(report)
        except Exception:  # a broken receiver must not kill the run
            pass
        return error is None

    def _evaluate(self) -> tuple[float | None, Boundary | None]:
        """Accuracy on up to 1024 samples and the boundary grid (2-D sets), no gradients."""
        import torch

        job = self.job
        if job.decision is None:
            return None, None
        model = job.model
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                Xe, ye = job.X[:1024], job.y[:1024]
                pred = self._labels(model(Xe))
                target = ye.reshape(pred.shape) if job.decision != "argmax" else ye
                acc = float((pred == target.to(pred.dtype)).float().mean())
                boundary = self._boundary() if job.two_d else None
        except Exception:
            return None, None
        finally:
            model.train(was_training)
        return acc, boundary

    def _labels(self, out):
        d = self.job.decision
        if d == "argmax":
            return out.argmax(dim=1)
        cut = 0.0 if d == "logit" else 0.5
        return (out > cut).to(out.dtype)

    def _boundary(self) -> Boundary:
        import numpy as np
        import torch

        job = self.job
        rows, cols = self.grid
        if self._grid_points is None:
            X = job.X.float()
            lo, hi = X.min(0).values.cpu(), X.max(0).values.cpu()
            pad = (hi - lo) * 0.08 + 1e-3
            lo, hi = lo - pad, hi + pad
            gx = torch.linspace(float(lo[0]), float(hi[0]), cols)
            gy = torch.linspace(float(hi[1]), float(lo[1]), rows)
            yy, xx = torch.meshgrid(gy, gx, indexing="ij")
            self._grid_points = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1).to(job.device)
            sample = torch.randperm(len(job.X), generator=torch.Generator().manual_seed(0))[:400]
            pts = job.X[sample.to(job.device)].float().cpu().numpy()
            lab = job.y[sample.to(job.device)].reshape(len(sample), -1)[:, 0].cpu().numpy()
            extent = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
            self._boundary_static = (extent, pts, np.rint(lab).astype(np.int64))
        out = job.model(self._grid_points)
        if job.decision == "argmax":
            probs = torch.softmax(out.float(), dim=1)
            conf, cls = probs.max(dim=1)
            n_classes = out.shape[1]
        else:
            p = torch.sigmoid(out.float()) if job.decision == "logit" else out.float()
            p = p.reshape(-1)
            cls = (p > 0.5).long()
            conf = torch.where(cls == 1, p, 1 - p)
            n_classes = 2
        extent, pts, lab = self._boundary_static
        return Boundary(
            extent=extent,
            classes=cls.reshape(rows, cols).cpu().numpy().astype(np.int8),
            confidence=conf.reshape(rows, cols).cpu().numpy().astype(np.float32),
            points=pts,
            point_classes=lab,
            n_classes=int(n_classes),
        )


def bare_loop(job: Job, steps: int, threads: int | None = None) -> float:
    """The plain loop a learner writes (no reports): the benchmark's baseline, steps/s."""
    import torch

    use_threads(threads)
    model, crit, opt, X, y = job.model, job.criterion, job.optimizer, job.X, job.y
    n = len(X)
    bs = max(1, min(job.batch_size, n))
    per_epoch = steps_per_epoch(n, bs)
    gen = torch.Generator().manual_seed(job.seed)
    xs, ys = X, y
    t0 = time.perf_counter()
    for step in range(steps):
        i = step % per_epoch
        if bs < n:
            if i == 0:
                perm = torch.randperm(n, generator=gen).to(job.device)
                xs, ys = X[perm], y[perm]
            xb, yb = xs[i * bs : (i + 1) * bs], ys[i * bs : (i + 1) * bs]
        else:
            xb, yb = xs, ys
        loss = crit(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    if job.device.startswith("cuda"):
        torch.cuda.synchronize(job.device)
    return steps / (time.perf_counter() - t0)
