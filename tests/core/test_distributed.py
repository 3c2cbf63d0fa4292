"""Data parallel training on gloo: two cpu workers train, stop on request, and a dying
worker is reported with its rank, never a hang, with no process left behind."""

from __future__ import annotations

import os
import threading
import time

import pytest

from tui.core.distributed import DDPReport, DDPRunner, backend_for, worker_devices
from tui.core.training import ConfigError, TrainConfig

CFG = {"dataset": "circles", "samples": 256, "batch_size": 32, "hidden": "8", "device": "cpu"}


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0); it is reaped by now unless something is wrong.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] == "Z"


def _run_in_thread(runner: DDPRunner):
    box: dict = {}
    t = threading.Thread(target=lambda: box.setdefault("summary", runner.run()), daemon=True)
    t.start()
    return t, box


def test_two_gloo_workers_train_and_stop_on_request():
    reports: list[DDPReport] = []
    stop = threading.Event()
    config = TrainConfig.from_mapping({**CFG, "steps": 1_000_000})
    runner = DDPRunner(config, 2, on_report=reports.append, stop=stop, report_every=0.05)
    t, box = _run_in_thread(runner)
    deadline = time.monotonic() + 150
    while sum(len(r.losses) for r in reports) < 60 and time.monotonic() < deadline:
        assert t.is_alive() or reports, "the run ended before reporting"
        time.sleep(0.05)
    stop.set()
    t.join(timeout=30)
    assert not t.is_alive(), "Stop did not end the run"
    summary = box["summary"]
    assert summary.error is None and summary.stopped
    assert summary.world_size == 2 and summary.global_batch == 64 and summary.backend == "gloo"
    assert summary.samples_per_s == pytest.approx(summary.steps_per_s * 64)
    losses = [float(x) for r in reports for x in r.losses]
    assert len(losses) == summary.steps >= 60
    assert reports[-1].final and reports[-1].world_size == 2
    assert sum(losses[-10:]) < sum(losses[:10])  # it learned something
    assert runner.pids and all(_gone(pid) for pid in runner.pids)


@pytest.mark.parametrize(
    "kind, words",
    [("raise", "worker rank 1 failed: RuntimeError: injected fault at step 5"),
     ("exit", "worker rank 1 died (exit code 7)")],
)  # fmt: skip
def test_a_dying_worker_is_reported_with_its_rank(kind, words):
    reports: list[DDPReport] = []
    config = TrainConfig.from_mapping({**CFG, "steps": 100_000})
    runner = DDPRunner(config, 2, on_report=reports.append, fault=(1, 5, kind))
    t, box = _run_in_thread(runner)
    t.join(timeout=150)
    assert not t.is_alive(), "a dead worker made the run hang"
    assert box["summary"].error.startswith(words)
    assert reports[-1].error.startswith(words) and reports[-1].final
    assert all(_gone(pid) for pid in runner.pids)


def test_devices_and_backends():
    assert backend_for("cpu") == "gloo" and backend_for("cuda:0") == "nccl"
    assert worker_devices("cpu", 3) == ["cpu"] * 3
    with pytest.raises(ConfigError, match="cpu .gloo. or cuda .nccl."):
        backend_for("mps")
    with pytest.raises(ConfigError, match="1 to 64 workers"):
        worker_devices("cpu", 0)


def test_more_gpus_than_there_are_is_a_clear_error(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert worker_devices("cuda:0", 2) == ["cuda:0", "cuda:1"]
    with pytest.raises(ConfigError, match="cuda:1..cuda:2, but 2 GPU"):
        worker_devices("cuda:1", 2)
