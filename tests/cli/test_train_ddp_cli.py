"""``torch-tui train --ddp 2 --device cpu``: two gloo workers train; ctrl+c stops every one
of them at the same step, the summary still comes, the exit code is 130 (a shell's ctrl+c)
and no worker process is left."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid

import pytest
from ui.procs import with_env

from tui.cli import main


def test_train_ddp_2_on_cpu_trains_and_ctrl_c_stops_every_worker(tmp_home):
    marker = f"TORCH_TUI_TEST_MARK={uuid.uuid4().hex}"
    key, value = marker.split("=")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "train", "--ddp", "2", "--device", "cpu",
         "--steps", "100000000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, key: value},
    )  # fmt: skip
    try:
        header = proc.stderr.readline()
        assert "data parallel: 2 workers (gloo)" in header, header
        assert "global batch 128 (64 per worker)" in header
        first = proc.stderr.readline()  # the first progress line comes with the first report
        assert first.startswith("step "), first
        first_loss = float(re.search(r"loss (\S+)", first).group(1))
        second = proc.stderr.readline()  # ~5 s later: some hundreds of steps
        assert second.startswith("step "), second
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["world_size"] == 2 and summary["backend"] == "gloo"
    assert summary["global_batch"] == 128
    assert summary["stopped"] and summary["error"] is None and summary["steps"] > 0
    assert summary["final_loss"] < first_loss  # it learned
    # steps_per_s is rounded to 0.1 in the JSON
    assert abs(summary["samples_per_s"] - summary["steps_per_s"] * 128) <= 0.05 * 128 + 0.1
    deadline = time.monotonic() + 10
    while with_env(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert with_env(marker) == [], "a worker outlived the command"


@pytest.mark.parametrize("when", ["starting", "training"])
def test_ctrl_c_at_the_terminal_stops_cleanly_with_the_summary(tmp_home, when):
    """The terminal's ctrl+c is a SIGINT to the whole foreground group, workers included,
    also while they are still importing torch: none may die of it."""
    marker = f"TORCH_TUI_TEST_MARK={uuid.uuid4().hex}"
    key, value = marker.split("=")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "train", "--ddp", "2", "--device", "cpu",
         "--steps", "100000000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, key: value},
    )  # fmt: skip
    try:
        assert "data parallel" in proc.stderr.readline()
        if when == "training":
            assert proc.stderr.readline().startswith("step ")
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    assert "failed" not in err, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["stopped"] and summary["error"] is None
    if when == "training":
        assert summary["steps"] > 0
    deadline = time.monotonic() + 10
    while with_env(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert with_env(marker) == [], "a worker outlived the command"


def test_more_workers_than_cores_is_one_line_and_exit_2(capsys, monkeypatch):
    monkeypatch.setattr("tui.training.parallel.usable_cores", lambda: 2)
    assert main(["train", "--ddp", "64", "--device", "cpu", "--steps", "5"]) == 2
    err = capsys.readouterr().err
    assert "64 worker processes on 2 core(s)" in err and "--ddp 2 or fewer" in err
    assert err.count("\n") == 1


def test_bad_ddp_counts_are_one_line_and_exit_2(capsys):
    assert main(["train", "--ddp", "0", "--steps", "5"]) == 2
    err = capsys.readouterr().err
    assert "1 to 64 workers" in err and err.count("\n") == 1


def test_top_level_device_reaches_train():
    from tui.cli import build_parser

    args = build_parser().parse_args(["--device", "cpu", "train", "--ddp", "2"])
    assert args.device == "cpu" and args.ddp == 2
