"""What the dashboard explains while it trains: validation curve, layer panel, coach,
learning-rate line and Step, driven with the keyboard."""

from __future__ import annotations

from functools import partial

from textual.widgets import Static

from tui.ui.dashboard.insight_panel import LayerPanel
from tui.ui.dashboard.loss_plot import LossPlot
from tui.ui.dashboard.metrics import TrainMetrics

from ..pilot_wait import wait_for
from .test_dashboard import _ready, _set

_wait = partial(wait_for, timeout=60.0)


def _coach(pane) -> str:
    widget = pane.query_one("#dash-coach", Static)
    return str(widget.render()) if widget.display else ""


async def test_a_run_shows_validation_layers_moving_and_the_lr_schedule(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        _set(pane, dataset="spiral", hidden="32,32", activation="relu", steps="100000000")
        _set(pane, schedule="cosine")
        await pilot.press("f4", "f5")
        metrics = pane.query_one("#dash-metrics", TrainMetrics)
        await _wait(pilot, lambda: "val loss" in metrics.plain and "val acc" in metrics.plain)
        plot = pane.query_one(LossPlot)
        await _wait(
            pilot,
            lambda: plot._shown is not None and len(plot._shown.figure.curves) == 2,
            what="the validation curve",
        )
        assert [label for label, _ in plot.legend][-1] == "validation"
        legend = pane.query_one("#dash-legend", Static)
        await _wait(  # the legend line follows the plot's legend on the next redraw
            pilot,
            lambda: "validation" in str(legend.render()) and "#1 spiral" in str(legend.render()),
            what="the legend line",
        )
        if not pane.layers_shown:
            await pilot.press("g")
        panel = pane.query_one("#dash-layers", LayerPanel)
        await _wait(pilot, lambda: len(panel.rows) == 3 and panel.display, what="layer rows")
        first = list(panel.rows)
        await _wait(pilot, lambda: panel.rows != first, what="the layer figures to move")
        assert panel.rows[0][0] == "0 Linear 32x2" and panel.rows[-1][4] == "–"
        lr = pane.query_one("#dash-lr", Static)
        await _wait(pilot, lambda: lr.display and "lr " in str(lr.render()), what="lr line")
        await pilot.press("x")
        await _wait(pilot, lambda: pane.current.state == "stopped")


async def test_lr_100_with_sgd_gets_the_divergence_line(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        _set(pane, lr="100", optimizer="sgd", steps="2000")
        await pilot.press("f4", "f5")
        await _wait(pilot, lambda: not pane.current.live, what="the run to end")
        await _wait(pilot, lambda: "smaller lr" in _coach(pane), what="the coach")
        assert _coach(pane).startswith("coach: ")


async def test_step_runs_one_batch_at_a_time(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        await pilot.press("f4", "full_stop")
        await _wait(pilot, lambda: pane.current is not None and pane.current.last is not None)
        assert pane.current.state == "paused" and pane.current.last.step == 1
        await pilot.press("full_stop")
        await _wait(pilot, lambda: pane.current.last.step == 2, what="a second step")
        await pilot.press("full_stop")
        await _wait(pilot, lambda: pane.current.last.step == 3, what="a third step")
        assert len(pane.current.series) == 3 and pane.current.state == "paused"
        await pilot.press("space")
        await _wait(pilot, lambda: pane.current.last.step > 10, what="running on")
        await pilot.press("x")
        await _wait(pilot, lambda: not pane.current.live)


async def test_overlaid_runs_name_what_differs_under_the_plot(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        for lr in ("0.3", "0.03"):
            _set(pane, lr=lr, steps="200")
            pane.action_start()
            await _wait(pilot, lambda: pane.current.state == "done" and pane.current.config["lr"])
        await _wait(pilot, lambda: len(pane.query_one(LossPlot).legend) == 3, what="legend")
        legend = str(pane.query_one("#dash-legend", Static).render())
        assert "#2 lr=0.03" in legend and "#1 lr=0.3" in legend, legend
        assert all(c[2] is None for c in pane.query_one(LossPlot)._shown.figure.curves)


async def test_the_settings_come_back_after_a_restart(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        _set(pane, lr="0.3", dataset="moons", schedule="cosine", steps="50")
        pane.action_start()
        await _wait(pilot, lambda: pane.current.state == "done")
    again = make_app(device="cpu")
    async with again.run_test(size=(160, 48)) as pilot:
        pane = await _ready(again, pilot)
        raw = pane.form.raw()
        assert (raw["lr"], raw["dataset"], raw["schedule"], raw["steps"]) == (
            "0.3", "moons", "cosine", "50"
        )  # fmt: skip


async def test_a_lost_kernel_is_not_called_diverging_and_a_huge_model_never_starts(
    make_app, monkeypatch
):
    """lr 100 with SGD rises: the coach calls it diverging while it runs, but once the
    kernel dies mid-run the line says that instead. A model that cannot fit in the free
    RAM (16 GB here) is refused with one line before anything starts."""
    from tui.kernel import link as kl
    from tui.protocol import messages as p

    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        _set(pane, lr="100", optimizer="sgd", steps="100000000")
        await pilot.press("f4", "f5")
        await _wait(pilot, lambda: "smaller lr" in _coach(pane), what="the divergence line")
        run = pane.current
        assert run.live
        app.screen.route_kernel_event(kl.Died("killed by SIGKILL"))  # the kernel lives on
        try:
            await _wait(pilot, lambda: "kernel died" in _coach(pane), what="the coach's line")
            assert _coach(pane).startswith("coach: The kernel died: the run ended there")
            assert "lr" not in _coach(pane)
        finally:
            pane._tell(p.TrainControl(run_id=run.id, action="stop"))  # the orphaned run
        monkeypatch.setattr("tui.training.memory.ram_available", lambda: 16 * 10**9)
        _set(pane, hidden="65536,65536", steps="5")
        await pilot.press("f5")
        await pilot.pause()
        message = str(pane.query_one("#dash-message", Static).render())
        assert message.startswith("Settings: hidden 65536,65536 needs about 69.7 GB"), message
        assert "cpu has 16.0 GB available" in message and "\n" not in message
        assert pane.current is run  # nothing started
        assert pane.query_one("#cfg-hidden").parent.has_class("-invalid")
        _set(pane, hidden="65536,16")  # 1.2 million weights fit: the error goes
        await pilot.pause()
        assert pane.settings_error is None
