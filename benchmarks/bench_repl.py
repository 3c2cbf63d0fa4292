"""REPL latency through the real app: a ``1+1`` cell, completion after ``torch.``, a restart.

    .venv/bin/python benchmarks/bench_repl.py [--cells 30] [--completions 50]

The app runs headless (``App.run_test``) with its kernel spawned first, as the CLI does.
The input is typed by the pilot (untimed); the timed part starts when the Enter (or tab)
key event is posted to the app, as the terminal driver posts it, and ends when the result
is on the widget: ``Out[n]: 2`` in the REPL log, the ``N completions:`` hint line.

Baseline, measured in the same run in a process of its own: the plain jupyter_client code
a user would write. It starts ``python -m ipykernel_launcher`` with ``KernelManager``,
then times ``BlockingKernelClient.execute_interactive("1+1")`` round trips and
``complete("torch.")`` round trips (with IPython's default completer, jedi on, and again
with ``%config IPCompleter.use_jedi = False``, the completer the app's kernel uses).

A split row (not a baseline) times the same client against the app's own kernel (``python
-m tui.kernel.boot`` with the agent installed but no app attached): the part of any gap
that is the kernel's rather than the app's.

Targets: the cell's median <= the bare round trip's median + 15 ms; tab after ``torch.``
to the hint <= 50 ms (median, warm). The restart (ctrl+n in the REPL until the new
kernel is ready and says "kernel ready") is reported, with no target.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _app import log_lines, ms, out, repl_app, run_baseline, run_cell, send_key, until  # noqa: E402

CELL_MARGIN_MS = 15.0
COMPLETE_TARGET_MS = 50.0
WARM_UP = 3

BASELINE = r"""
import json, sys, time
from jupyter_client.manager import KernelManager

cells, completions, kernel = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
km = KernelManager(kernel_name="python3")
if kernel == "torch-tui":  # the split row: the app's kernel and agent, no app
    km.kernel_cmd = [sys.executable, "-m", "tui.kernel.boot", "-f", "{connection_file}"]
km.start_kernel()
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=120)
kc.execute_interactive("import torch", output_hook=lambda msg: None, timeout=120)
if kernel == "torch-tui":
    for code in ("import tui.agent as a; a.install()", "a.preload('cpu')"):
        kc.execute_interactive(code, output_hook=lambda msg: None, timeout=120)

def cell():
    got = []
    def hook(msg):
        if msg["msg_type"] == "execute_result":
            got.append(msg["content"]["data"]["text/plain"])
    t = time.perf_counter()
    kc.execute_interactive("1+1", output_hook=hook, timeout=60)
    elapsed = time.perf_counter() - t
    assert got == ["2"], got
    return elapsed

def complete():
    t = time.perf_counter()
    reply = kc.complete("torch.", 6, reply=True, timeout=60)
    elapsed = time.perf_counter() - t
    matches = reply["content"]["matches"]
    assert len(matches) > 100 and any("abs" in m for m in matches), matches[:5]
    return elapsed

for _ in range(3):
    cell()
cell_times = [cell() for _ in range(cells)]
jedi, plain = [], []
if completions:
    for _ in range(3):
        complete()
    jedi = [complete() for _ in range(completions)]
    kc.execute_interactive("%config IPCompleter.use_jedi = False", output_hook=lambda m: None)
    for _ in range(3):
        complete()
    plain = [complete() for _ in range(completions)]
kc.stop_channels()
km.shutdown_kernel(now=True)
print(json.dumps({"cell": cell_times, "complete_jedi": jedi, "complete_plain": plain}))
"""


async def app_figures(cells: int, completions: int) -> dict[str, list[float]]:
    from textual.widgets import Static

    from tui.ui.repl.cell_input import ReplInput

    figures: dict[str, list[float]] = {"cell": [], "tab": [], "restart": []}
    async with repl_app() as (app, pilot):
        for i in range(cells + WARM_UP):
            took = await run_cell(app, pilot, "1+1")
            assert any(line.endswith(": 2") for line in log_lines(app, 3)), log_lines(app, 3)
            if i >= WARM_UP:
                figures["cell"].append(took)
            await pilot.pause()

        inp = app.focused
        hint = app.screen.query_one("#repl-hint", Static)
        for i in range(completions + WARM_UP):
            inp.clear()
            inp.insert("torch.")
            inp.post_message(ReplInput.Hint(""))
            await pilot.pause()
            start = time.perf_counter()
            send_key(app, "tab", "\t")
            end = await until(lambda: "completions:" in str(hint.render()), 30, "the hint")
            if i >= WARM_UP:
                figures["tab"].append(end - start)
        inp.clear()
        await pilot.pause()

        # Restart: ctrl+n in the REPL, until the new kernel is ready and the log says so.
        for _ in range(2):
            before = sum("kernel ready" in line for line in log_lines(app))
            start = time.perf_counter()
            send_key(app, "ctrl+n")
            await until(lambda: not app.kernel.ready, 10, "the restart to begin", 0.001)
            end = await until(
                lambda b=before: (
                    app.kernel.ready and sum("kernel ready" in line for line in log_lines(app)) > b
                ),
                120,
                "the restarted kernel",
                0.002,
            )
            figures["restart"].append(end - start)
            await pilot.pause(0.5)
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=30)
    ap.add_argument("--completions", type=int, default=50)
    args = ap.parse_args()

    base = run_baseline(BASELINE, args.cells, args.completions, "ipykernel")
    split = run_baseline(BASELINE, args.cells, 0, "torch-tui")
    ui = asyncio.run(app_figures(args.cells, args.completions))
    cell, base_cell = ms(ui["cell"]), ms(base["cell"])
    tab = ms(ui["tab"])
    jedi, plain = ms(base["complete_jedi"]), ms(base["complete_plain"])
    restart = ms(ui["restart"])

    rows = [
        ("bare jupyter_client: execute_interactive('1+1')", base_cell, "baseline"),
        ("(split) same client, torch-tui's kernel + agent", ms(split["cell"]), "not a baseline"),
        ("torch-tui: Enter -> 'Out[n]: 2' in the log", cell, f"{cell / base_cell:.2f}x"),
        ("bare jupyter_client: complete 'torch.' (jedi)", jedi, "baseline"),
        ("bare jupyter_client: complete 'torch.' (no jedi)", plain, "baseline"),
        ("torch-tui: tab after 'torch.' -> hint", tab, f"{tab / plain:.2f}x no-jedi"),
        ("torch-tui: ctrl+n -> new kernel ready", restart, "no target"),
    ]
    out(f"{'measure':52} {'median ms':>10} {'vs baseline':>14}")
    for name, value, note in rows:
        out(f"{name:52} {value:10.1f} {note:>14}")
    ok_cell = cell <= base_cell + CELL_MARGIN_MS
    ok_tab = tab <= COMPLETE_TARGET_MS
    out(
        f"cell: {cell:.1f} ms <= {base_cell:.1f} + {CELL_MARGIN_MS:.0f} ms: "
        f"{'PASS' if ok_cell else 'FAIL'} (over the bare round trip by {cell - base_cell:+.1f} ms)"
    )
    out(f"completion: {tab:.1f} ms <= {COMPLETE_TARGET_MS:.0f} ms: {'PASS' if ok_tab else 'FAIL'}")
    out(
        f"({args.cells} cells, {args.completions} completions, {len(ui['restart'])} restarts "
        f"[{', '.join(f'{r:.2f}' for r in ui['restart'])} s]; "
        f"stdev cell {statistics.pstdev(ui['cell']) * 1000:.1f} ms)"
    )
    return 0 if ok_cell and ok_tab else 1


if __name__ == "__main__":
    raise SystemExit(main())
