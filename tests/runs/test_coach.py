"""The coach's rules on recorded curves (tests/fixtures/coach_curves.json) and on edge cases.

The fixture holds real runs of tiny torch models, recorded once (each entry's ``setup``
says how); these tests only read it, so they need no torch.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tui.runs.coach import (
    RULES,
    Advice,
    Curve,
    advise,
    divergence,
    expected_init_loss,
    init_loss,
    lr_too_small,
    overfitting,
    plateau,
    split_error,
    vanishing,
    vanishing_flags,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "coach_curves.json"
RECORDED = {k: v for k, v in json.loads(FIXTURE.read_text()).items() if not k.startswith("_")}
HEALTHY = ("healthy", "healthy-spiral", "healthy-regression")
ALARMS = {"divergence", "overfitting", "init", "lr-too-small"}


def recorded(name: str, upto: int | None = None, **over) -> Curve:
    """The recorded run ``name``, cut at step ``upto`` (what the coach saw mid-run)."""
    r = RECORDED[name]
    steps, train, val_steps, val = r["steps"], r["train"], r["val_steps"], r["val"]
    error, finished = r["error"], r["finished"]
    if upto is not None:
        keep = sum(s <= upto for s in steps)
        steps, train = steps[:keep], train[:keep]
        keep = sum(s <= upto for s in val_steps)
        val_steps, val = val_steps[:keep], val[:keep]
        error, finished = None, False
    fields = dict(
        steps=steps,
        train=train,
        val_steps=val_steps,
        val=val,
        total_steps=r["total_steps"],
        loss_kind=r["loss_kind"],
        n_classes=r["n_classes"],
        target_var=r["target_var"],
        lr=r["lr"],
        error=error,
        finished=finished,
        layers=[tuple(layer) for layer in r.get("layers", ())],
    )
    fields.update(over)
    return Curve(**fields)


def fires(c: Curve, rule: str) -> Advice:
    """advise() picks ``rule``, and its text is one short line."""
    advice = advise(c)
    assert advice is not None and advice.rule == rule, advice
    assert "\n" not in advice.text and len(advice.text) <= 110, advice.text
    return advice


def quiet(c: Curve) -> None:
    assert advise(c) is None
    for rule in RULES:
        assert rule(c) is None, rule.__name__


# -- recorded curves ---------------------------------------------------------------------


def test_the_fixture_is_small_and_decimated():
    assert FIXTURE.stat().st_size < 100_000
    for name, r in RECORDED.items():
        assert len(r["steps"]) == len(r["train"]) <= 300, name
        assert len(r["val_steps"]) == len(r["val"]) <= 300, name
        assert r["steps"][0] == 1 and r["steps"] == sorted(set(r["steps"])), name


@pytest.mark.parametrize("name", HEALTHY)
def test_a_healthy_run_ends_without_advice(name):
    quiet(recorded(name))


@pytest.mark.parametrize("name", HEALTHY)
def test_a_healthy_run_raises_no_alarm_while_it_trains(name):
    last = RECORDED[name]["steps"][-1]
    for upto in range(10, last + 1, 10):
        advice = advise(recorded(name, upto))
        assert advice is None or advice.rule not in ALARMS, (upto, advice)


def test_sgd_lr_100_diverges():
    c = recorded("lr100")
    advice = fires(c, "divergence")
    assert advice == divergence(c)
    assert advice.text == (
        "The loss is rising above where it started (0.679 -> 11.9): lr too large; try a smaller lr (10)"
    )
    assert lr_too_small(c) is None  # stuck high after blowing up is not a small lr
    assert plateau(c) is None  # nor a plateau: it never dropped


def test_divergence_without_the_step_1_loss_measures_from_a_guessing_model():
    r = RECORDED["lr100"]
    c = recorded("lr100", steps=r["steps"][1:], train=r["train"][1:])
    advice = fires(c, "divergence")
    assert "above a guessing model's (0.693 -> 11.9)" in advice.text
    assert advice.text.endswith("try a smaller lr (10)")


def test_a_recorded_inf_names_the_step_and_a_smaller_lr():
    c = recorded("inf")
    assert c.error.startswith("loss became Inf at step 3")
    advice = fires(c, "divergence")
    assert advice == divergence(c)
    assert advice.text == (
        "The loss became Inf at step 3: the steps are too big. Try a smaller lr (e.g. 10)"
    )


def test_a_tiny_training_share_overfits():
    c = recorded("overfit")
    advice = fires(c, "overfitting")
    assert advice == overfitting(c)
    assert advice.text == (
        "Val loss rose since step 120 (0.3 -> 1.02), train fell: overfitting. "
        "Add data, weight decay, or stop at 120"
    )
    # Before the val loss has clearly turned, there is nothing to say yet.
    assert overfitting(recorded("overfit", upto=150)) is None
    # Without validation losses the rule cannot speak.
    assert overfitting(recorded("overfit", val_steps=(), val=())) is None


def test_lr_1e_5_barely_moves():
    c = recorded("lr1e-5")
    advice = fires(c, "lr-too-small")
    assert advice == lr_too_small(c)
    assert advice.text == (
        "After 500 steps the loss has barely moved (0.681 -> 0.667): "
        "the lr (1e-5) may be too small; try 10x (0.0001)"
    )
    # 40 of 500 steps is too early to judge (under 10% of the run and under 200 steps).
    assert lr_too_small(recorded("lr1e-5", upto=40)) is None
    # An unknown lr still gets the advice, in relative terms.
    assert lr_too_small(recorded("lr1e-5", lr=None)).text.endswith("try 10x larger")
    # With no total, 200 steps are needed first.
    assert lr_too_small(recorded("lr1e-5", upto=150, total_steps=0)) is None
    assert lr_too_small(recorded("lr1e-5", upto=250, total_steps=0)) is not None


def test_a_last_layer_scaled_by_20_starts_overconfident():
    c = recorded("init-x20")
    advice = fires(c, "init")
    assert advice == init_loss(c)
    assert advice.text == (
        "Loss at step 1 is 3.05, a fresh model's is ~ln 3 = 1.10: "
        "outputs start overconfident; check the init scale"
    )
    # It stays true, so it is said at any point of the run.
    for upto in (10, 100, 300):
        assert fires(recorded("init-x20", upto), "init") == advice
    # The same model with its default init starts near ln 3.
    assert init_loss(recorded("healthy-spiral")) is None


def test_a_linear_model_on_moons_plateaus():
    c = recorded("plateau")
    advice = fires(c, "plateau")
    assert advice == plateau(c)
    assert advice.text == (
        "The loss is flat near 0.246 since step 309: try a lower lr late (a schedule), "
        "a bigger model, or more steps"
    )
    # While it is still falling, it is not a plateau.
    assert plateau(recorded("plateau", upto=150)) is None


def test_the_deep_sigmoid_stack_has_vanishing_gradients_not_a_small_lr():
    """Lesson 16's twelve sigmoids: the loss hardly moves, as with a tiny lr, but the layer
    panel shows why: the gradients never reach the first layers."""
    c = recorded("vanishing")
    advice = fires(c, "vanishing")
    assert advice == vanishing(c)
    assert advice.text == (
        "Vanishing gradients: ‖grad‖ 3e-12 at layer 0 vs 2e-7 at layer 24. "
        "Try ReLU, kaiming init or BatchNorm"
    )
    assert lr_too_small(c) is None
    for upto in range(50, 501, 50):  # never "the lr may be too small" on the way
        advice = advise(recorded("vanishing", upto))
        assert advice is None or advice.rule == "vanishing", (upto, advice)
    # The same curve without the layer figures reads as a small lr: the layers decide.
    assert advise(replace(c, layers=())).rule == "lr-too-small"


def test_the_coach_and_the_layer_panel_flag_the_same_layers():
    from tui.runs.insight import layer_rows
    from tui.training.probe import LayerStat

    c = recorded("vanishing")
    stats = [LayerStat(name, "Linear", grad_norm=g) for name, g in c.layers]
    panel = [row[5] == "vanishing" for row in layer_rows(stats)]
    assert panel == vanishing_flags([g for _, g in c.layers])
    assert panel[0] and not panel[-1]
    # A layer 1e-4 of the output layer's has vanished too, above 1e-7 or not.
    assert vanishing_flags([1e-6, 1e-2, 20.0]) == [True, False, False]
    assert vanishing_flags([None, 0.5, 1.0]) == [False, False, False]


def test_a_converged_run_with_tiny_gradients_is_not_called_vanishing():
    tiny = [("0", 1e-9), ("2", 1e-9), ("4", 1e-8)]
    assert vanishing(recorded("healthy", layers=tiny)) is None
    assert vanishing(recorded("healthy", layers=[("0", 1e-9)])) is None  # one layer


def test_a_converged_run_is_not_a_plateau():
    c = recorded("healthy")
    assert float(np.median(RECORDED["healthy"]["train"][-60:])) < 1e-3
    assert plateau(c) is None


# -- synthetic edge cases ----------------------------------------------------------------


def decay(n: int = 1000, start: float = 0.69, floor: float = 0.02, seed: int = 0) -> Curve:
    """A healthy, noisy, still-falling curve (train and val), one point per step."""
    rng = np.random.default_rng(seed)
    steps = np.arange(1, n + 1)
    clean = floor + (start - floor) * np.exp(-steps / (n / 4))
    train = clean * (1 + 0.15 * rng.standard_normal(n))
    train[0] = start
    val_steps = steps[9::10]
    val = clean[9::10] * 1.1
    return Curve(steps, train, val_steps, val, total_steps=n, loss_kind="bce", lr=0.01)


def test_a_healthy_decreasing_curve_gets_nothing_from_any_rule():
    for seed in range(3):
        quiet(decay(seed=seed))
    quiet(Curve(list(range(1, 301)), [1.0 / s**0.5 for s in range(1, 301)]))


def test_an_empty_curve_gets_nothing():
    quiet(Curve((), ()))
    quiet(Curve((), (), loss_kind="cross-entropy", n_classes=10, total_steps=100))


def test_too_few_points_get_nothing():
    rising = Curve(list(range(1, 11)), [0.7 * 1.5**i for i in range(10)], loss_kind="bce")
    assert divergence(rising) is None
    flat = Curve(list(range(1, 11)), [0.69] * 10, total_steps=10, loss_kind="bce", lr=1e-5)
    assert lr_too_small(flat) is None and plateau(flat) is None
    few_val = Curve(list(range(1, 101)), [0.5] * 100, [10, 20, 30], [0.1, 0.5, 0.9])
    assert overfitting(few_val) is None


def test_a_nan_error_names_the_step_and_a_tenth_of_the_lr():
    c = Curve(
        [1, 2],
        [0.7, 9.0],
        lr=0.1,
        error="loss became NaN at step 12: training stopped; try a smaller lr (e.g. 0.01)",
    )
    assert fires(c, "divergence").text == (
        "The loss became NaN at step 12: the steps are too big. Try a smaller lr (e.g. 0.01)"
    )


@pytest.mark.parametrize(
    "error, lr, text",
    [
        ("loss became Inf at step 7: training stopped", 3e-4, "Inf at step 7: "),
        ("the loss is nan", None, "NaN: the steps are too big. Try a smaller lr (e.g. 10x"),
        ("something overflowed", 1.0, "NaN: the steps are too big. Try a smaller lr (e.g. 0.1)"),
    ],
)
def test_error_texts_are_parsed_loosely(error, lr, text):
    advice = divergence(Curve((), (), lr=lr, error=error))
    assert advice is not None and text in advice.text
    if lr == 3e-4:
        assert advice.text.endswith("(e.g. 3e-5)")


def test_divergence_comes_first():
    c = recorded("overfit", error="loss became NaN at step 2000: training stopped")
    assert advise(c).rule == "divergence" and overfitting(c) is not None


def test_non_finite_and_negative_losses_are_handled():
    c = decay()
    train = np.array(c.train, dtype=float)
    train[[5, 50, 500]] = [math.nan, math.inf, -math.inf]
    quiet(Curve(c.steps, train, c.val_steps, c.val, total_steps=1000, loss_kind="bce"))
    # Rules reason in ratios of non-negative losses: a negative loss keeps them quiet.
    quiet(Curve(list(range(1, 501)), [-1.0 - 0.01 * s for s in range(500)], total_steps=500))


def test_expected_init_loss():
    assert expected_init_loss("cross-entropy", 10, None) == pytest.approx(math.log(10))
    assert expected_init_loss("bce", None, None) == pytest.approx(math.log(2))
    assert expected_init_loss("mse", None, 0.5) == 0.5
    assert expected_init_loss("mse", None, None) is None
    assert expected_init_loss("cross-entropy", None, None) is None
    assert expected_init_loss("", 3, 1.0) is None


def test_init_on_cross_entropy_with_10_classes_and_on_mse():
    steps = list(range(1, 6))
    ce = Curve(steps, [4.1, 3.0, 2.5, 2.3, 2.2], loss_kind="cross-entropy", n_classes=10)
    assert fires(ce, "init").text.startswith(
        "Loss at step 1 is 4.1, a fresh model's is ~ln 10 = 2.30"
    )
    fresh = Curve(steps, [2.31, 2.2, 2.1, 2.0, 1.9], loss_kind="cross-entropy", n_classes=10)
    assert init_loss(fresh) is None
    mse = Curve(steps, [5.0, 3.0, 2.0, 1.5, 1.2], loss_kind="mse", target_var=1.0)
    assert fires(mse, "init").text == (
        "Loss at step 1 is 5, over 3x the target's variance (1): check the init, or standardise y"
    )
    assert init_loss(Curve(steps, [5.0] * 5, loss_kind="")) is None  # unknown loss: skipped
    # A decimated first point (a mean of steps 1-4) still counts as the start; a later one not.
    assert "Loss at the start is 5," in init_loss(Curve([3, 7], [5.0, 4.0], loss_kind="bce")).text
    assert init_loss(Curve([20, 30], [5.0, 4.0], loss_kind="bce")) is None
    assert init_loss(recorded("healthy-regression")) is None


def test_lr_too_small_uses_the_share_of_the_run():
    flat = [0.69 + 0.002 * math.sin(s) for s in range(1, 61)]
    short = Curve(list(range(1, 61)), flat, total_steps=100, loss_kind="bce", lr=1e-4)
    assert "After 60 steps" in fires(short, "lr-too-small").text
    long = Curve(list(range(1, 61)), flat, total_steps=10_000, loss_kind="bce", lr=1e-4)
    assert lr_too_small(long) is None


def test_numpy_inputs_are_fine():
    r = RECORDED["plateau"]
    c = recorded(
        "plateau", steps=np.array(r["steps"]), train=np.array(r["train"], dtype=np.float32)
    )
    assert fires(c, "plateau") == advise(recorded("plateau"))


def test_a_huge_lr_that_left_the_loss_stuck_is_not_called_too_small():
    """SGD at lr 100 on a 10-class set: saturated, the loss sits near its start."""
    flat = [1.65 + 0.05 * ((i * 7919) % 11 - 5) / 5 for i in range(300)]
    curve = Curve(steps=list(range(1, 301)), train=flat, total_steps=300, lr=100.0,
                  loss_kind="cross-entropy", n_classes=10)  # fmt: skip
    assert lr_too_small(curve) is None
    assert lr_too_small(replace(curve, lr=1e-5)) is not None


# -- a run that ended on an error or with its kernel -------------------------------------


@pytest.mark.parametrize(
    "failure, text",
    [
        (
            "training failed: RuntimeError: can't allocate memory",
            "The run stopped on an error, not on its loss: training failed: RuntimeError: "
            "can't allocate memory",
        ),
        ("run ended: kernel restarted", "The kernel restarted: the run ended there"),
        (
            "run ended: kernel died: killed by SIGKILL",
            "The kernel died: the run ended there, not on its loss (killed by SIGKILL)",
        ),
        ("worker rank 1 failed: RuntimeError: injected fault", "not on its loss: worker rank 1"),
    ],
)
def test_an_error_or_a_lost_kernel_is_said_and_never_read_as_divergence(failure, text):
    c = recorded("lr100", failure=failure)  # a rising curve: divergence, were it read
    assert divergence(c) is not None
    advice = fires(c, "stopped")
    assert text in advice.text, advice.text
    assert "lr" not in advice.text and "diverg" not in advice.text
    # NaN/Inf losses at the end (a failing op's output) are not read either
    broken = list(c.train[:-3]) + [math.nan, math.inf, 1e30]
    assert fires(replace(c, train=broken), "stopped") == advice


def test_a_long_error_is_cut_to_one_line():
    advice = fires(Curve([1, 2], [0.7, 0.6], failure="training failed: " + "x " * 200), "stopped")
    assert advice.text.endswith("…") and len(advice.text) <= 110
    died = fires(Curve((), (), failure="run ended: kernel died: " + "y" * 200), "stopped")
    assert died.text.startswith("The kernel died: the run ended there, not on its loss (yyy")
    assert died.text.endswith("…") and len(died.text) <= 110


@pytest.mark.parametrize(
    "error, split",
    [
        (None, (None, None)),
        ("", (None, None)),
        ("loss became NaN at step 3: training stopped; try a smaller lr", ("curve", None)),
        ("loss became Inf at step 7: training stopped", ("curve", None)),
        ("training failed: RuntimeError: inf is not a valid info", (None, "failure")),
        ("run ended: kernel restarted", (None, "failure")),
        ("data parallel failed: OSError: nan", (None, "failure")),
    ],
)
def test_only_the_reporters_nan_inf_error_is_the_curves(error, split):
    want = tuple(error if kind else None for kind in split)
    assert split_error(error) == want


def test_the_dashboards_line_for_a_run_that_lost_its_kernel_or_failed():
    """What ``coach_line`` (the dashboard's and ``torch-tui train``'s line) says."""
    from tui.runs.insight import coach_line
    from tui.runs.runbook import RunBook, RunState

    r = RECORDED["lr100"]
    book = RunBook()

    def run_with_curve():
        run = book.new("playground", {"dataset": "circles", "lr": 100.0, "optimizer": "sgd"})
        run.move(RunState.RUNNING)
        run.series.extend(np.interp(range(1, 2001), r["steps"], r["train"]).astype(np.float32))
        return run

    run = run_with_curve()
    assert "smaller lr" in coach_line(run)  # live, rising: divergence
    book.lose_live("kernel restarted")
    assert coach_line(run).startswith("The kernel restarted: the run ended")
    run = run_with_curve()
    run.series.extend(np.array([math.nan, math.inf], dtype=np.float32))
    run.ended(None, "training failed: RuntimeError: CUDA error: an illegal memory access")
    assert coach_line(run).startswith("The run stopped on an error, not on its loss: training")
    run = run_with_curve()
    run.ended(None, "loss became NaN at step 2001: training stopped; try a smaller lr (e.g. 10)")
    assert coach_line(run).startswith("The loss became NaN at step 2001: the steps are too big")
