"""Training faults through the dashboard, training in the kernel: bad settings, divergence,
a lost device, a REPL model that does not fit, Start/Stop hammering, and quitting mid-run.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
import pytest_asyncio
from textual.widgets import Input, Select, Static

from hardening.conftest import SIZE, HardApp, dashboard, notes, static_text, wait_until

pytestmark = pytest.mark.asyncio(loop_scope="module")
ROOT = Path(__file__).resolve().parents[2]

DEFAULTS = {"lr": "0.03", "epochs": "100", "batch_size": "64", "hidden": "16,16", "steps": ""}


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def shared(tmp_path_factory, _shared):
    """One app on the shared kernel for the cases of this module."""
    home = tmp_path_factory.mktemp("training-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TORCH_TUI_HOME", str(home))
        mp.setenv("HOME", str(home))
        mp.delenv("SSH_CONNECTION", raising=False)
        app = HardApp(kernel=_shared.get(), keep_kernel=True)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.kernel.ready, what="the kernel")
            await wait_until(pilot, lambda: dashboard(app).built, what="the dashboard")
            yield app, pilot


async def run_cell(app, source: str) -> str:
    """Run ``source`` in the kernel (as the REPL does); its printed output."""
    outputs: list = []
    outcome = await app.kernel.execute(source, outputs.append)
    assert outcome.ok, (outcome.error_name, outcome.error_value)
    return "".join(getattr(o, "text", "") for o in outputs)


def message(app) -> str:
    return static_text(dashboard(app).query_one("#dash-message", Static))


async def set_fields(pilot, app, **values: str) -> None:
    pane = dashboard(app)
    for name, value in {**DEFAULTS, **values}.items():
        pane.query_one(f"#cfg-{name}", Input).value = value
    await pilot.pause()


async def settle(pilot, app) -> None:
    """No run going: stop whatever runs and wait for its thread to end."""
    pane = dashboard(app)
    if pane.training:
        pane.action_stop()
    await wait_until(pilot, lambda: not pane.training, what="the run to end")


async def start_and_see_it_run(pilot, app, **values: str) -> None:
    """F5 starts a run that reaches 'running' with losses drawn; F5 stops it."""
    pane = dashboard(app)
    await set_fields(pilot, app, **values)
    await pilot.press("f5")
    await wait_until(
        pilot, lambda: pane.current and len(pane.current.series) > 0, what="losses arriving"
    )
    await pilot.press("f5")
    await settle(pilot, app)
    assert pane.current.state in ("stopped", "done")


async def test_a_huge_lr_is_refused_and_divergence_says_which_step(shared):
    app, pilot = shared
    pane = dashboard(app)
    await set_fields(pilot, app, lr="1e6")
    await pilot.press("f5")
    await wait_until(pilot, lambda: "lr must be a number" in message(app), what="the lr message")
    assert "<= 100" in message(app) and not pane.training
    # the biggest lr allowed, with plain SGD on the regression set, diverges
    pane.query_one("#cfg-dataset", Select).value = "regression"
    pane.query_one("#cfg-optimizer", Select).value = "sgd"
    await set_fields(pilot, app, lr="100", steps="2000")
    await pilot.press("f5")
    await wait_until(pilot, lambda: "loss became" in message(app), what="the divergence message")
    text = message(app)
    assert "training stopped" in text and "try a smaller lr" in text and "at step" in text
    run = pane.current
    assert run.state == "failed" and len(run.series) > 0  # the curve up to it is kept
    assert "Inf" in notes(app) or "NaN" in notes(app)
    await settle(pilot, app)
    # restart works with a sane lr
    pane.query_one("#cfg-optimizer", Select).value = "adam"
    await start_and_see_it_run(pilot, app, lr="0.01", steps="100000")
    pane.query_one("#cfg-dataset", Select).value = "circles"


async def test_text_in_numeric_fields_names_every_bad_field(shared):
    app, pilot = shared
    pane = dashboard(app)
    await set_fields(pilot, app, lr="fast", epochs="ten", batch_size="-5", hidden="a,b")
    runs = len(pane.runs)
    await pilot.press("f5")
    await wait_until(pilot, lambda: "Settings:" in message(app), what="the settings message")
    text = message(app)
    for field in ("lr", "epochs", "batch_size", "hidden"):
        assert field in text
    assert "'fast'" in text and "'ten'" in text
    assert len(pane.runs) == runs and not pane.training  # nothing started
    await start_and_see_it_run(pilot, app, steps="100000")


async def test_a_device_that_vanished_is_reported(shared):
    app, pilot = shared
    pane = dashboard(app)
    # the device list had a GPU in it; the kernel has none (any more)
    select = pane.query_one("#cfg-device", Select)
    select.set_options([("cpu", "cpu"), ("cuda:7 Vanished GPU (80.0 GiB)", "cuda:7")])
    select.value = "cuda:7"
    await set_fields(pilot, app, steps="100")
    await pilot.press("f5")
    await wait_until(pilot, lambda: "not available" in message(app), what="the device message")
    assert "cuda:7" in message(app) and "have: cpu" in message(app)
    assert not pane.training
    pane.query_one("#cfg-device", Select).value = "cpu"
    await start_and_see_it_run(pilot, app, steps="100000")


async def test_the_repl_model_with_mismatched_x_and_y_says_which_shapes(shared):
    app, pilot = shared
    pane = dashboard(app)
    await run_cell(
        app,
        "model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))\n"
        "X = torch.randn(16, 2)\ny = torch.randn(10, 1)",
    )
    await pilot.press("f4", "t")
    await wait_until(pilot, lambda: "rows" in message(app), what="the rows message")
    assert "X has 16 rows but y has 10" in message(app)
    await run_cell(app, "y = torch.randn(16, 3)\ncriterion = nn.MSELoss()")
    await pilot.press("f4", "t")
    await wait_until(pilot, lambda: "shapes do not fit" in message(app), what="shape message")
    assert "(1,)" in message(app) and "(3,)" in message(app)
    # fixed: it trains the REPL's own model, and the REPL sees the new weights
    await run_cell(app, "y = torch.randn(16, 1)\nw0 = model[0].weight.detach().clone()")
    await set_fields(pilot, app, steps="200")
    await pilot.press("f4", "t")
    await wait_until(pilot, lambda: pane.current.state == "done", what="the REPL model run")
    assert (await run_cell(app, "print(bool((model[0].weight != w0).any()))")).strip() == "True"
    assert (await run_cell(app, "print(6 * 7)")).strip() == "42"  # the kernel is fine
    await run_cell(app, "del model")  # F5 trains the playground again for the next cases
    await wait_until(pilot, lambda: pane.target == "playground", what="the playground target")


TRAIN_THREADS = (
    "import threading as _t; print(sum(x.name.startswith('torch-tui-train') "
    "for x in _t.enumerate()))"
)


async def test_start_stop_fifty_times_leaves_no_threads(shared):
    app, pilot = shared
    pane = dashboard(app)
    await settle(pilot, app)
    await set_fields(pilot, app, steps="1000000")
    for _ in range(50):  # what F5, F5 does, without waiting a frame between the presses
        pane.action_toggle_training()  # start
        pane.action_toggle_training()  # stop
        await pilot.pause()
    await settle(pilot, app)
    assert "Stopped" in message(app) or "stopped" in pane.metrics.plain
    deadline = time.monotonic() + 30
    while (left := (await run_cell(app, TRAIN_THREADS)).strip()) != "0":
        assert time.monotonic() < deadline, f"{left} training threads left in the kernel"
        await pilot.pause(0.2)
    await start_and_see_it_run(pilot, app, steps="100000")
    assert app.is_running


@pytest.mark.filterwarnings("ignore:The test <Function:pytest.PytestWarning")
def test_quitting_mid_run_exits_within_a_second_and_leaves_nothing(tmp_home):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_wire import start_app

    app = start_app([], str(tmp_home), 160, 48)
    try:
        app.send(b"\x1b[15~")  # F5
        assert app.wait_for("▶ running".encode(), timeout=60), "training did not start"
        pid = app.pid
        children = _children(pid)
        start = time.monotonic()
        app.send(b"\x11")  # ctrl+q
        while app.poll() is None and time.monotonic() - start < 10:
            time.sleep(0.01)
        took = time.monotonic() - start
    finally:
        code = app.close()
    assert code == 0
    # about a second on an idle 2-core box; this bound leaves room for a loaded CI machine
    assert took < 3.0, f"quitting during training took {took:.2f} s"
    assert not [c for c in children if os.path.exists(f"/proc/{c}")], "processes left behind"


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return out
