"""The trainer on cpu: learning, stop, pause, NaN, determinism, the REPL-model path, validation."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from torch import nn

from tui.runs.series import LossSeries
from tui.training.config import ConfigError, TrainConfig
from tui.training.job import build_job, job_from_namespace
from tui.training.loop import Trainer

XOR = {"dataset": "xor", "hidden": "8", "activation": "tanh", "lr": "0.05", "batch_size": "4"}


def _losses(reports) -> np.ndarray:
    return np.concatenate([r.losses for r in reports])


def test_loss_falls_on_xor_and_accuracy_reaches_one():
    reports = []
    job = build_job(TrainConfig.from_mapping({**XOR, "steps": "600"}))
    summary = Trainer(job, reports.append).run()
    losses = _losses(reports)
    assert summary.steps == 600 == len(losses)
    assert losses[-20:].mean() < 0.1 * losses[:20].mean()
    assert summary.accuracy == 1.0
    assert reports[-1].final and not reports[-1].stopped


def test_reports_are_batched_and_steps_contiguous():
    reports = []
    job = build_job(TrainConfig.from_mapping({**XOR, "steps": "3000"}))
    Trainer(job, reports.append, report_every=0.05).run()
    assert len(reports) < 3000 / 10  # batched, not one per step
    firsts = [r.first_step for r in reports if len(r.losses)]
    sizes = [len(r.losses) for r in reports if len(r.losses)]
    assert firsts[0] == 1
    assert all(a + n == b for a, n, b in zip(firsts, sizes, firsts[1:], strict=False))
    assert all(isinstance(r.losses, np.ndarray) for r in reports)


def test_same_seed_gives_the_same_curve():
    config = TrainConfig.from_mapping({"dataset": "moons", "steps": "150", "seed": "3"})
    runs = []
    for _ in range(2):
        reports = []
        Trainer(build_job(config), reports.append).run()
        runs.append(_losses(reports))
    np.testing.assert_array_equal(runs[0], runs[1])
    other = []
    Trainer(
        build_job(TrainConfig.from_mapping({"dataset": "moons", "steps": "150", "seed": "4"})),
        other.append,
    ).run()
    assert not np.array_equal(runs[0], _losses(other))


def test_stop_event_ends_the_run_early():
    stop = threading.Event()
    reports = []

    def on_report(report):
        reports.append(report)
        stop.set()  # stop at the first report

    job = build_job(TrainConfig.from_mapping({**XOR, "steps": "10000000"}))
    summary = Trainer(job, on_report, stop=stop, report_every=0.01).run()
    assert summary.stopped
    assert summary.steps < 10_000_000
    assert reports[-1].final and reports[-1].stopped


def test_pause_holds_the_loop_until_resumed():
    stop, pause = threading.Event(), threading.Event()
    seen = []
    paused = threading.Event()

    def on_report(report):
        seen.append(report)
        if report.paused:
            paused.set()

    job = build_job(TrainConfig.from_mapping({**XOR, "steps": "1000000"}))
    trainer = Trainer(job, on_report, stop=stop, pause=pause, report_every=0.01)
    thread = threading.Thread(target=trainer.run)
    pause.set()
    thread.start()
    assert paused.wait(10)
    step_at_pause = seen[-1].step
    thread.join(0.3)
    assert thread.is_alive()  # still waiting
    assert max(r.step for r in seen) == step_at_pause
    pause.clear()
    deadline = threading.Event()
    for _ in range(200):
        if max(r.step for r in seen) > step_at_pause:
            break
        deadline.wait(0.02)
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
    assert max(r.step for r in seen) > step_at_pause


def test_nan_loss_stops_with_the_step_and_a_hint():
    X = torch.randn(32, 2)
    y = torch.randn(32, 1)
    model = nn.Linear(2, 1)
    ns = {
        "model": model,
        "X": X * 1e3,
        "y": y,
        "criterion": nn.MSELoss(),
        "optimizer": torch.optim.SGD(model.parameters(), lr=1e3),
    }
    reports = []
    summary = Trainer(job_from_namespace(ns, steps=5000), reports.append).run()
    assert summary.error is not None
    assert "at step" in summary.error and "smaller lr" in summary.error
    assert "NaN" in summary.error or "Inf" in summary.error
    assert np.isfinite(_losses(reports)).all()  # the bad step is not plotted
    assert summary.steps < 5000


def _seed_namespace() -> dict:
    class SimpleNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1 = nn.Linear(2, 4)
            self.relu = nn.ReLU()
            self.layer2 = nn.Linear(4, 1)
            self.sigmoid = nn.Sigmoid()

        def forward(self, x):
            return self.sigmoid(self.layer2(self.relu(self.layer1(x))))

    torch.manual_seed(1)
    model = SimpleNet()
    return {
        "model": model,
        "X": torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32),
        "y": torch.tensor([[0], [1], [1], [0]], dtype=torch.float32),
        "criterion": nn.BCELoss(),
        "optimizer": torch.optim.Adam(model.parameters(), lr=0.05),
    }


def test_repl_model_is_trained_in_place():
    ns = _seed_namespace()
    before = ns["model"].layer1.weight.detach().clone()
    job = job_from_namespace(ns, steps=400)
    assert job.model is ns["model"] and job.optimizer is ns["optimizer"]
    assert job.decision == "prob" and job.source == "repl"
    summary = Trainer(job).run()
    assert summary.steps == 400
    assert not torch.equal(before, ns["model"].layer1.weight)  # the REPL sees new weights
    with torch.no_grad():
        final = ns["criterion"](ns["model"](ns["X"]), ns["y"]).item()
    assert final < 0.69


def test_repl_model_defaults_criterion_and_optimizer():
    ns = _seed_namespace()
    del ns["criterion"], ns["optimizer"]
    job = job_from_namespace(ns, steps=10)
    assert isinstance(job.criterion, nn.BCELoss)
    assert isinstance(job.optimizer, torch.optim.Adam)


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda ns: ns.pop("model"), ["no model"]),
        (lambda ns: (ns.pop("X"), ns.pop("y")), ["no X, y"]),
        (lambda ns: ns.update(model="hello"), ["not an nn.Module"]),
        (lambda ns: ns.update(X=torch.ones(4, 3)), ["model(X) fails", "(4, 3)"]),
        (lambda ns: ns.update(y=torch.ones(4)), ["shapes do not fit"]),
        (lambda ns: ns.update(y=torch.ones(5, 1)), ["X has 4 rows but y has 5"]),
        (
            lambda ns: ns.update(optimizer=torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)),
            ["optimizer does not hold"],
        ),
        (lambda ns: ns.update(X=ns["X"].long()), ["X.float()"]),
    ],
)
def test_repl_model_problems_get_a_clear_message(change, words):
    ns = _seed_namespace()
    change(ns)
    with pytest.raises(ConfigError) as info:
        job_from_namespace(ns, steps=10)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize(
    "raw, words",
    [
        ({"lr": "-1"}, ["lr", "> 0"]),
        ({"lr": "fast"}, ["lr must be a number", "'fast'"]),
        ({"epochs": "0"}, ["epochs", "between 1"]),
        ({"batch_size": "ten"}, ["batch_size must be a whole number"]),
        ({"device": "banana"}, ["device", "banana"]),
        ({"dataset": "mnist"}, ["dataset must be one of"]),
        ({"hidden": "16,abc"}, ["hidden"]),
        ({"dataset": "spiral", "loss": "bce"}, ["does not fit the spiral set"]),
        ({"wings": 2}, ["unknown setting 'wings'"]),
    ],
)
def test_bad_settings_raise_one_clear_message(raw, words):
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_mapping(raw)
    for word in words:
        assert word in str(info.value)


def test_unavailable_device_is_a_message():
    config = TrainConfig.from_mapping({"device": "cuda:7"})
    with pytest.raises(ConfigError, match="not available"):
        build_job(config)


@pytest.mark.parametrize("name", ["noisy-xor", "circles", "moons", "spiral", "blobs", "regression"])
def test_every_dataset_trains_a_few_steps(name):
    config = TrainConfig.from_mapping({"dataset": name, "samples": "64", "steps": "20"})
    reports = []
    summary = Trainer(build_job(config), reports.append).run()
    assert summary.steps == 20 and summary.error is None
    if name == "regression":
        assert summary.accuracy is None
    else:
        assert 0.0 <= summary.accuracy <= 1.0
        boundary = reports[-1].boundary
        assert boundary is not None and boundary.classes.shape == (48, 96)


def test_series_decimates_to_the_width_and_stays_small():
    s = LossSeries()
    n = 1_000_000
    values = np.linspace(1, 0, n, dtype=np.float32)
    for chunk in np.array_split(values, 300):
        s.extend(chunk)
    assert len(s) == n and s.nbytes <= 16_000_000
    xs, ys = s.decimated(200)
    assert 100 <= len(xs) <= 201
    assert xs[0] < 10_000 and xs[-1] > n - 10_000
    assert ys[0] > 0.99 and ys[-1] < 0.01
    np.testing.assert_allclose(s.raw(), values)


def test_series_decimation_keeps_the_tail_visible():
    s = LossSeries()
    s.extend(np.ones(1000, dtype=np.float32))
    s.extend(np.zeros(3, dtype=np.float32))
    xs, ys = s.decimated(50)
    assert xs[-1] > 990 and ys[-1] < 1.0  # the newest steps pull the last point down
    assert len(xs) <= 51
