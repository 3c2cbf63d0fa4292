"""Dashboard training speed against the bare loop, UI lag, redraw cost and history size.

    python benchmarks/bench_training.py            # the whole table (a fresh process per mode)
    python benchmarks/bench_training.py --quick    # shorter runs

Modes (each in its own process, so one mode's threads and allocator never colour another):

* ``bare-xor`` / ``bare-mlp``: the plain loop a learner writes, no UI;
* ``dash-xor``: the app running headless (``run_test``), the seed lesson's XOR net typed
  into its REPL and trained from the dashboard (``t``), plot live;
* ``dash-mlp``: an MLP 784-256-256-10 at batch 256 on synthetic data, from the
  dashboard's settings (F5), plot live; both dash modes also sample the event loop's lag;
* ``redraw``: one loss-plot redraw with 1,000,000 logged steps, and that history's size.

Ratios are dashboard / bare steps per second measured on the same machine in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED_XOR = """
import torch
import torch.nn as nn

class SimpleNet(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.layer1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.layer2 = nn.Linear(hidden_size, output_size)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        x = self.layer1(x)
        x = self.relu(x)
        x = self.layer2(x)
        x = self.sigmoid(x)
        return x

torch.manual_seed(0)
X = torch.tensor([[0,0],[0,1],[1,0],[1,1]], dtype=torch.float32)
y = torch.tensor([[0],[1],[1],[0]], dtype=torch.float32)
model = SimpleNet(2, 4, 1)
criterion = nn.BCELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
"""

MLP = {
    "dataset": "mnist-synth",
    "samples": "4096",
    "hidden": "256,256",
    "activation": "relu",
    "optimizer": "adam",
    "lr": "0.001",
    "batch_size": "256",
    "seed": "0",
}


PROBE = 0.1  # seconds between event-loop lag samples


def _steps(net: str, quick: bool) -> int:
    if net == "xor":
        return 4000 if quick else 15000
    return 150 if quick else 500


def bare(net: str, steps: int, device: str) -> dict:
    from tui.core.training import TrainConfig, bare_loop, build_job, job_from_namespace

    if net == "xor":
        ns: dict = {}
        exec(SEED_XOR, ns)
        job = job_from_namespace(ns, steps=steps)
    else:
        job = build_job(TrainConfig.from_mapping({**MLP, "device": device, "steps": steps}))
    bare_loop(job, max(10, steps // 20))  # warm up
    return {"steps_per_s": bare_loop(job, steps)}


async def _dash(net: str, steps: int, device: str) -> dict:
    from textual.widgets import Input, Select

    from tui.app import TorchTUI
    from tui.widgets.dashboard_pane import DashboardPane
    from tui.widgets.loss_plot import LossPlot

    app = TorchTUI(device=device, low_bandwidth=False)
    async with app.run_test(size=(160, 48)) as pilot:
        deadline = time.monotonic() + 60
        dash = app.query_one(DashboardPane)
        while (app.session is None or not dash.built) and time.monotonic() < deadline:
            await pilot.pause(0.05)
        # the dashboard's warm-up (the first optimizer imports ~800 torch modules in a
        # worker) must not overlap the timing: the bare mode warms up before timing too
        await app.workers.wait_for_complete()
        if net == "xor":
            app.session.execute(SEED_XOR)
            dash.query_one("#cfg-steps", Input).value = str(steps)
            dash.query_one("#cfg-batch_size", Input).value = "4"
        else:
            for key, value in {**MLP, "steps": str(steps)}.items():
                widget = dash.query_one(f"#cfg-{key}")
                if isinstance(widget, Select):
                    widget.value = value
                else:
                    widget.value = value
            dash.query_one("#cfg-device", Select).value = device
        await pilot.pause(0.1)
        lags: list[float] = []
        if net == "xor":
            dash.focus_default()
            await pilot.pause()
            dash.action_train_repl()
        else:
            await pilot.press("f5")
        run = dash.current
        while run.state == "starting":
            await asyncio.sleep(0.01)
        # Sample the event loop: how late does a 100 ms sleep wake while training runs?
        # And how much CPU does the UI thread take meanwhile (GIL the trainer waits for)?
        # 10 Hz, not 50: each probe wakes the UI thread, which takes the GIL from the
        # trainer; at 50 Hz the probe alone slowed the XOR net by ~5%.
        c0, w0 = time.thread_time(), time.perf_counter()
        while run.state == "running":
            t0 = time.perf_counter()
            await asyncio.sleep(PROBE)
            lags.append(time.perf_counter() - t0 - PROBE)
        ui_share = (time.thread_time() - c0) / max(1e-9, time.perf_counter() - w0)
        await pilot.pause(0.2)
        summary = run.summary
        if summary is None or run.error:
            raise SystemExit(f"dashboard run failed: {run.error}")
        drawn = app.query_one(LossPlot).points_drawn
        # Steady state, like the bare mode (which times after a warm-up of steps // 20):
        # the rate between the first report past that many steps and the end.
        s0, e0 = next(((s, e) for s, _, e in run.metrics if s >= steps // 20), (0, 0.0))
        steady = (summary.steps - s0) / max(1e-9, summary.elapsed - e0)
    lags.sort()
    return {
        "steps_per_s": steady,
        "steps_per_s_from_cold": summary.steps_per_s,
        "steps": summary.steps,
        "lag_p99_ms": 1000 * lags[int(0.99 * (len(lags) - 1))] if lags else 0.0,
        "lag_max_ms": 1000 * lags[-1] if lags else 0.0,
        "points_drawn": drawn,
        "ui_cpu_share": ui_share,
    }


async def _redraw() -> dict:
    import numpy as np
    from textual.app import App, ComposeResult

    from tui.core.series import LossSeries
    from tui.widgets.loss_plot import LossPlot

    series = LossSeries("1M steps")
    rng = np.random.default_rng(0)
    n = 1_000_000
    losses = (np.exp(-np.arange(n) / 2e5) + 0.05 * rng.random(n)).astype(np.float32)
    for chunk in np.array_split(losses, 1000):  # as reports arrive: 1,000 batches
        series.extend(chunk)

    class PlotApp(App):
        def compose(self) -> ComposeResult:
            yield LossPlot()

    app = PlotApp()
    times: list[float] = []
    cpu: list[float] = []
    ui: list[float] = []
    async with app.run_test(size=(100, 16)) as pilot:
        plot = app.query_one(LossPlot)
        while not plot.idle:  # the first (empty) figure
            await pilot.pause(0.01)
        for i in range(30):
            plot.log_scale = i % 3 == 1
            plot.smooth = i % 3 == 2
            # one redraw, all in this thread: the UI's decimation, then the worker's build
            t0, c0 = time.perf_counter(), time.thread_time()
            figure = plot.figure([series])
            ui.append(time.thread_time() - c0)
            plot.build(figure)
            times.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
    return {
        "redraw_ms_median": 1000 * statistics.median(times),
        "redraw_ms_max": 1000 * max(times),
        "redraw_cpu_ms_median": 1000 * statistics.median(cpu),
        "redraw_ui_ms_median": 1000 * statistics.median(ui),
        "history_mb": series.nbytes / 1e6,
        "steps": len(series),
    }


def child(mode: str, quick: bool, device: str) -> dict:
    if mode == "redraw":
        return asyncio.run(_redraw())
    kind, net = mode.split("-")
    steps = _steps(net, quick)
    if kind == "bare":
        return bare(net, steps, device)
    return asyncio.run(_dash(net, steps, device))


def run_mode(mode: str, quick: bool, device: str) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--device", device]
    if quick:
        cmd.append("--quick")
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"{mode} failed:\n{out.stderr[-2000:]}")
    return json.loads(lines[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--device", default="cpu")
    ap.add_argument(
        "--repeat", type=int, default=3, help="runs per mode, interleaved; the median counts"
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.quick, args.device)), flush=True)
        return 0

    results: dict[str, list[dict]] = {}
    order = ["bare-xor", "dash-xor", "bare-mlp", "dash-mlp"]
    for _ in range(args.repeat):  # interleaved, so drift in machine load hits both sides
        for mode in order:
            results.setdefault(mode, []).append(run_mode(mode, args.quick, args.device))
    redraw = run_mode("redraw", args.quick, args.device)

    def best(mode: str) -> dict:
        """The median run: on a shared box the bare loop has the wilder outliers, so a
        best-of would favour it; the median compares typical against typical."""
        runs = sorted(results[mode], key=lambda r: r["steps_per_s"])
        return runs[len(runs) // 2]

    rows = []
    ok = True
    for net, title in (
        ("xor", "seed XOR net (REPL model)"),
        ("mlp", "MLP 784-256-256-10, batch 256"),
    ):
        b, d = best(f"bare-{net}"), best(f"dash-{net}")
        ratio = d["steps_per_s"] / b["steps_per_s"]
        ok &= ratio >= 0.95
        rows.append(
            (
                f"steps/s, {title}",
                f"bare {b['steps_per_s']:,.0f} · dashboard {d['steps_per_s']:,.0f}",
                f"{ratio:.2f}",
                ">= 0.95",
            )
        )
    lag = max(
        statistics.median(r["lag_p99_ms"] for r in results[m]) for m in ("dash-xor", "dash-mlp")
    )
    ok &= lag <= 20
    rows.append(("UI event-loop lag p99 while training", f"{lag:.1f} ms", "", "<= 20 ms"))
    share = max(
        statistics.median(r["ui_cpu_share"] for r in results[m]) for m in ("dash-xor", "dash-mlp")
    )
    rows.append(("UI thread CPU while training (share of a core)", f"{share:.1%}", "", "small"))
    ok &= redraw["redraw_ms_median"] <= 15
    rows.append(
        (
            "one plot redraw, 1,000,000 steps (100x16)",
            f"{redraw['redraw_ms_median']:.1f} ms "
            f"({redraw['redraw_ui_ms_median']:.1f} ms of it on the UI thread)",
            "",
            "<= 15 ms",
        )
    )
    ok &= redraw["history_mb"] <= 16
    rows.append(("history of 1,000,000 steps", f"{redraw['history_mb']:.1f} MB", "", "<= 16 MB"))

    import os

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"device: {args.device}; median of {args.repeat} runs per mode, each a fresh process; "
        f"{os.cpu_count()} cores, load average {load:.1f} at the end"
    )
    print(f"| {'measure':<44} | {'value':<36} | ratio | target   |")
    print(f"|{'-' * 46}|{'-' * 38}|-------|----------|")
    for name, value, ratio, target in rows:
        print(f"| {name:<44} | {value:<36} | {ratio:>5} | {target:<8} |")
    print("all targets met" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
