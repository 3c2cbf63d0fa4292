"""What F5 trains, named from the variables rows alone; and a default run long enough to watch."""

from __future__ import annotations

from tui.tensors.cards import VarRow
from tui.training import target as tt
from tui.training.config import TrainConfig

XOR_ROWS = [
    VarRow("X", "tensor", "(4, 2)", "float32", "cpu"),
    VarRow("criterion", "BCELoss", "0 params", "", ""),
    VarRow("model", "SimpleNet", "17 params", "", "cpu"),
    VarRow("optimizer", "Adam", "1 groups", "", ""),
    VarRow("y", "tensor", "(4, 1)", "float32", "cpu"),
]


def test_the_repl_model_is_named_by_class_and_the_shape_of_x():
    assert tt.repl_model(XOR_ROWS) == "SimpleNet on X 4x2"
    numpy_x = [
        r if r.name != "X" else VarRow("X", "ndarray", "(100,)", "f8", "cpu") for r in XOR_ROWS
    ]
    assert tt.repl_model(numpy_x) == "SimpleNet on X 100"


def test_no_model_x_or_y_means_nothing_to_train():
    for missing in ("model", "X", "y"):
        assert tt.repl_model([r for r in XOR_ROWS if r.name != missing]) is None
    tensor_model = [
        r if r.name != "model" else VarRow("model", "tensor", "(3,)", "", "") for r in XOR_ROWS
    ]
    assert tt.repl_model(tensor_model) is None  # a tensor called model is not a network


def test_the_row_says_what_f5_trains_and_what_p_gives():
    assert tt.playground({"dataset": "circles", "hidden": "16,16"}) == "circles 16-16"
    assert tt.playground({"dataset": "moons", "hidden": "none"}) == "moons linear"
    # read as the run reads it: a markup-like or half-typed value is not "[/-]" widths
    for bad in ("[/x]", "16,a", "0"):
        said = tt.playground({"dataset": "circles", "hidden": bad})
        assert said == "circles, hidden not layer widths (16,16 or none)", (bad, said)
    alone = tt.describe(tt.PLAYGROUND, "circles 16-16", None)
    assert alone == "F5 trains ▸ playground: circles 16-16"
    both = tt.describe(tt.PLAYGROUND, "circles 16-16", "SimpleNet on X 4x2")
    assert both.endswith("p: REPL model")
    repl = tt.describe(tt.REPL, "circles 16-16", "SimpleNet on X 4x2")
    assert repl == "F5 trains ▸ REPL model: SimpleNet on X 4x2 · p: playground"


def test_the_default_run_is_long_enough_to_watch():
    """~1,500 steps/s on 2 cpu cores: 300 epochs of 512 samples (2,100 steps) ended in
    about a second, before the curve had been drawn twice; 10-20 s is the aim."""
    steps = TrainConfig().total_steps()
    assert 15_000 <= steps <= 30_000, steps


def test_the_words_for_a_repl_run_are_what_it_trains_with():
    """The form's words for a REPL-model run, checked against ``job_from_namespace``."""
    import torch
    from torch import nn

    from tui.tensors.objects import list_variables
    from tui.training.job import job_from_namespace

    ns = {"model": nn.Linear(2, 1), "X": torch.randn(8, 2), "y": torch.randn(8, 1)}
    job = job_from_namespace(ns, steps=5, batch_size=4)
    assert type(job.optimizer) is torch.optim.Adam and job.lr == 0.01
    uses = tt.repl_uses(*tt.repl_parts(list_variables(ns)))
    assert uses["lr"][1] == "Adam 0.01" and uses["loss"][1] == "picked from y"
    ns["optimizer"] = torch.optim.SGD(ns["model"].parameters(), lr=0.2)
    ns["criterion"] = nn.L1Loss()
    job = job_from_namespace(ns, steps=5, batch_size=4)
    assert job.optimizer is ns["optimizer"] and job.criterion is ns["criterion"]
    uses = tt.repl_uses(*tt.repl_parts(list_variables(ns)))
    assert uses["lr"][1] == "its optimizer" and uses["loss"][1] == "its criterion"
    assert {name for name, (applies, _, _) in uses.items() if applies} == {
        "batch_size", "epochs", "steps", "seed",
    }  # fmt: skip
    assert job.batch_size == 4 and job.total_steps == 5 and job.scheduler is None
