"""``torch-tui train``: progress without one line per step, a JSON summary, one-line errors."""

from __future__ import annotations

import json
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
    assert main(argv) == 0
    out, err = capsys.readouterr()
    coach = [ln for ln in err.splitlines() if ln.startswith("coach: ")]
    assert coach and "overfitting" in coach[-1], err
    assert json.loads(out.strip().splitlines()[-1])["val_loss"] > 1.0
    assert main(["train", "--dataset", "circles", "--steps", "300"]) == 0
    assert "coach: " not in capsys.readouterr().err, "a healthy run gets no advice"
