"""The push gate holds back a flood, but never a training run's losses."""

from __future__ import annotations

import numpy as np

from tui.kernel.link import _merged_reports
from tui.kernel.push_gate import PushGate
from tui.protocol import messages as p
from tui.training.report import Report


def report(first: int, n: int, **extra) -> p.TrainReport:
    losses = np.arange(first, first + n, dtype=np.float32)
    return p.TrainReport(
        run_id=3,
        report=Report(
            first_step=first, losses=losses, step=first + n - 1, total_steps=400, epoch=0,
            elapsed=0.0, steps_per_s=0.0, eta=None, **extra,
        ),
    )  # fmt: skip


def test_a_flood_of_one_runs_reports_keeps_every_step_in_order():
    gate = PushGate(rate=40, burst=10)
    got: list[p.TrainReport] = []
    for i in range(100):  # 100 reports of 4 steps in the same instant: a fast 400-step run
        got += gate.offer("TrainReport 3", report(1 + 4 * i, 4), 0.0, _merged_reports)
    got += gate.release(1.0)
    steps = np.concatenate([m.report.losses for m in got])
    assert steps.tolist() == list(range(1, 401))
    assert got[-1].report.step == 400
    assert gate.take_dropped() == 0


def test_a_merged_report_keeps_the_earlier_validation_and_boundary_when_the_later_has_none():
    earlier = report(1, 4, val_loss=0.5, lr=0.1)
    both = _merged_reports(earlier, report(5, 4))
    assert both.report.first_step == 1 and len(both.report.losses) == 8
    assert both.report.val_loss == 0.5 and both.report.lr == 0.1


def test_reports_that_do_not_follow_on_are_not_merged_and_the_older_is_counted_dropped():
    gate = PushGate(rate=40, burst=1)
    gate.offer("TrainReport 3", report(1, 4), 0.0, _merged_reports)
    gate.offer("TrainReport 3", report(5, 4), 0.0, _merged_reports)
    gate.offer("TrainReport 3", report(50, 4), 0.0, _merged_reports)
    assert [m.report.first_step for m in gate.release(1.0)] == [50]
    assert gate.take_dropped() == 1


def test_other_pushes_still_keep_only_the_latest_of_their_kind():
    gate = PushGate(rate=40, burst=1)
    assert gate.offer("WatchValues", 1, 0.0) == [1]
    for i in range(2, 50):
        gate.offer("WatchValues", i, 0.0)
    assert gate.release(1.0) == [49]
    assert gate.take_dropped() == 47
