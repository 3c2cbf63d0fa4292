"""``train.py``: a playground run as a standalone script of plain PyTorch.

The script rebuilds the run's data (the data set's generator, copied from
``tui.core.datasets``), its split, its model (seeded as ``build_model`` seeds it), its
loss, optimizer and schedule, and the loop exactly as ``Trainer.run`` runs it, so
``python train.py`` ends at the run's final loss (within float noise from thread counts).
No torch-tui import: the learner owns the code. No torch here either (the app writes it).
"""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path
from typing import Any

from tui.core import state

NO_SCRIPT_REASON = (
    "no train.py: this run trained the REPL's own model, and a class typed in the REPL "
    "has no source file to copy; model.pt holds its state_dict and config.json its settings"
)
_ACT = {
    "relu": "ReLU",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "gelu": "GELU",
    "leaky_relu": "LeakyReLU",
}
_LOSS = {
    "bce": "nn.BCEWithLogitsLoss()",
    "cross-entropy": "nn.CrossEntropyLoss()",
    "mse": "nn.MSELoss()",
    "l1": "nn.L1Loss()",
    "huber": "nn.HuberLoss()",
}
_TASK_LOSS = {"binary": "bce", "multiclass": "cross-entropy", "regression": "mse"}


def _generator_source(fn: Any) -> str:
    """The data set's maker, renamed ``make_data``, without its own torch import."""
    lines = inspect.getsource(fn).splitlines()
    body = []
    for ln in lines:  # its own ``import torch`` (and the blank line after it) go
        if ln.strip() == "import torch" or (not ln.strip() and body and body[-1] is None):
            body.append(None)
            continue
        body.append(ln)
    body = [ln for ln in body if ln is not None]
    body[0] = body[0].replace(f"def {fn.__name__}(", "def make_data(", 1)
    return "\n".join(body).replace("_gen(seed)", "seeded(seed)")


def _optimizer(config: Any) -> str:
    lr, wd, m = repr(config.lr), repr(config.weight_decay), repr(config.momentum)
    if config.optimizer == "sgd":
        return f"torch.optim.SGD(model.parameters(), lr={lr}, momentum={m}, weight_decay={wd})"
    if config.optimizer == "rmsprop":
        return f"torch.optim.RMSprop(model.parameters(), lr={lr}, momentum={m}, weight_decay={wd})"
    name = "AdamW" if config.optimizer == "adamw" else "Adam"
    return f"torch.optim.{name}(model.parameters(), lr={lr}, weight_decay={wd})"


def _schedule(config: Any) -> str:
    if config.schedule == "step":
        return "torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, STEPS // 3), gamma=0.1)"
    if config.schedule == "cosine":
        return "torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, STEPS))"
    if config.schedule == "one-cycle":
        return f"torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr={config.lr!r}, total_steps=max(1, STEPS))"
    return "None  # a constant learning rate"


def _init(config: Any) -> str:
    how = config.init
    if how == "default":
        return ""
    relu_like = config.activation in ("relu", "leaky_relu", "gelu")
    weight = {
        "xavier": "nn.init.xavier_uniform_(layer.weight)",
        "kaiming": f"nn.init.kaiming_uniform_(layer.weight, nonlinearity={'relu' if relu_like else 'linear'!r})",
        "normal": "nn.init.normal_(layer.weight, 0.0, 1.0)",
        "zeros": "nn.init.zeros_(layer.weight)",
    }[how]
    return f"""
        for layer in layers:  # {how} initialisation (biases at zero), from the same seed
            if isinstance(layer, nn.Linear):
                with torch.no_grad():
                    {weight}
                    nn.init.zeros_(layer.bias)"""


def script_for(config: Any) -> str:
    """The ``train.py`` text for a validated ``TrainConfig``."""
    from tui.core.datasets import DATASETS
    from tui.core.train_config import split_sizes

    spec, maker = DATASETS[config.dataset]
    loss_name = _TASK_LOSS[spec.task] if config.loss == "auto" else config.loss
    n_train, n_val = split_sizes(
        config.samples if config.dataset != "xor" else 4, config.train_share
    )
    sizes = [spec.in_features, *config.hidden, spec.classes]
    dropout = (
        f"\n                layers.append(nn.Dropout({config.dropout!r}))"
        if config.dropout > 0
        else ""
    )
    decision = {"binary": "(out > 0).float() == yb", "multiclass": "out.argmax(1) == yb"}.get(
        spec.task
    )
    accuracy = (
        f"""
        accuracy = ({decision.replace("yb", "y_val[:1024]").replace("out", "out")}).float().mean().item()
        print(f"validation accuracy {{accuracy:.4f}}")"""
        if decision and n_val
        else ""
    )
    validation = (
        f"""
    model.eval()  # dropout off, as the dashboard evaluates
    with torch.no_grad():
        out = model(X_val[:1024])
        print(f"validation loss {{criterion(out, y_val[:1024]).item():.6g}}"){accuracy}"""
        if n_val
        else ""
    )
    steps = (
        config.steps
        if config.steps is not None
        else f"{config.epochs} * math.ceil(len(X) / min({config.batch_size}, len(X)))"
    )
    return f'''"""Train the torch-tui playground run: {config.dataset}, hidden {list(config.hidden)}, {config.activation}, {config.optimizer} lr={config.lr:g}.

Plain PyTorch, written by torch-tui's export: python train.py
It rebuilds the data, the model and the training loop of that run and prints its final
loss (the last batch's), then the validation loss. Seed {config.seed}: the same numbers
each time, up to float rounding that depends on the number of cpu threads.
"""

import math
import os

import torch
from torch import nn

SEED = {config.seed}
torch.set_num_threads(max(1, (os.cpu_count() or 1) - 1))  # as the dashboard's trainer


def seeded(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


{_generator_source(maker)}


# -- the data: {spec.description}, {n_train} samples to train on, {n_val} held out --------
X_all, y_all = make_data({config.samples!r}, {config.noise!r}, SEED)
N_TRAIN = {n_train}
if N_TRAIN < len(X_all):
    order = torch.randperm(len(X_all), generator=torch.Generator().manual_seed(SEED))
    X, y = X_all[order[:N_TRAIN]], y_all[order[:N_TRAIN]]
    X_val, y_val = X_all[order[N_TRAIN:]], y_all[order[N_TRAIN:]]
else:
    X, y = X_all, y_all


# -- the model: an MLP {" -> ".join(map(str, sizes))} ----------------------------------------
def build_model():
    sizes = {sizes!r}
    layers = []
    with torch.random.fork_rng(devices=[]):  # its own seed, the global RNG untouched
        torch.manual_seed(SEED)
        for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(nn.{_ACT[config.activation]}()){dropout}{_init(config)}
    return nn.Sequential(*layers)


model = build_model()
criterion = {_LOSS[loss_name]}
optimizer = {_optimizer(config)}
BATCH = max(1, min({config.batch_size}, len(X)))
STEPS = {steps}
scheduler = {_schedule(config)}


# -- the loop: a fresh shuffle each epoch, one optimizer step per batch -----------------
def train():
    n = len(X)
    per_epoch = math.ceil(n / BATCH)
    shuffle = torch.Generator().manual_seed(SEED)
    torch.manual_seed(SEED)  # dropout's masks
    xs, ys = X, y
    model.train()
    for step in range(1, STEPS + 1):
        i = (step - 1) % per_epoch
        if BATCH >= n:
            xb, yb = X, y
        else:
            if i == 0:
                perm = torch.randperm(n, generator=shuffle)
                xs, ys = X[perm], y[perm]
            xb, yb = xs[i * BATCH : (i + 1) * BATCH], ys[i * BATCH : (i + 1) * BATCH]
        loss = criterion(model(xb), yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    return loss.item()


if __name__ == "__main__":
    final = train()
    print(f"final loss {{final:.6g}} after {{STEPS}} steps"){validation}
'''


def write_script(run_dir: Path, config: dict[str, Any]) -> str | None:
    """``train.py`` in ``run_dir`` for a playground run; for a REPL run (or a config that
    no longer parses) a ``README.txt`` and the reason instead, returned as a note."""
    from tui.core.train_config import ConfigError, TrainConfig

    if config.get("source") == "repl":
        state.atomic_write_text(Path(run_dir) / "README.txt", NO_SCRIPT_REASON + "\n")
        return NO_SCRIPT_REASON
    known = {k: v for k, v in config.items() if k in TrainConfig.__dataclass_fields__}
    try:
        parsed = TrainConfig.from_mapping(known)
    except ConfigError as exc:
        return f"no train.py: {exc}"
    state.atomic_write_text(Path(run_dir) / "train.py", textwrap.dedent(script_for(parsed)))
    return None
