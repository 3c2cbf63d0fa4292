"""What F5 trains is on screen and switches with p; Escape leaves a field; an emptied
field is named until it is filled; a long run's curve grows while it runs."""

from __future__ import annotations

from textual.widgets import Input, Static

from tui.ui.dashboard.loss_plot import LossPlot

from ..pilot_wait import wait_for
from .test_dashboard import SEED_XOR, _cell, _message, _ready, _set, _text, _wait


def _target(pane) -> str:
    return _text(pane.query_one("#dash-target", Static))


async def test_f5_trains_the_repl_model_once_it_has_model_x_and_y(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        assert "F5 trains ▸ playground: circles 16-16" in _target(pane)
        await _cell(app, SEED_XOR)
        await _wait(pilot, lambda: "REPL model: SimpleNet on X 4x2" in _target(pane))
        assert pane.target == "repl" and _target(pane).startswith("F5 trains ▸ REPL model")
        _set(pane, steps="200")
        await pilot.press("f4", "f5")
        await _wait(pilot, lambda: pane.current is not None and pane.current.state == "done")
        assert pane.current.source == "repl" and pane.current.summary.steps == 200
        await pilot.press("p")  # back to the playground: F5 and s now train it
        assert pane.target == "playground" and "· p: REPL model" in _target(pane)
        await pilot.press("s")
        await _wait(pilot, lambda: pane.current.source == "playground")
        await _wait(pilot, lambda: pane.current.state == "done")
        await _cell(app, "model = SimpleNet(2, 8, 1); X = torch.zeros(8, 2)")
        await _wait(pilot, lambda: pane.repl_text == "SimpleNet on X 8x2")
        assert pane.target == "playground"  # still there: no switch behind p's back
        await _cell(app, "del model")
        await _wait(pilot, lambda: "REPL model" not in _target(pane))
        await pilot.press("p")  # nothing to switch to: it says why
        assert pane.target == "playground" and "no model, X and y" in _message(pane)


async def test_escape_leaves_a_field_and_letters_are_keys_again(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        steps = pane.query_one("#cfg-steps", Input)
        steps.value = ""
        steps.focus()
        await pilot.press("5", "0", "escape")
        await _wait(pilot, lambda: app.focused is pane.plot, what="the curve focused")
        await pilot.press("l", "m")  # keys of the dashboard, not typing
        assert steps.value == "50"
        assert pane.plot.log_scale and pane.plot.smooth
        steps.focus()
        await pilot.press("5", "0", "0", "enter")  # Enter starts the run, leaves the field
        await _wait(pilot, lambda: pane.current is not None and pane.current.state == "done")
        assert app.focused is pane.plot and steps.value == "500"
        await pilot.press("v")
        assert steps.value == "500"


async def test_an_emptied_field_is_named_until_it_is_filled(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        _set(pane, batch_size="", steps="100")
        for _ in range(2):  # and it keeps saying so
            await pilot.press("f5")
            await pilot.pause()
            assert "batch is empty: type a number" in _message(pane)
            assert "batch is empty" in _target(pane) and pane.current is None
        row = pane.query_one("#cfg-batch_size").parent
        assert row.has_class("-invalid")
        pane.action_toggle_log()  # another message meanwhile: the row still says it
        assert "batch is empty" in _target(pane)
        pane.query_one("#cfg-batch_size", Input).value = "32"
        await _wait(pilot, lambda: "F5 trains ▸ playground" in _target(pane), what="fixed")
        assert "Settings fixed" in _message(pane)
        await pilot.press("f5")
        await _wait(pilot, lambda: pane.current is not None and pane.current.state == "done")
        assert not row.has_class("-invalid")


async def test_the_curve_grows_while_a_long_run_trains(make_app):
    """Figures come while it runs, each reaching further, not one at the end."""
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        _set(pane, steps="100000000")
        await pilot.press("f5")
        plot = pane.query_one(LossPlot)

        def reach() -> float:
            shown = plot._shown
            curves = shown.figure.curves if shown else []  # an empty figure first
            return max((x for xs, *_ in curves for x in xs), default=0)

        seen: list[float] = []
        for _ in range(3):
            await wait_for(
                pilot, lambda: reach() > (seen[-1] if seen else 0), timeout=30, what="a new figure"
            )
            seen.append(reach())
            assert pane.training
        pane.action_stop()
        await _wait(pilot, lambda: not pane.training)
