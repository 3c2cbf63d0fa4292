"""The dashboard through Pilot, training in the kernel: F5 start/stop, the curve, metrics,
devices, the REPL model, export, bad settings, a kernel that dies mid-run, and no torch in
the app process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import partial

from textual.widgets import Input, Select, Static

from tui.kernel import hub as kh
from tui.kernel import link as kl
from tui.platform import state
from tui.protocol import messages as p
from tui.ui.common import kernel_messages as km
from tui.ui.dashboard.boundary_view import BoundaryView
from tui.ui.dashboard.dashboard_pane import DashboardPane
from tui.ui.dashboard.loss_plot import LossPlot
from tui.ui.dashboard.metrics import TrainMetrics

from ..pilot_wait import wait_for

SEED_XOR = """
class SimpleNet(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.layer1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.layer2 = nn.Linear(hidden_size, output_size)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        return self.sigmoid(self.layer2(self.relu(self.layer1(x))))

torch.manual_seed(0)
X = torch.tensor([[0,0],[0,1],[1,0],[1,1]], dtype=torch.float32)
y = torch.tensor([[0],[1],[1],[0]], dtype=torch.float32)
model = SimpleNet(2, 4, 1)
criterion = nn.BCELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
w_before = model.layer1.weight.detach().clone()
"""


_wait = partial(wait_for, timeout=60.0)


def _text(widget: Static) -> str:
    return str(widget.render())


def _message(pane: DashboardPane) -> str:
    return _text(pane.query_one("#dash-message", Static))


async def _ready(app, pilot) -> DashboardPane:
    pane = app.screen.query_one("#dashboard", DashboardPane)
    # pane.built: the settings and the plot are mounted once the kernel is up
    await _wait(pilot, lambda: app.kernel.ready and app.torch_info is not None, what="kernel")
    await _wait(pilot, lambda: pane.built, what="the dashboard's body")
    return pane


async def _cell(app, source: str):
    outputs: list = []
    outcome = await app.kernel.execute(source, outputs.append)
    assert outcome.ok, (outcome.error_name, outcome.error_value)
    return outcome, "".join(getattr(o, "text", "") for o in outputs)


def _set(pane: DashboardPane, **values: str) -> None:
    for name, value in values.items():
        widget = pane.query_one(f"#cfg-{name}")
        if isinstance(widget, Input):
            widget.value = value
        else:
            assert isinstance(widget, Select)
            widget.value = value


async def test_f5_starts_draws_the_curve_and_f5_stops(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        _set(pane, steps="100000000")
        await pilot.press("f5")
        await _wait(pilot, lambda: pane.current is not None and len(pane.current.series) > 50)
        plot = pane.query_one(LossPlot)
        await _wait(pilot, lambda: plot.points_drawn > 10)
        metrics = pane.query_one("#dash-metrics", TrainMetrics)
        await _wait(pilot, lambda: "steps/s" in metrics.plain)
        for label in ("loss", "acc", "steps/s", "step", "epoch", "elapsed", "ETA"):
            assert label in metrics.plain
        assert 0 < metrics.fraction < 1  # the progress bar moves
        assert pane.training
        pane.action_pause()
        await _wait(pilot, lambda: pane.current.last.paused, what="a paused report")
        assert pane.current.state == "paused"
        pane.action_pause()
        await _wait(pilot, lambda: not pane.current.last.paused, what="running again")
        await pilot.press("f5")
        await _wait(pilot, lambda: pane.current.state == "stopped")
        assert "Stopped after" in _message(pane)


async def test_a_finished_run_falls_and_exports(make_app, tmp_home):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        _set(pane, dataset="xor", hidden="8", lr="0.05", steps="400", batch_size="4")
        pane.action_start()
        await _wait(pilot, lambda: pane.current.state == "done")
        raw = pane.current.series.raw()
        assert len(raw) == 400 and raw[-20:].mean() < raw[:20].mean() / 4
        pane.focus_default()
        await pilot.press("v")  # the decision boundary of the 2-D set, computed in the kernel
        view = pane.query_one(BoundaryView)
        await _wait(pilot, lambda: view.display and view.size.width > 10)
        assert view.boundary is not None and "●" in str(view.render())
        await pilot.press("v")
        pane.action_export()
        await _wait(pilot, lambda: "Exported to" in _message(pane))
        runs = list(state.runs_dir().iterdir())
        assert len(runs) == 1
        await _wait(pilot, lambda: (runs[0] / "model.pt").exists(), what="model.pt")
        names = sorted(p.name for p in runs[0].iterdir())
        assert names == ["config.json", "history.csv", "model.pt", "train.py"]
        lines = (runs[0] / "history.csv").read_text().splitlines()
        assert lines[0] == "step,loss,accuracy,elapsed" and len(lines) == 401
        meta = json.loads((runs[0] / "config.json").read_text())
        assert meta["dataset"] == "xor" and meta["summary"]["steps"] == 400
        # train.py is plain PyTorch that ends where the run ended
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        done = subprocess.run(
            [sys.executable, "-I", "train.py"], cwd=runs[0], capture_output=True, text=True,
            env=env, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        final = float(done.stdout.split("final loss ")[1].split()[0])
        want = meta["summary"]["final_loss"]
        assert abs(final - want) <= max(1e-3, 0.02 * abs(want)), (final, want)
        assert "tui" not in (runs[0] / "train.py").read_text().split('"""', 2)[2]


async def test_the_repl_model_trains_in_place_from_the_dashboard(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        await _cell(app, SEED_XOR)
        _set(pane, steps="300")
        pane.focus_default()
        await pilot.press("t")
        await _wait(pilot, lambda: pane.current is not None and pane.current.state == "done")
        assert pane.current.source == "repl" and pane.current.summary.steps == 300
        _, out = await _cell(app, "print(bool((model.layer1.weight != w_before).any()))")
        assert out.strip() == "True"  # the REPL sees the trained weights


async def test_a_cell_using_model_while_it_trains_is_warned(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        await _cell(app, SEED_XOR)
        _set(pane, steps="100000000")
        pane.action_train_repl()
        await _wait(pilot, lambda: pane.current.last is not None, what="the REPL model run")
        outcome, _ = await _cell(app, "model.layer1.weight.shape")
        assert "model is training in the dashboard" in outcome.payload.warning
        pane.action_stop()
        await _wait(pilot, lambda: pane.current.state == "stopped")


async def test_bad_settings_and_a_missing_repl_model_get_clear_messages(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        pane.action_train_repl()
        await _wait(pilot, lambda: "no model, X, y" in _message(pane))
        assert not pane.training
        _set(pane, lr="-1", epochs="zero")
        await pilot.press("f5")
        text = _message(pane)
        assert "lr must be" in text and "epochs must be" in text
        assert not pane.training


async def test_the_kernel_dying_mid_run_keeps_the_curve_and_says_so(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        _set(pane, steps="100000000")
        pane.action_start()
        await _wait(pilot, lambda: pane.current.last is not None and len(pane.current.series))
        steps = len(pane.current.series)
        # what the app routes when the kernel ends (the shared kernel itself lives on)
        app.screen.route_kernel_event(kl.Died("killed by SIGKILL"))
        await pilot.pause()
        assert pane.current.state == "stopped" and len(pane.current.series) >= steps
        assert "Run ended: kernel died: killed by SIGKILL" in _message(pane)
        pane.action_start()  # a new run stops the orphaned one in the kernel
        await _wait(pilot, lambda: pane.current.last is not None)
        app.screen.route_kernel_event(kh.Starting(restart=True))
        await pilot.pause()
        assert "kernel restarted" in _message(pane) and len(pane.runs) == 2
        pane.redraw()
        assert pane.query_one(LossPlot).points_drawn > 0  # the curves stay


async def test_f5_before_the_kernel_is_ready_says_it_is_starting(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        link, app.kernel.link = app.kernel.link, None  # as during a restart
        try:
            await pilot.press("f5")
            assert "kernel is still starting" in _message(pane) and pane.current is None
        finally:
            app.kernel.link = link
        pane.post_message(km.message_for(kl.Ready(link.welcome)))  # the run starts once ready
        await _wait(pilot, lambda: pane.current is not None and pane.current.last is not None)
        pane.action_stop()
        await _wait(pilot, lambda: not pane.training)


async def test_start_stop_fifty_times_ends_every_run(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        _set(pane, steps="100000000")
        for _ in range(50):
            pane.action_toggle_training()
            pane.action_toggle_training()
            await pilot.pause()
        await _wait(pilot, lambda: not pane.training, what="every run to end")
        assert len(pane.runs) <= 6
        pane.action_start()  # and the next one still trains
        await _wait(pilot, lambda: pane.current.last is not None and pane.current.last.step)
        pane.action_stop()
        await _wait(pilot, lambda: not pane.training)


async def test_device_list_shows_what_the_kernel_has(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        select = pane.query_one("#cfg-device", Select)
        assert [value for _, value in select._options][0] == "cpu"
        fake = p.Welcome(
            device="cpu",
            devices=[
                p.DeviceRow("cpu", "cpu"),
                p.DeviceRow("cuda:0", "cuda:0 NVIDIA Fake GPU (80.0 GiB)", 80 * 2**30),
            ],
        )
        pane.post_message(km.message_for(kl.Ready(fake)))  # a restarted kernel with a GPU
        await _wait(pilot, lambda: len(select._options) > 1)
        labels = [str(prompt) for prompt, _ in select._options]
        assert "cuda:0 NVIDIA Fake GPU (80.0 GiB)" in labels
        assert select.value == "cpu"


async def test_the_focused_setting_is_marked_by_its_label(make_app):
    """Compact fields show no focus of their own: a keyboard user sees the row's label."""
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        await pilot.press("f4")
        await _wait(pilot, lambda: app.focused is pane.plot)
        await pilot.press("shift+tab")
        await _wait(pilot, lambda: app.focused is not None and app.focused.id == "cfg-ddp")
        await pilot.pause()
        labels = {str(lab.render()): lab for lab in pane.query(".dash-row Label")}
        focused, other = labels["parallel"], labels["device"]
        assert focused.styles.color != other.styles.color
        assert focused.styles.text_style.bold and not other.styles.text_style.bold


async def test_narrow_layout_gives_the_dashboard_the_screen(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await _ready(app, pilot)
        await pilot.press("f4")
        await pilot.pause()
        plot = pane.query_one(LossPlot)
        assert pane.size.width >= 78 and plot.size.width >= 40 and plot.size.height >= 8
        await pilot.press("c")  # hide the settings: the plot takes the width
        await pilot.pause()
        assert plot.size.width >= 70
