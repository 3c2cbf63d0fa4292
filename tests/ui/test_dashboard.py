"""The dashboard through Pilot: F5 start/stop, the curve, metrics, devices, the REPL model,
export, bad settings, and no threads left behind."""

from __future__ import annotations

import threading
from functools import partial

from textual.widgets import Input, Select, Static

import tui.core.devices as devices
from tui.app import TorchTUI
from tui.core import state
from tui.core.devices import DeviceInfo
from tui.widgets.dashboard_boundary import BoundaryView
from tui.widgets.dashboard_pane import DashboardPane
from tui.widgets.loss_plot import LossPlot
from tui.widgets.train_metrics import TrainMetrics

from .pilot_wait import wait_for

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


async def _ready(app, pilot) -> DashboardPane:
    pane = app.screen.query_one("#dashboard", DashboardPane)
    # pane.built: the settings and the plot are mounted after the first frame
    await _wait(pilot, lambda: app.torch_info is not None and app.session is not None)
    await _wait(pilot, lambda: pane.built)
    return pane


def _set(pane: DashboardPane, **values: str) -> None:
    for name, value in values.items():
        widget = pane.query_one(f"#cfg-{name}")
        if isinstance(widget, Input):
            widget.value = value
        else:
            assert isinstance(widget, Select)
            widget.value = value


async def test_f5_starts_draws_the_curve_and_f5_stops():
    app = TorchTUI(device="cpu")
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
        await pilot.press("f5")
        await _wait(pilot, lambda: pane.current.state == "stopped")
        assert pane.current.handle.done.wait(5)
        assert "Stopped after" in _text(pane.query_one("#dash-message", Static))


async def test_a_finished_run_falls_and_exports(tmp_home):
    app = TorchTUI(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        _set(pane, dataset="xor", hidden="8", lr="0.05", steps="400", batch_size="4")
        pane.action_start()
        await _wait(pilot, lambda: pane.current.state == "done")
        raw = pane.current.series.raw()
        assert len(raw) == 400 and raw[-20:].mean() < raw[:20].mean() / 4
        pane.focus_default()
        await pilot.press("v")  # the decision boundary of the 2-D set, computed in the worker
        view = pane.query_one(BoundaryView)
        await _wait(pilot, lambda: view.display and view.size.width > 10)
        assert view.boundary is not None and "●" in str(view.render())
        await pilot.press("v")
        pane.action_export()
        await _wait(pilot, lambda: "Exported to" in _text(pane.query_one("#dash-message", Static)))
        runs = list(state.runs_dir().iterdir())
        assert len(runs) == 1
        names = sorted(p.name for p in runs[0].iterdir())
        assert names == ["config.json", "history.csv", "model.pt"]
        lines = (runs[0] / "history.csv").read_text().splitlines()
        assert lines[0] == "step,loss,accuracy,elapsed" and len(lines) == 401


async def test_the_repl_model_trains_in_place_from_the_dashboard():
    app = TorchTUI(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        assert app.session.execute(SEED_XOR).ok
        _set(pane, steps="300")
        pane.focus_default()
        await pilot.press("t")
        await _wait(pilot, lambda: pane.current is not None and pane.current.state == "done")
        assert pane.current.source == "repl" and pane.current.summary.steps == 300
        result = app.session.execute("print(bool((model.layer1.weight != w_before).any()))")
        assert result.stdout.strip() == "True"  # the REPL sees the trained weights


async def test_bad_settings_and_a_missing_repl_model_get_clear_messages():
    app = TorchTUI(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        message = pane.query_one("#dash-message", Static)
        pane.action_train_repl()
        await _wait(pilot, lambda: "no model, X, y" in _text(message))
        assert not pane.training
        _set(pane, lr="-1", epochs="zero")
        await pilot.press("f5")
        text = _text(message)
        assert "lr must be" in text and "epochs must be" in text
        assert not pane.training


async def test_start_stop_fifty_times_leaves_no_threads():
    app = TorchTUI(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        _set(pane, steps="100000000")
        pane.action_toggle_training()
        pane.action_toggle_training()
        await _wait(pilot, lambda: pane.current.handle.done.is_set())
        baseline = threading.active_count()
        for _ in range(50):
            pane.action_toggle_training()
            pane.action_toggle_training()
            await pilot.pause()
        await _wait(pilot, lambda: all(r.handle.done.is_set() for r in pane.runs))
        await app.workers.wait_for_complete()
        assert threading.active_count() <= baseline + 1
        assert len(pane.runs) <= 6


async def test_device_list_shows_cuda_when_present(monkeypatch):
    fake = [
        DeviceInfo("cpu", "cpu"),
        DeviceInfo("cuda:0", "cuda:0 NVIDIA Fake GPU (80.0 GiB)", 80 * 2**30),
    ]
    monkeypatch.setattr(devices, "discover", lambda: list(fake))
    app = TorchTUI(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        select = pane.query_one("#cfg-device", Select)
        # The pane fills its list when the torch-ready signal reaches it, a moment later.
        await _wait(pilot, lambda: len(select._options) > 1)
        labels = [str(prompt) for prompt, _ in select._options]
        assert "cuda:0 NVIDIA Fake GPU (80.0 GiB)" in labels
        assert select.value == "cpu"


async def test_device_list_is_cpu_only_without_cuda(monkeypatch):
    monkeypatch.setattr(devices, "discover", lambda: [DeviceInfo("cpu", "cpu")])
    app = TorchTUI()
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await _ready(app, pilot)
        select = pane.query_one("#cfg-device", Select)
        assert [value for _, value in select._options] == ["cpu"]


async def test_the_focused_setting_is_marked_by_its_label():
    """Compact fields show no focus of their own: a keyboard user sees the row's label."""
    app = TorchTUI(device="cpu")
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


async def test_narrow_layout_gives_the_dashboard_the_screen():
    app = TorchTUI(device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await _ready(app, pilot)
        await pilot.press("f4")
        await pilot.pause()
        plot = pane.query_one(LossPlot)
        assert pane.size.width >= 78 and plot.size.width >= 40 and plot.size.height >= 8
        await pilot.press("c")  # hide the settings: the plot takes the width
        await pilot.pause()
        assert plot.size.width >= 70
