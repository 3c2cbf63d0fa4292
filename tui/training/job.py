"""What a run trains: the building blocks (data, model, loss, optimizer) and ``Job``.

``build_job`` turns a ``TrainConfig`` into a ``Job`` on its device through small functions
a data-parallel worker reuses; ``job_from_namespace`` builds a ``Job`` from the REPL's own
``model``, ``X`` and ``y`` instead. Everything here imports torch (lazily).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.training.config import ConfigError, TrainConfig, check_device

if TYPE_CHECKING:  # pragma: no cover
    import torch


def make_split(
    config: TrainConfig,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Training and validation sets on the cpu, always the same for the same seed: the
    data set, shuffled by a generator seeded with the seed, cut at ``train_share``."""
    import torch

    from tui.training.config import split_sizes
    from tui.training.datasets import make

    X, y = make(config.dataset, config.samples, config.noise, config.seed)
    n_train, n_val = split_sizes(len(X), config.train_share)
    if not n_val:
        return X, y, X[:0], y[:0]
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(config.seed))
    train, val = order[:n_train], order[n_train:]
    return X[train], y[train], X[val], y[val]


def make_data(config: TrainConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """The training share of the data set (what every runner trains on)."""
    X, y, _, _ = make_split(config)
    return X, y


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
                if config.dropout > 0:
                    layers.append(nn.Dropout(config.dropout))
        for layer in layers:
            if isinstance(layer, nn.Linear):
                init_linear(layer, config.init, config.activation)
    return nn.Sequential(*layers)


def init_linear(layer: torch.nn.Linear, how: str, activation: str) -> None:
    """Re-initialise one layer in place (``default`` keeps PyTorch's own init)."""
    import torch
    from torch import nn

    if how == "default":
        return
    with torch.no_grad():
        if how == "xavier":
            nn.init.xavier_uniform_(layer.weight)
        elif how == "kaiming":
            relu_like = activation in ("relu", "leaky_relu", "gelu")
            nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu" if relu_like else "linear")
        elif how == "normal":
            nn.init.normal_(layer.weight, 0.0, 1.0)
        elif how == "zeros":
            nn.init.zeros_(layer.weight)
        nn.init.zeros_(layer.bias)


def build_schedule(config: TrainConfig, optimizer, total_steps: int):
    """The learning-rate scheduler for ``config.schedule`` (None for "none"), stepped once
    per training step: step divides the lr by 10 at each third, cosine anneals it to 0,
    one-cycle warms up to ``lr`` and anneals (``OneCycleLR``)."""
    import torch

    sched = torch.optim.lr_scheduler
    total = max(1, total_steps)
    if config.schedule == "step":
        return sched.StepLR(optimizer, step_size=max(1, total // 3), gamma=0.1)
    if config.schedule == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=total)
    if config.schedule == "one-cycle":
        return sched.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total)
    return None


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
    #: Held-out samples, evaluated at the report cadence (None: no validation set).
    X_val: Any = None
    y_val: Any = None
    #: A learning-rate scheduler stepped after every optimizer step (None: constant lr).
    scheduler: Any = None

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
    X, y, X_val, y_val = make_split(config)
    model = build_model(config).to(device)
    task = config.spec.task
    loss = build_loss(config)
    decision = {"binary": "logit", "multiclass": "argmax", "regression": None}[task]
    optimizer = build_optimizer(config, model.parameters())
    total = config.total_steps(len(X))
    return Job(
        model=model,
        X=X.to(device),
        y=y.to(device),
        criterion=loss,
        optimizer=optimizer,
        device=device,
        total_steps=total,
        batch_size=config.batch_size,
        decision=decision,
        label=_config_label(config),
        seed=config.seed,
        config=config.to_dict(),
        X_val=X_val.to(device) if len(X_val) else None,
        y_val=y_val.to(device) if len(y_val) else None,
        scheduler=build_schedule(config, optimizer, total),
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
    except Exception as exc:  # noqa: BLE001 - the learner's model: its error, said as a ConfigError
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
    except Exception as exc:  # noqa: BLE001 - the learner's loss: the same
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
    X_val, y_val = _validation_of(ns, X, y, device)
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
        X_val=X_val,
        y_val=y_val,
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


def _validation_of(ns: Mapping[str, Any], X, y, device: str) -> tuple[Any, Any]:
    """The REPL's ``X_val`` and ``y_val`` on the model's device, when both are tensors
    shaped like ``X`` and ``y`` (else no validation set: a mismatch is ignored, not fatal)."""
    import torch

    Xv, yv = ns.get("X_val"), ns.get("y_val")
    if not (isinstance(Xv, torch.Tensor) and isinstance(yv, torch.Tensor)):
        return None, None
    if len(Xv) != len(yv) or not len(Xv) or Xv.shape[1:] != X.shape[1:]:
        return None, None
    if yv.shape[1:] != y.shape[1:] or yv.dtype != y.dtype or not Xv.is_floating_point():
        return None, None
    return Xv.to(device), yv.to(device)


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
