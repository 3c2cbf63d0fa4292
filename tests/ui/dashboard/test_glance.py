"""A dashboard read at a glance: legends that tell runs apart, a validation colour of its
own, an axis that fits the current run, a reset that shows at once, the settings a REPL
model does not read greyed with why, every setting two keys away, and one Tab order.

Runs are fed to the run book as the kernel's messages would fill it (no training here):
what is checked is what the dashboard draws from them.
"""

from __future__ import annotations

import numpy as np
from textual import events
from textual.widgets import Input, Select, Static

from tui.protocol import messages as p
from tui.tensors.cards import VarRow
from tui.training.report import Report
from tui.ui.dashboard.loss_plot import RICH_COLOUR, RUN_COLOURS, VAL_COLOUR
from tui.ui.dashboard.settings_form import KEYS, ROWS

from .test_dashboard import _message, _ready, _wait

XOR_ROWS = [
    VarRow("X", "tensor", "(4, 2)", "float32", "cpu"),
    VarRow("criterion", "BCELoss", "0 params", "", ""),
    VarRow("model", "SimpleNet", "17 params", "", "cpu"),
    VarRow("optimizer", "Adam", "1 groups", "", ""),
    VarRow("y", "tensor", "(4, 1)", "float32", "cpu"),
]


def _run(pane, steps: int, total: int, config: dict, live: bool = False):
    """A run in the book as the kernel's messages leave it: begun, ``steps`` losses."""
    from tui.runs.runbook import RunState

    run = pane.book.new(config.get("source", "playground"), config)
    pane._train_message(p.TrainBegun(run.id, "x", "cpu", total, False, 0.03, config))
    losses = np.linspace(1.0, 0.1, steps, dtype=np.float32)
    report = Report(1, losses, steps, total, 1, 1.0, 100.0, None)
    pane._train_message(p.TrainReport(run.id, report))
    if not live:
        run.move(RunState.DONE)
    return run


def _repl(model: str, optimizer: str = "Adam", lr: float = 0.01, batch: int = 4) -> dict:
    return {"source": "repl", "model": model, "criterion": "BCELoss", "optimizer": optimizer,
            "lr": lr, "steps": 20, "batch_size": batch, "X_shape": [4, 2]}  # fmt: skip


async def _drawn(pilot, pane):
    """Redraw now and wait for the figure to be on screen."""
    plot = pane.plot
    pane.redraw()
    await _wait(pilot, lambda: not (plot._building or plot._waiting), what="a figure")
    plot.present()
    return plot._shown.figure


def _legend(pane) -> str:
    legend = pane.query_one("#dash-legend", Static)
    return str(legend.render()) if legend.display else ""


def test_the_validation_curve_has_a_colour_no_run_uses():
    """By the ANSI colour drawn, not the name: plotext's "orange" is ANSI yellow, and its
    "yellow" is no colour at all."""
    from plotext._utility import colors_to_ansi
    from rich.style import Style

    def code(colour: str) -> str:
        return colors_to_ansi(colour, "default", "default")

    runs = {code(c) for c in RUN_COLOURS}
    assert len(runs) == len(RUN_COLOURS) and "" not in runs, "each run has a colour of its own"
    assert code(VAL_COLOUR) and code(VAL_COLOUR) not in runs
    for colour in (*RUN_COLOURS, VAL_COLOUR):  # the legend's swatch is the curve's colour
        number = Style.parse(RICH_COLOUR.get(colour, colour)).color.number
        assert code(colour) == f"\x1b[38;5;{number}m", colour


async def test_the_axis_fits_the_current_run_and_r_clears_at_once(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        await pilot.press("f4")
        _run(pane, 20_000, 20_000, {"lr": 0.3})
        current = _run(pane, 5, 20, {"lr": 0.03}, live=True)
        figure = await _drawn(pilot, pane)
        assert figure.x_range == (1, 20), "the planned 20 steps, while the run is at 5"
        (old_x, _, _, _), (new_x, _, _, _) = figure.curves
        assert len(old_x) == 20 and max(old_x) <= 20, "the older run, cut to 20 steps"
        assert max(new_x) == 5
        current.series.extend(np.full(15, 0.1, dtype=np.float32))
        current.ended(None, None)  # stopped at step 20: the axis is the steps it made
        assert (await _drawn(pilot, pane)).x_range == (1, 20)

        pane.curve.timer.pause()  # no tick: the reset itself redraws
        await pilot.press("r")
        await _wait(pilot, lambda: pane.plot._shown.figure.curves == [], what="no curves")
        assert not pane.plot.legend and _legend(pane) == ""


async def test_repl_runs_of_different_models_get_legends_of_their_own(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        await pilot.press("f4")
        _run(pane, 50, 50, _repl("DeepSigmoid"))
        _run(pane, 50, 50, _repl("SimpleNet"))
        _run(pane, 50, 50, {**_repl("SimpleNet", "SGD", 0.1, 8), "X_shape": [64, 2]})
        await _drawn(pilot, pane)
        labels = [label for label, _ in pane.plot.legend[:3]]
        assert len({label.split(" ", 1)[1] for label in labels}) == 3, labels
        assert "SimpleNet" in labels[1] and "DeepSigmoid" in labels[2], labels
        legend = _legend(pane)
        assert all(label in legend.replace("\n", "  ") for label in labels), legend


async def test_a_repl_model_greys_the_settings_it_does_not_read(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        form = pane.form

        def row(name: str):
            return form.query_one(f"#cfg-{name}").parent

        def why(name: str) -> str:
            return str(row(name).query_one(".why", Static).render())

        assert not any(row(name).has_class("-unused") for name, _ in ROWS)
        pane.repl_variables(XOR_ROWS)
        assert pane.target == "repl"
        for name in ("lr", "optimizer", "dataset", "samples", "noise", "hidden", "activation",
                     "init", "dropout", "schedule", "train_share", "loss", "device", "ddp"):  # fmt: skip
            assert row(name).has_class("-unused"), name
            assert why(name) and why(name) != "applies", name
            assert row(name).tooltip.startswith("REPL model: "), name
        assert why("lr") == "its optimizer" and why("loss") == "its criterion"
        assert "its own optimizer" in row("lr").tooltip
        for name in ("epochs", "steps", "batch_size", "seed"):
            assert not row(name).has_class("-unused") and why(name) == "applies", name
        # Without an optimizer in the REPL, the run uses Adam with lr 0.01: the words follow.
        pane.repl_variables([r for r in XOR_ROWS if r.name not in ("optimizer", "criterion")])
        assert why("lr") == "Adam 0.01" and why("loss") == "picked from y"
        # A setting the run does not read cannot stop it; one it reads still does.
        form.query_one("#cfg-lr", Input).value = "fast"
        config, _ = form.read()
        assert config.lr == 0.03
        await pilot.press("f4", "p")  # back to the playground: every setting counts again
        assert pane.target == "playground" and not row("lr").has_class("-unused")
        assert not form.query_one("#cfg-steps").parent.query_one(".why", Static).display
        pane.action_start()
        await pilot.pause()
        assert "lr" in pane.settings_error and pane.current is None


async def test_every_setting_is_two_keys_away_and_tab_goes_round_in_one_order(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        await pilot.press("f4")
        await _wait(pilot, lambda: app.focused is pane.plot, what="the curve")
        assert len(set(KEYS.values())) == len(KEYS) == len(ROWS)
        pane.action_toggle_config()  # hidden settings come back for the letter
        for name, label in ROWS:
            assert KEYS[name] in label, (name, label)  # the label shows (underlines) it
            await pilot.press("o")
            assert "underlined letter" in _message(pane)
            await pilot.press(KEYS[name])
            await _wait(pilot, lambda n=name: app.focused.id == f"cfg-{n}", what=name)
            assert not pane.has_class("-no-config")
            await pilot.press("escape")
            await _wait(pilot, lambda: app.focused is pane.plot, what="back to the curve")
        for key in "ob":  # in one burst, as over a laggy link: o still takes the b
            app.post_message(events.Key(key, key))
        await _wait(pilot, lambda: app.focused.id == "cfg-batch_size", what="batch, in a burst")
        await pilot.press("escape")
        await _wait(pilot, lambda: app.focused is pane.plot, what="back to the curve")
        await pilot.press("o", "z")  # no setting: said, and z is not typed anywhere
        assert "No setting on z" in _message(pane) and app.focused is pane.plot
        await pilot.press("o", "x")  # x after o is not "stop"
        assert "No setting on x" in _message(pane) and not pane.goto_pending

        fields = [f"cfg-{name}" for name, _ in ROWS]
        order = [*fields, "dash-plot"]
        seen = []
        for _ in order:
            await pilot.press("tab")
            seen.append(app.focused.id)
        assert seen == order, "from the curve: every setting in the order shown, then back"
        await pilot.press("o", "l")
        await pilot.press("tab", "tab")
        assert app.focused.id == "cfg-epochs"
        await pilot.press("shift+tab", "shift+tab", "shift+tab")
        assert app.focused.id == "cfg-optimizer"

        palette = [title for title, action, _ in pane.COMMANDS if action.startswith("goto")]
        assert len(palette) == len(ROWS) and "go to setting lr" in palette
        await pane.run_action("goto_setting('weight_decay')")
        await _wait(pilot, lambda: app.focused.id == "cfg-weight_decay", what="w.decay")
        assert isinstance(pane.query_one("#cfg-ddp"), Select)


def _glance_text(pane) -> str:
    return str(pane.query_one("#dash-glance").render())


async def test_idle_settings_are_one_glance_that_opens_where_asked(make_app):
    """Idle, the settings column is one widget drawn like the fields (a pane switch
    repaints one widget there, not ~80); Tab, ``o`` and a letter, or a click open the
    fields at that setting, and leaving them shows the glance with what was typed."""
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        form, glance = pane.form, pane.query_one("#dash-glance")
        await pilot.press("f4")
        await _wait(pilot, lambda: app.focused is pane.plot)
        assert glance.display and not form.editing
        lines = _glance_text(pane).splitlines()
        assert [line[:9].strip() for line in lines] == [label for _, label in ROWS]
        assert lines[4].startswith("lr       0.03") and lines[0].rstrip().endswith("▼")

        await pilot.press("tab")  # the first setting, the fields in place of the glance
        assert app.focused.id == "cfg-dataset" and form.editing and not glance.display
        await pilot.press("escape")
        await _wait(pilot, lambda: app.focused is pane.plot and glance.display)
        await pilot.press("shift+tab")  # backwards: the last one
        assert app.focused.id == "cfg-ddp" and form.editing
        await pilot.press("escape")

        await pilot.press("o", "l", "ctrl+u", *"0.5", "escape")
        await _wait(pilot, lambda: glance.display, what="the glance again")
        assert "lr       0.5 " in _glance_text(pane)

        await pilot.click("#dash-glance", offset=(12, ROWS.index(("epochs", "epochs"))))
        await _wait(pilot, lambda: app.focused is not None and app.focused.id == "cfg-epochs")
        await pilot.press("f3")  # focus leaving the fields: the glance
        await _wait(pilot, lambda: glance.display and not form.editing)


async def test_a_setting_edits_in_the_order_keys_come(make_app):
    """Backspace then ``0.2`` in one burst (a laggy SSH link): the backspace deleted the
    ``0.2`` once it had bubbled up to the app; here it edits first."""
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        pane.form.go_to("lr")
        await pilot.pause()
        for key, char in [("end", None), *[("backspace", None)] * 4, ("0", "0")]:
            app.post_message(events.Key(key, char))
        for char in ".2":
            app.post_message(events.Key("full_stop" if char == "." else char, char))
        lr = pane.query_one("#cfg-lr", Input)
        await _wait(pilot, lambda: lr.value == "0.2", what=f"0.2, not {lr.value!r}")


def _burst(app, keys: list[tuple[str, str | None]]) -> None:
    """Keys posted at once, as a laggy SSH link delivers them (Pilot waits between keys)."""
    for key, char in keys:
        app.post_message(events.Key(key, char))


async def test_keys_behind_o_and_its_letter_reach_the_setting(make_app):
    """``o l 0.5`` Escape ``o b 8`` in one burst, then Tab ``3``: each value lands in its
    setting. The keys behind ``o`` had been given to the curve before the letter moved
    the focus, and were lost there; those behind Escape or Tab went to the field left."""
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        await pilot.press("f4")
        await _wait(pilot, lambda: app.focused is pane.plot, what="the curve")
        lr = pane.query_one("#cfg-lr", Input)
        batch = pane.query_one("#cfg-batch_size", Input)
        _burst(app, [("o", "o"), ("l", "l"), ("0", "0"), ("full_stop", "."), ("5", "5")])
        _burst(app, [("escape", None), ("o", "o"), ("b", "b"), ("8", "8")])
        await _wait(pilot, lambda: batch.value == "8", what=f"batch 8, not {batch.value!r}")
        assert lr.value == "0.5"
        assert app.focused is batch
        epochs = pane.query_one("#cfg-epochs", Input)
        _burst(app, [("tab", None), ("3", "3")])  # Tab moves on only once handled, too
        await _wait(pilot, lambda: epochs.value == "3", what=f"epochs 3, not {epochs.value!r}")
        assert batch.value == "8"
