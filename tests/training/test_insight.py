"""What the dashboard learns from a run besides its loss: the validation split, the
per-layer figures, schedules, new knobs, and Step (one batch at a time)."""

from __future__ import annotations

import threading

import pytest
import torch
from torch import nn

from tui.runs.insight import layer_rows, lr_line, sparkline
from tui.training.config import ConfigError, TrainConfig, split_sizes
from tui.training.job import build_job, job_from_namespace, make_split
from tui.training.loop import Trainer

SPIRAL = {"dataset": "spiral", "hidden": "32,32", "activation": "relu", "steps": "300"}


def run(config: dict, **kw):
    reports = []
    job = build_job(TrainConfig.from_mapping(config))
    summary = Trainer(job, reports.append, report_every=0.01, **kw).run()
    return job, summary, reports


def test_the_data_is_split_and_validation_is_measured_under_no_grad():
    cfg = TrainConfig.from_mapping({**SPIRAL, "samples": "500"})
    X, y, Xv, yv = make_split(cfg)
    assert (len(X), len(Xv)) == (400, 100) == split_sizes(500, 0.8)
    again = make_split(cfg)
    assert torch.equal(again[2], Xv), "the same seed gives the same split"
    assert not ({tuple(r) for r in X.tolist()} & {tuple(r) for r in Xv.tolist()})
    job, summary, reports = run({**SPIRAL, "samples": "500"})
    vals = [r.val_loss for r in reports if r.val_loss is not None]
    assert len(vals) >= 2 and vals[-1] < vals[0]
    assert reports[-1].val_accuracy is not None and summary.val_loss == vals[-1]
    assert job.model.training, "the probe puts the model back in training mode"
    assert all(p.grad is None or not p.grad.requires_grad for p in job.model.parameters())


def test_no_validation_share_means_no_validation_loss():
    _, summary, reports = run({**SPIRAL, "train_share": "100%"})
    assert all(r.val_loss is None for r in reports) and summary.val_loss is None
    job, _, reports = run({"dataset": "xor", "steps": "50"})  # four points: all train
    assert len(job.X) == 4 and job.X_val is None and reports[-1].val_loss is None
    assert TrainConfig.from_mapping({"train_share": "10%"}).train_share == pytest.approx(0.1)


def test_layers_report_gradients_weights_update_ratio_and_dead_units():
    job, _, reports = run({**SPIRAL, "lr": "0.01"})
    layers = next(r.layers for r in reversed(reports) if r.layers)
    assert [s.kind for s in layers] == ["Linear"] * 3 and layers[0].shape == "32x2"
    assert all(s.grad_norm and s.weight_norm for s in layers)
    ratios = [s.update_ratio for s in layers]
    assert all(r is not None and 1e-6 < r < 1 for r in ratios), ratios
    assert layers[0].dead is not None and layers[0].dead_kind == "dead"
    assert layers[-1].dead is None, "the output layer has no activation module after it"
    rows = layer_rows(layers)
    assert rows[-1][4] == "–" and rows[0][0] == "0 Linear 32x2"


def test_a_dead_relu_layer_and_vanishing_gradients_are_named():
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    with torch.no_grad():
        model[0].bias.fill_(-100.0)  # every unit below zero: dead for every input
    ns = {"model": model, "X": torch.randn(64, 2), "y": torch.randn(64, 1)}
    job = job_from_namespace(ns, steps=20)
    reports = []
    Trainer(job, reports.append, report_every=0.001).run()
    layers = reports[-1].layers
    assert layers[0].dead == 1.0
    rows = layer_rows(layers)
    assert rows[0][4] == "100% dead" and rows[0][5] == "vanishing"


def test_the_repl_path_uses_x_val_and_y_val():
    torch.manual_seed(0)
    X, y = torch.randn(64, 2), torch.randn(64, 1)
    ns = {"model": nn.Linear(2, 1), "X": X, "y": y, "X_val": X[:16] + 1, "y_val": y[:16]}
    reports = []
    Trainer(job_from_namespace(ns, steps=50), reports.append, report_every=0.001).run()
    assert reports[-1].val_loss is not None
    ns["y_val"] = torch.zeros(16, 3)  # not shaped like y: ignored, not fatal
    reports.clear()
    Trainer(job_from_namespace(ns, steps=5), reports.append).run()
    assert reports[-1].val_loss is None


@pytest.mark.parametrize("schedule", ["step", "cosine", "one-cycle"])
def test_a_schedule_moves_the_lr_and_the_reports_carry_it(schedule):
    _, _, reports = run({**SPIRAL, "schedule": schedule, "lr": "0.05"})
    lrs = [r.lr for r in reports if r.lr is not None]
    assert max(lrs) > 2 * min(lrs), lrs
    assert lrs[-1] < 0.05


def test_init_and_dropout_build_the_model_they_say():
    cfg = {**SPIRAL, "init": "zeros", "dropout": "0.5"}
    job = build_job(TrainConfig.from_mapping(cfg))
    assert any(isinstance(m, nn.Dropout) and m.p == 0.5 for m in job.model)
    assert all(
        float(m.weight.detach().abs().sum()) == 0 for m in job.model if isinstance(m, nn.Linear)
    )
    for how in ("xavier", "kaiming", "normal", "default"):
        build_job(TrainConfig.from_mapping({**SPIRAL, "init": how}))
    for bad, words in (({"dropout": "1"}, "below 1"), ({"init": "he"}, "init must be one of"),
                       ({"schedule": "linear"}, "schedule must be one of"),
                       ({"train_share": "0"}, "train_share")):  # fmt: skip
        with pytest.raises(ConfigError, match=words):
            TrainConfig.from_mapping(bad)


def test_step_runs_exactly_one_batch_each_time():
    stop, pause, once = threading.Event(), threading.Event(), threading.Event()
    reports = []
    job = build_job(TrainConfig.from_mapping({**SPIRAL, "steps": "1000"}))
    pause.set()
    once.set()  # as the agent does for Step with no run
    trainer = Trainer(job, reports.append, stop=stop, pause=pause, step_once=once)
    thread = threading.Thread(target=trainer.run)
    thread.start()
    for want in (1, 2, 3):
        for _ in range(500):
            if reports and max(r.step for r in reports) == want and not once.is_set():
                break
            threading.Event().wait(0.01)
        assert max(r.step for r in reports) == want
        thread.join(0.2)
        assert max(r.step for r in reports) == want, "paused again after one batch"
        once.set()
    stop.set()
    thread.join(10)
    stepped = [r for r in reports if len(r.losses)]
    assert [len(r.losses) for r in stepped[:2]] == [1, 1] and stepped[0].layers


def test_sparkline_and_lr_line():
    assert sparkline([1, 2, 3, 4], 4) == "▁▃▆█"
    assert sparkline([], 5) == "" and sparkline([2, 2], 2) == "▄▄"

    class R:
        config = {"schedule": "cosine"}
        lrs = [(1, 0.1), (50, 0.05), (100, 0.0)]

    line = lr_line(R(), 40)
    assert line.startswith("lr █") and line.endswith(" 0.1 → 0") and "▁" in line
    R.config = {"schedule": "none"}
    assert lr_line(R(), 40) == "", "a constant lr is not drawn"


def test_gpu_figures_ride_on_the_reports():
    """CUDA memory (allocated, reserved, peak), NVML utilisation/temperature/power and
    samples/s, as the metrics line shows them (no GPU needed: a report as one arrives)."""
    import numpy as np

    from tui.runs.runbook import RunBook, metrics_text
    from tui.training.report import Report

    run = RunBook().new("playground", {"lr": 0.03})
    run.begun("circles 16-16", "cuda:0", 10, True, {})
    report = Report(1, np.zeros(5, np.float32), 5, 100, 1, 0.5, 10.0, 1.0,
                    memory=(2**20, 2 * 2**20), memory_peak=3 * 2**20,
                    gpu={"util": 87.0, "temp": 61.0, "power": 212.0}, samples_per_s=640.0)  # fmt: skip
    run.apply(report)
    text = metrics_text(run, 200).replace("[b]", "").replace("[/b]", "")
    for words in ("1.0 MiB alloc / 2.0 MiB reserved / 3.0 MiB peak", "GPU util 87%",
                  "temp 61°C", "power 212 W", "samples/s 640"):  # fmt: skip
        assert words in text, text
