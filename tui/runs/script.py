"""``train.py``: a playground run as a standalone script of plain PyTorch.

It mirrors ``make_split``, ``build_model`` and ``Trainer.run`` step for step, so
``python train.py`` ends at the run's final loss; keep them in step when those change.
No torch-tui import in the script (the learner owns it), no torch here (the app writes it).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from tui.platform import state
from tui.training.config import ConfigError, TrainConfig, split_sizes
from tui.training.datasets import DATASETS

NO_SCRIPT_REASON = (
    "no train.py: this run trained the REPL's own model, and a class typed in the REPL "
    "has no source file to copy; model.pt holds its state_dict and config.json its settings"
)
#: Samples the run's validation pass reads at most (``train_probe.MAX_EVAL``).
MAX_EVAL = 1024

_ACTIVATION = {
    "relu": "ReLU",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "gelu": "GELU",
    "leaky_relu": "LeakyReLU",
}
_LOSS = {
    "bce": "nn.BCEWithLogitsLoss()  # sigmoid + binary cross-entropy in one stable step",
    "cross-entropy": "nn.CrossEntropyLoss()  # softmax + negative log-likelihood",
    "mse": "nn.MSELoss()  # mean squared error",
    "l1": "nn.L1Loss()  # mean absolute error",
    "huber": "nn.HuberLoss()  # squared error near 0, absolute error further out",
}
_TASK_LOSS = {"binary": "bce", "multiclass": "cross-entropy", "regression": "mse"}
_CORRECT = {"binary": "(out > 0).float() == target", "multiclass": "out.argmax(1) == target"}
_INIT_WEIGHT = {
    "xavier": "nn.init.xavier_uniform_(layer.weight)",
    "kaiming": 'nn.init.kaiming_uniform_(layer.weight, nonlinearity="{nonlinearity}")',
    "normal": "nn.init.normal_(layer.weight, 0.0, 1.0)  # too large on purpose",
    "zeros": "nn.init.zeros_(layer.weight)  # no symmetry breaking, on purpose",
}


def script_for(config: TrainConfig, workers: int = 1) -> str:
    """The ``train.py`` text for a validated config (``workers``: a data-parallel run's)."""
    spec = DATASETS[config.dataset][0]
    sizes = [spec.in_features, *config.hidden, spec.classes]
    blocks = [
        _header(config, sizes, workers),
        *_data(config),
        _MODEL_HEAD + _model(config, sizes),
        _setup(config),
        _LOOP_HEAD + _loop(config),
        *_main(config),
    ]
    return "\n\n\n".join(block.strip("\n") for block in blocks) + "\n"


def write_script(run_dir: Path, config: dict[str, Any]) -> str | None:
    """``train.py`` in ``run_dir`` for a playground run, and None; for a REPL run a
    README.txt instead, and the reason as a note (also when the config no longer parses)."""
    if config.get("source") == "repl":
        state.atomic_write_text(Path(run_dir) / "README.txt", NO_SCRIPT_REASON + "\n")
        return NO_SCRIPT_REASON
    known = {k: v for k, v in config.items() if k in TrainConfig.__dataclass_fields__}
    try:
        parsed = TrainConfig.from_mapping(known)
    except ConfigError as exc:
        return f"no train.py: {exc}"
    workers = int(config.get("ddp_workers") or 1)
    state.atomic_write_text(Path(run_dir) / "train.py", script_for(parsed, workers))
    return None


# -- the parts of the script -----------------------------------------------------------


def _header(config: TrainConfig, sizes: list[int], workers: int) -> str:
    notes = ""
    if workers > 1:
        notes += (
            f"\nThe run trained on {workers} data-parallel workers: `torchrun --nproc-per-node "
            f"{workers} train.py`\ntrains the same way (plain python trains in one process, so "
            "its loss takes another path).\n"
        )
    if config.device != "cpu":
        notes += f"\nThe run trained on {config.device}; this script trains on the cpu.\n"
    return f'''"""Train a small network, exactly as one torch-tui playground run did.

The run: {config.dataset} ({config.spec.description}), an MLP {" -> ".join(map(str, sizes))},
{config.optimizer} lr {config.lr:g}, seed {config.seed}; every setting is spelt out below.
{notes}
    python train.py          train, then print the final loss and the validation figures
    python train.py --save   also write the trained weights (a state_dict) to model.pt
                             next to this file (replacing the exported copy)
    torchrun --nproc-per-node 4 train.py
                             the same run data-parallel: 4 processes (one per GPU where
                             there are GPUs, else on the cpu), each a replica of the model
                             training on its share of every batch; add --nnodes and
                             --rdzv-endpoint for several machines

The data, the split, the initial weights and the shuffles all come from SEED, so the
numbers are the same on every run; the number of cpu threads changes float rounding,
so the last digits can differ from machine to machine.
"""

import argparse
import math
import os

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

SEED = {config.seed}
# torchrun starts WORLD processes and names each one's RANK; plain python is one process.
WORLD = int(os.environ.get("WORLD_SIZE", "1"))
RANK = int(os.environ.get("RANK", "0"))
DEVICE = torch.device("cpu")
if WORLD > 1:
    if torch.cuda.is_available():  # one GPU per process: LOCAL_RANK is its index here
        DEVICE = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(DEVICE)
    dist.init_process_group("nccl" if DEVICE.type == "cuda" else "gloo")
# One thread less than the machine has cores, as the run trained (shared by the processes).
torch.set_num_threads(max(1, ((os.cpu_count() or 1) - 1) // WORLD))
'''


_DATA_HEAD = "# -- the data " + "-" * 74 + "\n"
_MODEL_HEAD = "# -- the model " + "-" * 73 + "\n"
_LOOP_HEAD = "# -- the loop " + "-" * 74 + "\n"
_SEEDED = '''def seeded(seed):
    """A random generator of its own: the data never depends on other random calls."""
    g = torch.Generator()
    g.manual_seed(seed)
    return g
'''


def _split(config: TrainConfig) -> tuple[int, int]:
    samples = 4 if config.dataset == "xor" else config.samples  # xor is its 4 points
    return split_sizes(samples, config.train_share)


def _generator(config: TrainConfig) -> str:
    """The data set's maker, renamed ``make_data``, without its own ``import torch``."""
    fn = DATASETS[config.dataset][1]
    kept: list[str] = []
    for line in inspect.getsource(fn).splitlines():
        if line.strip() == "import torch":
            continue
        if not line.strip() and kept and kept[-1].strip().endswith('"""'):
            continue  # the blank line that followed the import
        kept.append(line)
    kept[0] = kept[0].replace(f"def {fn.__name__}(", "def make_data(", 1)
    return "\n".join(kept).replace("_gen(seed)", "seeded(seed)")


def _data(config: TrainConfig) -> list[str]:
    """The data section's blocks: the generator (and its helper), then the split."""
    n_train, n_val = _split(config)
    maker = _generator(config)
    defs = [_SEEDED, maker] if "seeded(seed)" in maker else [maker]
    make = f"X_all, y_all = make_data({config.samples!r}, {config.noise!r}, SEED)\n"
    if not n_val:
        split = make + "X, y = X_all, y_all  # every sample trains: no validation share\n"
    else:
        split = make + (
            f"# Shuffle once with the seed, then cut: {n_train} samples to train on, "
            f"{n_val} held out.\n"
            "order = torch.randperm(len(X_all), generator=torch.Generator().manual_seed(SEED))\n"
            f"X, y = X_all[order[:{n_train}]], y_all[order[:{n_train}]]\n"
            f"X_val, y_val = X_all[order[{n_train}:]], y_all[order[{n_train}:]]\n"
        )
    return [_DATA_HEAD + defs[0], *defs[1:], split]


def _model(config: TrainConfig, sizes: list[int]) -> str:
    layer_lines = [f"layers.append(nn.{_ACTIVATION[config.activation]}())"]
    if config.dropout > 0:
        layer_lines.append(f"layers.append(nn.Dropout({config.dropout!r}))")
    after = "\n".join(" " * 16 + line for line in layer_lines)
    init = ""
    if config.init != "default":
        relu_like = config.activation in ("relu", "leaky_relu", "gelu")
        weight = _INIT_WEIGHT[config.init].format(nonlinearity="relu" if relu_like else "linear")
        init = f"""
        # {config.init} initialisation, biases at zero (from the same seed, after building)
        for layer in layers:
            if isinstance(layer, nn.Linear):
                with torch.no_grad():
                    {weight}
                    nn.init.zeros_(layer.bias)"""
    return f'''def build_model():
    """An MLP {" -> ".join(map(str, sizes))}; its initial weights come from SEED alone."""
    sizes = {sizes!r}
    layers = []
    with torch.random.fork_rng(devices=[]):  # seed a copy of the global RNG, restored after
        torch.manual_seed(SEED)
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:  # every layer but the last gets an activation
{after}{init}
    return nn.Sequential(*layers)
'''


def _call(target: str, func: str, args: str) -> str:
    """``target = func(args)`` on one line when it fits in 100 columns, else wrapped."""
    line = f"{target} = {func}({args})"
    return line if len(line) <= 100 else f"{target} = {func}(\n    {args}\n)"


def _setup(config: TrainConfig) -> str:
    loss = _TASK_LOSS[config.spec.task] if config.loss == "auto" else config.loss
    lr, wd = config.lr, config.weight_decay
    name = {"sgd": "SGD", "rmsprop": "RMSprop", "adamw": "AdamW", "adam": "Adam"}
    args = f"model.parameters(), lr={lr!r}, weight_decay={wd!r}"
    if config.optimizer in ("sgd", "rmsprop"):
        args = f"model.parameters(), lr={lr!r}, momentum={config.momentum!r}, weight_decay={wd!r}"
    optimizer = _call("optimizer", f"torch.optim.{name[config.optimizer]}", args)
    steps = f"STEPS = {config.steps}"
    if config.steps is None:
        steps = f"EPOCHS = {config.epochs}\nSTEPS = EPOCHS * STEPS_PER_EPOCH"
    sched = "torch.optim.lr_scheduler."
    schedule = {
        "none": "scheduler = None  # a constant learning rate",
        "step": "# the learning rate / 10 after each third of the run\n"
        + _call(
            "scheduler", sched + "StepLR", "optimizer, step_size=max(1, STEPS // 3), gamma=0.1"
        ),
        "cosine": "# the learning rate falls along a half cosine, to 0 at the last step\n"
        + _call("scheduler", sched + "CosineAnnealingLR", "optimizer, T_max=STEPS"),
        "one-cycle": "# the learning rate warms up to max_lr, then anneals to almost 0\n"
        + _call("scheduler", sched + "OneCycleLR", f"optimizer, max_lr={lr!r}, total_steps=STEPS"),
    }[config.schedule]
    return f"""model = build_model()  # the same weights in every process (from SEED)
if WORLD > 1:  # a replica per process; its backward averages the gradients of all
    model = DistributedDataParallel(model.to(DEVICE))
criterion = {_LOSS[loss]}
{optimizer}
BATCH = min({config.batch_size}, len(X))
STEPS_PER_EPOCH = math.ceil(len(X) / BATCH)
{steps}
{schedule}
"""


def _loop(config: TrainConfig) -> str:
    masks = "\n    torch.manual_seed(SEED)  # dropout's masks come from the global RNG"
    masks = masks if config.dropout > 0 else ""
    return f'''def train():
    """A fresh shuffle at each epoch's start, one optimizer step per batch. Returns the
    last batch's loss: what the run reported as its final loss."""
    n = len(X)
    shuffle = torch.Generator().manual_seed(SEED){masks}
    model.train()
    xs, ys = X, y
    for step in range(STEPS):
        i = step % STEPS_PER_EPOCH  # the batch's place in its epoch
        if i == 0 and BATCH < n:
            perm = torch.randperm(n, generator=shuffle)
            xs, ys = X[perm], y[perm]
        xb, yb = xs[i * BATCH : (i + 1) * BATCH], ys[i * BATCH : (i + 1) * BATCH]
        loss = criterion(model(xb), yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()  # after the optimizer: one schedule step per training step
    return loss.item()


def train_distributed():
    """The same loop in every process, each on its share of the data: DistributedSampler
    shuffles alike everywhere (SEED, then the epoch) and gives each RANK every WORLD-th
    sample, so a step sees BATCH samples per process. DDP averages the gradients, so the
    replicas take the same step and stay equal. Returns this process's last loss."""
    data = TensorDataset(X, y)
    sampler = DistributedSampler(data, num_replicas=WORLD, rank=RANK, shuffle=True, seed=SEED)
    loader = DataLoader(data, batch_size=BATCH, sampler=sampler)
    model.train()
    step, epoch = 0, 0
    while step < STEPS:
        sampler.set_epoch(epoch)  # another shuffle each epoch, the same in every process
        for xb, yb in loader:
            loss = criterion(model(xb.to(DEVICE)), yb.to(DEVICE))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            step += 1
            if step == STEPS:
                break
        epoch += 1
    return loss.item()
'''


def _main(config: TrainConfig) -> list[str]:
    """The evaluation (when there are held-out samples) and the ``__main__`` block."""
    correct = _CORRECT.get(config.spec.task)
    if not _split(config)[1]:
        evaluate, call = [], 'print("no held-out samples: nothing to validate on")'
    else:
        evaluate, call = [_EVALUATE.format(n=MAX_EVAL)], "evaluate()"
        if correct:
            evaluate[0] += (
                f"        accuracy = ({correct}).float().mean().item()\n"
                '        print(f"validation accuracy {accuracy:.4f}")\n'
            )
    return [*evaluate, _MAIN.format(evaluate=call)]


_EVALUATE = '''def evaluate():
    """The loss on at most {n} held-out samples, as the run measured it: dropout off
    (eval mode), no gradients."""
    net = model.module if WORLD > 1 else model  # the replica itself: no collective call
    net.eval()
    with torch.no_grad():
        out, target = net(X_val[:{n}].to(DEVICE)), y_val[:{n}].to(DEVICE)
        print(f"validation loss {{criterion(out, target).item():.6g}}")
'''
_MAIN = """if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help="write the weights to model.pt")
    args = parser.parse_args()
    final = train() if WORLD == 1 else train_distributed()
    if RANK == 0:  # one process speaks and writes; the replicas are equal
        print(f"final loss {{final:.6g}} after {{STEPS}} steps" + (
            f" ({{WORLD}} processes, {{BATCH}} samples each a step)" if WORLD > 1 else ""
        ))
        {evaluate}
    if args.save and RANK == 0:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "model.pt")
        net = model.module if WORLD > 1 else model
        torch.save(net.state_dict(), path)
        print(f"saved the weights to {{path}}")
    if WORLD > 1:
        dist.destroy_process_group()
"""
