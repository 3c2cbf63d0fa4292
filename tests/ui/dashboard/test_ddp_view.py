"""The dashboard's data parallel option, for real: the agent starts two gloo workers from
the kernel, in their own process group (a ctrl+c to the kernel's group misses them), the
metrics show world size and global batch, and Stop (a message) ends every worker."""

from __future__ import annotations

import os

from textual.widgets import Input, Select

from tui.ui.dashboard.metrics import TrainMetrics

from ..pilot_wait import wait_for
from ..procs import children


def _workers(parent: int) -> list[int]:
    """The spawned worker processes of ``parent`` (not multiprocessing's resource tracker)."""
    return children(parent, b"spawn_main")


async def test_data_parallel_trains_in_the_kernel_and_stops_by_message(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = app.screen.query_one("#dashboard")
        await wait_for(pilot, lambda: app.kernel.ready and pane.built, timeout=60)
        for name, value in {"samples": "256", "batch_size": "32", "hidden": "8"}.items():
            pane.query_one(f"#cfg-{name}", Input).value = value
        pane.query_one("#cfg-steps", Input).value = "100000000"
        pane.query_one("#cfg-ddp", Select).value = 2
        await pilot.press("f5")
        await wait_for(
            pilot, lambda: pane.current is None or (pane.current.last and pane.current.last.step),
            timeout=150, what="the workers' first report",
        )  # fmt: skip
        assert pane.current is not None, str(pane.query_one("#dash-message").render())
        metrics = pane.query_one("#dash-metrics", TrainMetrics)
        await wait_for(pilot, lambda: "world 2 · global batch 64" in metrics.plain, timeout=30)
        assert "DDPx2" in pane.current.series.label
        kernel = app.kernel.pid
        workers = _workers(kernel)
        assert len(workers) == 2
        assert all(os.getpgid(w) != os.getpgid(kernel) for w in workers)
        app.kernel.interrupt()  # what ctrl+c in the REPL sends: the run goes on
        step = pane.current.last.step
        await wait_for(pilot, lambda: pane.current.last.step > step, timeout=30, what="steps")
        assert pane.current.state == "running"
        await pilot.press("f5")  # stop: a TrainControl message
        await wait_for(pilot, lambda: pane.current.state == "stopped", timeout=60)
        assert pane.current.summary.world_size == 2 and pane.current.summary.steps > 0
        await wait_for(pilot, lambda: not _workers(kernel), timeout=30, what="workers gone")
