"""The dashboard's run book without Pilot: states and their moves, reports off the wire,
verdicts, a lost kernel, the figures line; and the app's side importing no torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from tui.protocol import messages as p
from tui.runs.runbook import MAX_RUNS, RunBook, RunState, metrics_text
from tui.training.report import Boundary, Report, Summary


def _report(step: int, n: int = 5, **kw) -> Report:
    return Report(
        first_step=step - n + 1, losses=[1.0] * n, step=step, total_steps=1000, epoch=1,
        elapsed=step / 100, steps_per_s=100.0, eta=5.0, **kw,
    )  # fmt: skip


def test_a_run_moves_starting_running_done_and_ignores_illegal_moves():
    book = RunBook()
    run = book.new("playground", {"dataset": "xor"})
    assert run.state == RunState.STARTING == "starting" and book.training
    run.begun("xor 8 adam lr=0.05", "cpu", 10, True, {"dataset": "xor", "steps": 100})
    assert run.state == RunState.RUNNING and run.series.label == "#1 xor 8 adam lr=0.05"
    assert run.move(RunState.PAUSED) and run.move(RunState.RUNNING)
    text = run.ended(Summary(100, 50.0, 0.1, 1.0, "cpu", 2.0), None)
    assert run.state == RunState.DONE and text.startswith("Done: 100 steps")
    assert not run.move(RunState.RUNNING) and run.state == RunState.DONE
    assert not book.training


def test_a_paused_start_stays_paused_when_it_begins():
    run = RunBook().new("playground", {})
    run.move(RunState.PAUSED)
    run.begun("x", "cpu", 1, False, {})
    assert run.state == RunState.PAUSED


def test_reports_off_the_wire_become_numpy_again():
    run = RunBook().new("playground", {})
    grid = Boundary((0.0, 1.0, 0.0, 1.0), [[0, 1]], [[0.5, 0.9]], [[0.1, 0.2]], [1], 2)
    wire = p.decode(p.encode(p.TrainReport(1, _report(5, boundary=grid))))
    boundary = run.apply(wire.report)
    assert isinstance(run.last.losses, np.ndarray) and len(run.series) == 5
    assert boundary.classes.shape == (1, 2) and boundary.points.shape == (1, 2)
    assert run.metrics == [(5, None, 0.05)]


def test_verdicts_stopped_failed_and_a_lost_kernel():
    book = RunBook()
    a = book.new("playground", {})
    assert "Stopped after 7 steps" in a.ended(Summary(7, 1.0, 0.5, None, "cpu", 1.0, True), None)
    assert a.state == RunState.STOPPED
    b = book.new("playground", {})
    assert b.ended(None, "loss became NaN at step 3") == "loss became NaN at step 3"
    assert b.state == RunState.FAILED
    book.discard(b)  # no curve: gone
    assert book.runs == [a]
    c = book.new("repl", {})
    c.apply(_report(5))
    assert book.lose_live("kernel died: killed by SIGKILL") == (
        "run ended: kernel died: killed by SIGKILL"
    )
    assert c.state == RunState.STOPPED and len(c.series) == 5  # the curve stays
    assert book.lose_live("kernel restarted") is None  # nothing live any more


def test_the_book_keeps_the_last_runs_only():
    book = RunBook()
    runs = [book.new("playground", {}) for _ in range(MAX_RUNS + 3)]
    assert len(book.runs) == MAX_RUNS and book.current is runs[-1]
    assert book.get(runs[0].id) is None and book.get(runs[-1].id) is runs[-1]


def test_metrics_text_packs_whole_figures_and_shows_data_parallel():
    run = RunBook().new("playground", {})
    assert metrics_text(None).startswith("F5 or s starts a run")
    run.begun("circles DDPx2", "cpu (gloo)", 4, True, {})
    run.apply(_report(10, world_size=2, global_batch=128, backend="gloo", accuracy=0.5))
    text = metrics_text(run, width=60)
    assert "world 2 · global batch 128" in text and "[b]acc[/b] 50.0%" in text
    for line in text.split("\n"):
        assert len(line.replace("[b]", "").replace("[/b]", "")) <= 60
    run.stopping = True
    assert metrics_text(run).startswith("stopping…")


def test_the_dashboard_side_imports_no_torch():
    code = (
        "import sys, tui.ui.dashboard.dashboard_pane, tui.runs.runbook, tui.ui.dashboard.settings_form,"
        " tui.ui.dashboard.export_action, tui.runs.export, tui.training.config;"
        " from tui.protocol import messages as p;"
        " p.decode(p.encode(p.TrainReport(1, None)));"
        " from tui.training.config import TrainConfig;"
        " TrainConfig.from_mapping({'lr': '0.1', 'device': 'cuda:0'});"
        " assert 'torch' not in sys.modules, 'torch was imported'"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
