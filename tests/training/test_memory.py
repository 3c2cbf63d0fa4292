"""The memory estimate: pure Python from the settings, checked before a model is built."""

from __future__ import annotations

import pytest

from tui.training.config import TrainConfig
from tui.training.memory import (
    estimate,
    fit_problem,
    held,
    layer_sizes,
    needed,
    optimizer_slots,
    param_count,
    ram_available,
)

GB = 10**9


def config(**values) -> TrainConfig:
    return TrainConfig.from_mapping(values)


def test_a_2_16_16_1_mlp_has_337_parameters():
    c = config(dataset="circles", hidden="16,16")
    assert layer_sizes(c) == [2, 16, 16, 1]
    assert param_count(layer_sizes(c)) == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1) == 337
    est = estimate(c)
    assert est.params == 337 and est.weights == est.gradients == 337 * 4
    assert est.optimizer == 2 * 337 * 4  # adam: two moments per weight
    assert est.replicas == 0
    assert needed(c) < 10**7  # the default run needs a few MB at most


def test_the_count_matches_torch():
    torch = pytest.importorskip("torch")
    from tui.training.job import build_model

    for values in ({"hidden": "16,16"}, {"dataset": "spiral", "hidden": "32,8,4"}, {"hidden": ""}):
        c = config(**values)
        model = build_model(c)
        assert param_count(layer_sizes(c)) == sum(p.numel() for p in model.parameters())
    assert torch.float32.itemsize == 4  # FLOAT


@pytest.mark.parametrize(
    "optimizer, momentum, slots",
    [("adam", 0.9, 2), ("adamw", 0.0, 2), ("sgd", 0.9, 1), ("sgd", 0.0, 0), ("rmsprop", 0.9, 2)],
)
def test_optimizer_state(optimizer, momentum, slots):
    c = config(optimizer=optimizer, momentum=momentum)
    assert optimizer_slots(c) == slots
    assert held(c).startswith("weights") and (optimizer in held(c)) == (slots > 0)


def test_65536_by_65536_is_refused_naming_the_gb_needed_and_available():
    c = config(hidden="65536,65536")
    est = estimate(c)
    assert est.params == 2 * 65536 + 65536 + 65536 * 65536 + 65536 + 65536 + 1
    assert est.weights > 17 * GB  # what the tester saw torch try to allocate
    assert needed(c) > 4 * est.weights  # with gradients and Adam's two moments
    line = fit_problem(c, 16 * GB)
    assert line is not None and "\n" not in line
    assert line.startswith("hidden 65536,65536 needs about 86.9 GB")
    assert "adam's two moments" in line and "cpu has 16.0 GB available" in line
    assert line.endswith("use narrower hidden layers")


def test_a_run_that_fits_or_an_unknown_amount_is_not_refused():
    c = config(hidden="256,256")
    assert fit_problem(c, 16 * GB) is None
    assert fit_problem(config(hidden="65536,65536"), None) is None  # unknown: let it try


def test_a_huge_batch_is_named_as_the_cause():
    c = config(hidden="4096", samples=1_000_000, batch_size=1_000_000, train_share=1)
    line = fit_problem(c, 16 * GB)
    assert line is not None and line.startswith("batch_size 1000000 needs about")
    assert "use a smaller batch" in line


def test_cpu_workers_share_the_ram_but_gpu_workers_each_have_one():
    c = config(hidden="8192,8192")
    one = needed(c)
    assert needed(c, workers=4) > 4 * one  # each replica, and DDP's gradient buckets
    line = fit_problem(c, one * 2, workers=4)
    assert line is not None and "cpu (4 workers)" in line and line.endswith("fewer workers")
    g = config(hidden="8192,8192", device="cuda:0")
    assert needed(g, workers=4) == estimate(g, 4).total  # one worker per GPU


def test_ram_available_reads_the_os():
    free = ram_available()
    assert free is None or free > 0
