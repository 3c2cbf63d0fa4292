"""``torch-tui train``: progress without one line per step, a JSON summary, one-line errors."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from tui.cli import main


def test_train_prints_progress_then_a_json_summary(capsys):
    rc = main(["train", "--dataset", "xor", "--hidden", "8", "--lr", "0.05", "--steps", "400"])
    out, err = capsys.readouterr()
    assert rc == 0
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["steps"] == 400
    assert summary["device"] == "cpu"
    assert summary["steps_per_s"] > 0
    assert summary["final_loss"] < 0.2
    assert summary["accuracy"] == 1.0
    lines = [ln for ln in err.splitlines() if ln.startswith("step ")]
    assert 1 <= len(lines) < 20  # not one line per step
    assert "step 400/400" in lines[-1]


def test_train_epochs_on_a_two_d_set(capsys):
    assert main(["train", "--dataset", "moons", "--samples", "128", "--epochs", "3"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["steps"] == 3 * 2  # 128 samples, batch 64


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--lr", "-1"], ["lr", "> 0"]),
        (["--epochs", "0"], ["epochs"]),
        (["--lr", "abc"], ["lr must be a number"]),
        (["--batch-size", "many"], ["batch_size"]),
        (["--dataset", "mnist"], ["invalid choice"]),
        (["--steps", "5", "--epochs", "2"], ["not allowed"]),
        (["--device", "cuda:9"], ["not available"]),
        (["--device", "banana"], ["banana"]),
        # A width of 0 used to train a linear model without a word.
        (["--hidden", "0"], ["width of 0", "'none' for a linear model"]),
        (["--hidden", "16,0"], ["width of 0"]),
        # More threads than cores ran ~800x slower, silently.
        (["--threads", "1000"], ["--threads 1000 is more than", "core(s)"]),
    ],
)
def test_bad_options_exit_2_with_one_line(argv, words, capsys):
    assert main(["train", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    for word in words:
        assert word in err


def test_headless_command_runs_as_a_process_without_a_tty(tmp_home):
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "train", "--dataset", "circles", "--steps", "50"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr  # plain lines when not on a terminal
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["steps"] == 50


def test_the_coach_says_the_same_lines_headless(capsys):
    """lr 100 with SGD diverges; a 10% training share of a noisy spiral overfits."""
    assert main(["train", "--lr", "100", "--optimizer", "sgd", "--steps", "2000"]) == 0
    coach = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("coach: ")]
    assert len(coach) == 1 and "try a smaller lr (10)" in coach[0], coach
    argv = ["train", "--dataset", "spiral", "--noise", "0.3", "--train-share", "10%"]
    argv += ["--samples", "512", "--epochs", "300"]  # short: the default run lasts ~15 s
    assert main(argv) == 0
    out, err = capsys.readouterr()
    coach = [ln for ln in err.splitlines() if ln.startswith("coach: ")]
    assert coach and "overfitting" in coach[-1], err
    assert json.loads(out.strip().splitlines()[-1])["val_loss"] > 1.0
    assert main(["train", "--dataset", "circles", "--steps", "300"]) == 0
    assert "coach: " not in capsys.readouterr().err, "a healthy run gets no advice"


def test_train_export_writes_config_history_state_dict_and_train_py(tmp_path, capsys):
    import os

    import torch

    out = tmp_path / "exported" / "moons"  # made, parents and all
    assert main(["train", "--dataset", "moons", "--steps", "150", "--export", str(out)]) == 0
    stdout, err = capsys.readouterr()
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert f"exported to {out}" in err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["config.json", "history.csv", "model.pt", "train.py"]
    weights = torch.load(out / "model.pt", weights_only=True)  # a plain state_dict
    assert set(weights) == {f"{i}.{p}" for i in (0, 2, 4) for p in ("weight", "bias")}
    meta = json.loads((out / "config.json").read_text())
    assert meta["dataset"] == "moons" and meta["summary"]["steps"] == 150
    assert len((out / "history.csv").read_text().splitlines()) == 151
    # python train.py --save, without torch-tui on the path: the same loss and weights
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-I", "train.py", "--save"], cwd=out, capture_output=True, text=True,
        env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    final = float(done.stdout.split("final loss ")[1].split()[0])
    want = summary["final_loss"]
    assert abs(final - want) <= max(1e-3, 0.02 * abs(want)), (final, want)
    rerun = torch.load(out / "model.pt", weights_only=True)
    assert all(torch.allclose(rerun[k], weights[k], atol=1e-3) for k in weights)


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--export", "{file}"], ["--export", "is a file, not a folder"]),
        (["--export", "{dir}", "--ddp", "2"], ["--export does not go with --ddp"]),
    ],
)
def test_train_export_refuses_with_one_line(argv, words, tmp_path, capsys):
    (tmp_path / "a-file").write_text("not a folder")
    paths = {"file": tmp_path / "a-file", "dir": tmp_path / "new"}
    argv = [a.format(**paths) for a in argv]
    assert main(["train", "--steps", "5", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert all(word in err for word in words), err
    assert not (tmp_path / "new").exists()  # refused before anything was made
    assert (tmp_path / "a-file").read_text() == "not a folder"


def test_a_model_that_cannot_fit_is_refused_before_it_is_built(capsys, monkeypatch):
    """--hidden 65536,65536 passed validation and died in a traceback (17 GB attempted)."""
    monkeypatch.setattr("tui.training.memory.ram_available", lambda: 16 * 10**9)
    monkeypatch.setattr("tui.training.parallel.usable_cores", lambda: 2)
    built = []
    monkeypatch.setattr("tui.training.job.build_job", lambda config: built.append(config))
    for extra in ([], ["--ddp", "2", "--device", "cpu"]):
        assert main(["train", "--hidden", "65536,65536", "--steps", "5", *extra]) == 2
        out, err = capsys.readouterr()
        assert out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert err.startswith("torch-tui: hidden 65536,65536 needs about ")
        assert "GB to train" in err and "cpu" in err and "has 16.0 GB available" in err
    assert "(2 workers)" in err and "fewer workers" in err
    assert built == []


@pytest.mark.parametrize(
    "exc, words",
    [
        (RuntimeError("DefaultCPUAllocator: can't allocate memory\nmore lines"), "RuntimeError: "),
        (MemoryError(), "MemoryError"),
    ],
)
def test_an_uncaught_error_while_training_is_one_line(exc, words, capsys, monkeypatch):
    def fail(self):
        raise exc

    monkeypatch.setattr("tui.training.loop.Trainer.run", fail)
    assert main(["train", "--steps", "5"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("torch-tui: training failed: " + words)


def test_ctrl_c_prints_the_summary_and_exits_130(tmp_home):
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "train", "--steps", "100000000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = proc.stderr.readline()  # the first report's progress line
        assert first.startswith("step "), first
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["stopped"] and summary["error"] is None and summary["steps"] > 0
