"""Legends of overlaid runs name what differs between them."""

from __future__ import annotations

from tui.runs.labels import fitted_labels, legend_labels
from tui.training.config import TrainConfig

BASE = TrainConfig().to_dict()


def repl(model: str, optimizer: str = "Adam", lr: float = 0.05, batch: int = 4, **more) -> dict:
    """A REPL run's config as ``job_from_namespace`` sends it."""
    return {"source": "repl", "model": model, "criterion": "BCELoss", "optimizer": optimizer,
            "lr": lr, "steps": 200, "batch_size": batch, "X_shape": [4, 2], "y_shape": [4, 1],
            "device": "cpu", **more}  # fmt: skip


def words(label: str) -> str:
    """A label without its ``#id``: what it says about the run."""
    return label.split(" ", 1)[1]


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


def test_what_is_trained_comes_first_then_data_optimizer_and_lr():
    other = {**BASE, "dataset": "moons", "hidden": [32], "optimizer": "sgd", "lr": 0.1}
    labels = legend_labels([(2, other, ""), (1, BASE, "")])
    assert labels == ["#2 hidden=32 data=moons sgd …",
                      "#1 hidden=16-16 data=circles adam …"]  # fmt: skip


def test_two_repl_runs_of_different_model_classes_are_told_apart():
    runs = [(2, repl("DeepSigmoid"), "#2 REPL DeepSigmoid"), (1, repl("SimpleNet"), "#1 x")]
    assert legend_labels(runs) == ["#2 DeepSigmoid", "#1 SimpleNet"]
    # More differences than are named: the model class is never the one cut off.
    runs = [(2, repl("DeepSigmoid", "SGD", 0.1, 8), ""), (1, repl("SimpleNet"), "")]
    labels = legend_labels(runs)
    assert labels[0].startswith("#2 DeepSigmoid ") and labels[1].startswith("#1 SimpleNet ")


def test_no_two_runs_get_the_same_words():
    """Runs alike in their first three differences still get labels of their own."""
    runs = [
        (3, repl("DeepSigmoid", "Adam", 0.01, 4), ""),
        (2, repl("SimpleNet", "Adam", 0.01, 4), ""),
        (1, repl("SimpleNet", "SGD", 0.1, 8, X_shape=[64, 2]), ""),
    ]
    labels = legend_labels(runs)
    assert len({words(label) for label in labels}) == 3, labels
    assert "DeepSigmoid" in labels[0] and "SimpleNet" in labels[1]
    lr_only = [(3, {**BASE, "lr": 0.1, "seed": 1}, ""), (2, {**BASE, "lr": 0.1}, ""),
               (1, {**BASE, "lr": 0.2}, "")]  # fmt: skip
    labels = legend_labels(lr_only, max_named=1)
    assert labels == ["#3 lr=0.1 seed=1", "#2 lr=0.1 seed=0", "#1 lr=0.2 seed=0"]


def test_a_repl_run_beside_a_playground_run_says_which_is_which():
    labels = legend_labels([(2, repl("SimpleNet"), ""), (1, BASE, "")])
    assert labels[0].startswith("#2 SimpleNet X 4x2") and labels[1].startswith(
        "#1 hidden=16-16 data=circles"
    )


def test_a_narrow_legend_names_fewer_differences_but_never_too_few():
    runs = [(2, repl("DeepSigmoid", "SGD", 0.1, 8), ""), (1, repl("SimpleNet"), "")]
    assert fitted_labels(runs, room=200) == legend_labels(runs)
    assert fitted_labels(runs, room=20) == ["#2 DeepSigmoid …", "#1 SimpleNet …"]
