"""Data parallel training on gloo: a dying worker is reported with its rank, never a hang,
with no process left behind. (Training and ctrl+c/Stop ending every worker are checked
end to end in tests/test_train_ddp_cli.py; the dashboard wiring in tests/ui.)"""

from __future__ import annotations

import os
import threading

import pytest

from tui.training.config import ConfigError, TrainConfig
from tui.training.parallel import DDPRunner, backend_for, worker_devices
from tui.training.report import Report

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


@pytest.mark.parametrize(
    "kind, words",
    [("raise", "worker rank 1 failed: RuntimeError: injected fault at step 5"),
     ("exit", "worker rank 1 died (exit code 7)")],
)  # fmt: skip
def test_a_dying_worker_is_reported_with_its_rank(kind, words):
    reports: list[Report] = []
    config = TrainConfig.from_mapping({**CFG, "steps": 100_000})
    runner = DDPRunner(config, 2, on_report=reports.append, fault=(1, 5, kind))
    t, box = _run_in_thread(runner)
    t.join(timeout=150)
    assert not t.is_alive(), "a dead worker made the run hang"
    assert box["summary"].error.startswith(words)
    assert reports[-1].error.startswith(words) and reports[-1].final
    assert all(_gone(pid) for pid in runner.pids)


def test_devices_and_backends(monkeypatch):
    monkeypatch.setattr("tui.training.parallel.usable_cores", lambda: 4)
    assert backend_for("cpu") == "gloo" and backend_for("cuda:0") == "nccl"
    assert worker_devices("cpu", 3) == ["cpu"] * 3
    with pytest.raises(ConfigError, match="5 worker processes on 4 core"):
        worker_devices("cpu", 5)
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
