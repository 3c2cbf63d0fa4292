"""The dashboard's data parallel option: picks DDPRunner, shows world size and global batch,
and Stop reaches the runner. The runner is faked here (the real one is tested on gloo in
tests/core/test_distributed.py), so this checks the wiring quickly."""

from __future__ import annotations

import numpy as np
from textual.widgets import Select

import tui.core.distributed as distributed
from tui.app import TorchTUI
from tui.core.distributed import DDPReport, DDPSummary
from tui.widgets.train_metrics import TrainMetrics

from .pilot_wait import wait_for

REAL = distributed.DDPRunner


class FakeRunner:
    made: list[FakeRunner] = []

    def __init__(self, config, world_size, on_report=None, stop=None, pause=None, **kw):
        self.config, self.world_size = config, world_size
        self.on_report, self.stop = on_report, stop
        self.global_batch = config.batch_size * world_size
        FakeRunner.made.append(self)

    def display_job(self):
        return REAL.display_job(self)  # the real preview, no processes

    backend = "gloo"

    def run(self):
        step = 0
        while not self.stop.wait(0.02):
            step += 5
            self.on_report(
                DDPReport(
                    first_step=step - 4, losses=np.linspace(1, 0.5, 5, dtype=np.float32),
                    step=step, total_steps=10_000, epoch=1, elapsed=step / 100,
                    steps_per_s=100.0, eta=10.0, world_size=self.world_size,
                    global_batch=self.global_batch, backend="gloo",
                )
            )  # fmt: skip
        return DDPSummary(
            steps=step, steps_per_s=100.0, final_loss=0.5, accuracy=None, device="2x cpu",
            elapsed=1.0, stopped=True, world_size=self.world_size,
            global_batch=self.global_batch, samples_per_s=100.0 * self.global_batch,
        )  # fmt: skip


async def test_data_parallel_option_trains_with_ddp_and_stops(monkeypatch):
    monkeypatch.setattr(distributed, "DDPRunner", FakeRunner)
    FakeRunner.made.clear()
    app = TorchTUI(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = app.screen.query_one("#dashboard")
        await wait_for(pilot, lambda: app.torch_info is not None and pane.built, timeout=60)
        pane.query_one("#cfg-ddp", Select).value = 2
        await pilot.press("f5")
        await wait_for(pilot, lambda: FakeRunner.made and pane.current and pane.current.last)
        runner = FakeRunner.made[0]
        assert runner.world_size == 2
        metrics = pane.query_one("#dash-metrics", TrainMetrics)
        want = f"world 2 · global batch {2 * runner.config.batch_size}"
        await wait_for(pilot, lambda: want in metrics.plain)
        await pilot.press("f5")  # stop
        await wait_for(pilot, lambda: pane.current.state == "stopped")
        assert runner.stop.is_set()
