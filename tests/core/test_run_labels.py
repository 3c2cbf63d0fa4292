"""Legends of overlaid runs name what differs between them."""

from __future__ import annotations

from tui.core.run_labels import legend_labels
from tui.core.train_config import TrainConfig

BASE = TrainConfig().to_dict()


def test_two_runs_that_differ_in_lr_say_so():
    runs = [(2, {**BASE, "lr": 0.3}, "#2 circles 16-16 adam lr=0.3"),
            (1, {**BASE, "lr": 0.03}, "#1 circles 16-16 adam lr=0.03")]  # fmt: skip
    assert legend_labels(runs) == ["#2 lr=0.3", "#1 lr=0.03"]


def test_a_lone_run_or_identical_runs_keep_their_full_label():
    assert legend_labels([(1, BASE, "#1 circles 16-16 adam lr=0.03")]) == [
        "#1 circles 16-16 adam lr=0.03"
    ]
    same = [(2, BASE, "#2 x"), (1, BASE, "#1 x")]
    assert legend_labels(same) == ["#2 x", "#1 x"]


def test_many_differences_are_cut_to_three():
    other = {**BASE, "dataset": "moons", "hidden": [32], "optimizer": "sgd", "lr": 0.1}
    labels = legend_labels([(2, other, ""), (1, BASE, "")])
    assert labels == ["#2 dataset=moons hidden=32 optimizer=sgd …",
                      "#1 dataset=circles hidden=16-16 optimizer=adam …"]  # fmt: skip
