"""train.py: plain PyTorch that reruns a playground run to the same final loss."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import torch

from tui.cli import main
from tui.core.export_script import NO_SCRIPT_REASON, script_for, write_script
from tui.core.training import TrainConfig, Trainer, build_job

CONFIGS = [
    {},
    {"dataset": "spiral", "hidden": "32,32", "activation": "relu", "init": "kaiming",
     "dropout": "0.2", "schedule": "cosine", "steps": "300"},
    {"dataset": "moons", "optimizer": "sgd", "lr": "0.1", "schedule": "step", "steps": "200"},
    {"dataset": "regression", "optimizer": "rmsprop", "lr": "0.01", "init": "xavier",
     "steps": "200"},
    {"dataset": "blobs", "optimizer": "adamw", "weight_decay": "0.01", "schedule": "one-cycle",
     "steps": "200", "train_share": "1"},
    {"dataset": "xor", "hidden": "8", "steps": "200", "batch_size": "4"},
    {"dataset": "noisy-xor", "init": "normal", "steps": "100", "batch_size": "1000",
     "activation": "gelu"},
    {"dataset": "circles", "init": "zeros", "hidden": "none", "steps": "50",
     "activation": "leaky_relu"},
    {"dataset": "mnist-synth", "hidden": "32", "steps": "40", "samples": "256",
     "activation": "sigmoid"},
]  # fmt: skip


DRIVER = """
import contextlib, io, os, runpy, sys
for folder in sys.argv[1:]:
    os.chdir(folder)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path("train.py", run_name="__main__")
    print(out.getvalue().replace("\\n", " ") + "\\0", end="")
"""


def _run_scripts(tmp_path, scripts: list[str]) -> list[str]:
    """Each script in its own folder, run by plain python (no torch-tui on the path): one
    process runs them all, so torch is imported once."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    folders = []
    for n, text in enumerate(scripts):
        folder = tmp_path / f"run{n}"
        folder.mkdir()
        (folder / "train.py").write_text(text)
        folders.append(str(folder))
    done = subprocess.run(
        [sys.executable, "-I", "-c", DRIVER, *folders], capture_output=True, text=True,
        env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\0")[: len(scripts)]


def test_train_py_reproduces_the_final_loss_of_every_kind_of_run(tmp_path):
    wanted, scripts = [], []
    for raw in CONFIGS:
        config = TrainConfig.from_mapping(raw)
        wanted.append(Trainer(build_job(config), lambda r: None, threads=1).run())
        scripts.append(script_for(config))
        assert not re.search(r"^\s*(from|import) tui", scripts[-1], re.M)
    for raw, summary, out in zip(CONFIGS, wanted, _run_scripts(tmp_path, scripts), strict=True):
        final = float(re.search(r"final loss (\S+)", out).group(1))
        want = summary.final_loss
        assert abs(final - want) <= max(1e-3, 0.02 * abs(want)), (raw, final, want)
        if summary.val_loss is not None:
            val = float(re.search(r"validation loss (\S+)", out).group(1))
            assert abs(val - summary.val_loss) <= max(1e-3, 0.02 * summary.val_loss), raw
        else:
            assert "validation" not in out


def test_a_repl_run_says_why_it_has_no_train_py(tmp_path):
    note = write_script(tmp_path, {"source": "repl", "model": "SimpleNet"})
    assert note == NO_SCRIPT_REASON and "typed in the REPL" in note
    assert not (tmp_path / "train.py").exists()
    assert "state_dict" in (tmp_path / "README.txt").read_text()


def test_train_export_writes_the_four_files_headless(tmp_path, capsys):
    out = tmp_path / "exported"
    assert main(["train", "--dataset", "moons", "--steps", "150", "--export", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json", "history.csv", "model.pt", "train.py"
    ]  # fmt: skip
    state = torch.load(out / "model.pt")  # weights_only=True: a plain state_dict
    assert set(state) == {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}
    assert json.loads((out / "config.json").read_text())["summary"]["steps"] == 150
    final = float(re.search(r"final loss (\S+)", _run_scripts(tmp_path, [
        (out / "train.py").read_text()])[0]).group(1))  # fmt: skip
    assert abs(final - summary["final_loss"]) <= max(1e-3, 0.02 * summary["final_loss"])
    (tmp_path / "a-file").write_text("x")
    assert main(["train", "--steps", "5", "--export", str(tmp_path / "a-file")]) == 2
    assert "is a file" in capsys.readouterr().err
