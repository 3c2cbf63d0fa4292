"""train.py: plain PyTorch that reruns a playground run to the same final loss."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import torch

from tui.runs.script import NO_SCRIPT_REASON, script_for, write_script
from tui.training.config import TrainConfig
from tui.training.job import build_job, build_model, make_split
from tui.training.loop import Trainer

# Each data set, init, schedule and optimizer at least once; dropout; losses other than
# auto; full batch; train_share 1 and a set too small to split; epochs and steps.
CONFIGS = [
    {"samples": "512", "epochs": "300"},  # the defaults, as short as they once were
    {"dataset": "spiral", "hidden": "32,32", "activation": "relu", "init": "kaiming",
     "dropout": "0.2", "schedule": "cosine", "steps": "300"},
    {"dataset": "moons", "optimizer": "sgd", "lr": "0.1", "schedule": "step", "steps": "200",
     "loss": "mse"},
    {"dataset": "regression", "optimizer": "rmsprop", "lr": "0.01", "init": "xavier",
     "steps": "200", "loss": "huber"},
    {"dataset": "blobs", "optimizer": "adamw", "weight_decay": "0.01", "schedule": "one-cycle",
     "steps": "200", "train_share": "1"},
    {"dataset": "xor", "hidden": "8", "steps": "200", "batch_size": "4"},
    {"dataset": "noisy-xor", "init": "normal", "steps": "100", "batch_size": "1000",
     "activation": "gelu", "dropout": "0.1"},
    {"dataset": "circles", "init": "zeros", "hidden": "none", "epochs": "20",
     "activation": "leaky_relu", "samples": "12", "batch_size": "5"},
    {"dataset": "mnist-synth", "hidden": "32", "steps": "40", "samples": "256",
     "activation": "sigmoid", "loss": "cross-entropy"},
]  # fmt: skip

#: Runs each folder's train.py as ``python train.py`` would, in one process (torch is
#: imported once), and prints each one's output on a line of its own.
DRIVER = """
import contextlib, io, os, runpy, sys
for folder in sys.argv[1:]:
    os.chdir(folder)
    sys.argv = ["train.py"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path("train.py", run_name="__main__")
    print(out.getvalue().replace("\\n", " ") + "\\0", end="")
"""


def run_scripts(tmp_path, scripts: list[str]) -> list[str]:
    """Each script in its own folder, run by an isolated python that cannot import tui."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    folders = []
    for n, text in enumerate(scripts):
        folder = tmp_path / f"run{n}"
        folder.mkdir()
        (folder / "train.py").write_text(text)
        folders.append(str(folder))
    done = subprocess.run(
        [sys.executable, "-I", "-c", DRIVER, *folders], capture_output=True, text=True,
        env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\0")[: len(scripts)]


def close(got: float, want: float) -> bool:
    return abs(got - want) <= max(1e-3, 0.02 * abs(want))


def test_train_py_reproduces_the_final_loss_of_every_kind_of_run(tmp_path):
    summaries, scripts = [], []
    for raw in CONFIGS:
        config = TrainConfig.from_mapping(raw)
        summaries.append(Trainer(build_job(config), threads=1).run())
        scripts.append(script_for(config))
        assert not re.search(r"^\s*(from|import) tui", scripts[-1], re.M)
        assert "tui" not in scripts[-1].split('"""', 2)[2]  # nothing past the header
    for raw, summary, out in zip(CONFIGS, summaries, run_scripts(tmp_path, scripts), strict=True):
        final = float(re.search(r"final loss (\S+)", out).group(1))
        assert close(final, summary.final_loss), (raw, final, summary.final_loss)
        if summary.val_loss is None:
            assert "validation" not in out and "no held-out samples" in out, raw
        else:
            val = float(re.search(r"validation loss (\S+)", out).group(1))
            assert close(val, summary.val_loss), (raw, val, summary.val_loss)


@pytest.mark.parametrize("raw", CONFIGS)
def test_the_script_builds_the_same_data_and_weights_bit_for_bit(raw):
    """Run as a module (not ``__main__``), the script builds its data and model only."""
    config = TrainConfig.from_mapping(raw)
    threads = torch.get_num_threads()
    ns: dict = {"__name__": "train"}
    try:
        exec(compile(script_for(config), "train.py", "exec"), ns)
    finally:
        torch.set_num_threads(threads)
    X, y, X_val, y_val = make_split(config)
    assert torch.equal(ns["X"], X) and torch.equal(ns["y"], y)
    if len(X_val):
        assert torch.equal(ns["X_val"], X_val) and torch.equal(ns["y_val"], y_val)
    else:
        assert "X_val" not in ns
    want = build_model(config).state_dict()
    got = ns["model"].state_dict()
    assert list(got) == list(want)
    assert all(torch.equal(got[k], want[k]) for k in want)
    assert ns["STEPS"] == config.total_steps(len(X))


def test_a_repl_run_says_why_it_has_no_train_py(tmp_path):
    note = write_script(tmp_path, {"source": "repl", "model": "SimpleNet", "steps": 100})
    assert note == NO_SCRIPT_REASON and "typed in the REPL" in note
    assert not (tmp_path / "train.py").exists()
    readme = (tmp_path / "README.txt").read_text()
    assert "no source file" in readme and "state_dict" in readme


def test_a_playground_run_writes_train_py_and_names_its_ddp_workers(tmp_path):
    config = {**TrainConfig(dataset="moons").to_dict(), "ddp_workers": 2, "source": "config"}
    assert write_script(tmp_path, config) is None
    text = (tmp_path / "train.py").read_text()
    assert "moons" in text and "2 data-parallel workers" in text
    assert not (tmp_path / "README.txt").exists()
    assert write_script(tmp_path, {"dataset": "moons", "lr": "-1"}).startswith("no train.py: lr")


def test_train_py_runs_unchanged_under_torchrun_on_two_processes(tmp_path):
    """``torchrun --nproc-per-node 2 train.py``: two gloo processes on the cpu train
    replicas on halves of each epoch (DistributedSampler); one speaks, rank 0 saves, and
    the saved weights load into the script's own single-process model."""
    config = TrainConfig.from_mapping({"dataset": "moons", "steps": 60, "hidden": "8"})
    script = tmp_path / "train.py"
    script.write_text(script_for(config, workers=2))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": ""}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
         str(script), "--save"],
        capture_output=True, text=True, env=env, timeout=180, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("final loss") == 1, done.stdout
    assert "(2 processes, " in done.stdout and "validation loss" in done.stdout
    state = torch.load(tmp_path / "model.pt", weights_only=True)
    ns: dict = {"__name__": "train"}
    threads = torch.get_num_threads()
    try:
        exec(compile(script.read_text(), "train.py", "exec"), ns)
    finally:
        torch.set_num_threads(threads)
    ns["model"].load_state_dict(state)  # no "module." prefix: the replica's own weights
    assert not torch.equal(state["0.weight"], ns["build_model"]().state_dict()["0.weight"])
