"""REPL latency: a `1+1` cell through the headless app, and completion after `torch.`.

Run: ``.venv/bin/python benchmarks/bench_repl.py``. Prints a table of medians with the
ratio to the target (<= 1.0 passes) and to a baseline measured in the same run: the
same cell run straight on the session (no UI), and the stdlib ``rlcompleter`` on the
same namespace.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TORCH_TUI_HOME", tempfile.mkdtemp(prefix="bench-repl-"))

CELLS = 30
COMPLETIONS = 50


def out(text: str) -> None:
    """Write to the real terminal (Textual captures print() while an app runs)."""
    sys.__stdout__.write(text + "\n")
    sys.__stdout__.flush()


async def app_figures() -> dict[str, list[float]]:
    from textual import events
    from textual.widgets import RichLog, Static

    from tui.app import TorchTUI
    from tui.widgets.repl_input import ReplInput
    from tui.widgets.repl_pane import ReplPane

    app = TorchTUI(device="cpu")
    cell_times: list[float] = []
    tab_times: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f3")
        pane = app.screen.query_one(ReplPane)
        deadline = time.monotonic() + 60
        while pane.session is None or not isinstance(app.focused, ReplInput):
            assert time.monotonic() < deadline, "the session never started"
            await pilot.pause(0.05)
        inp = app.focused
        log = app.screen.query_one("#repl-log", RichLog)

        def send(event: events.Key) -> None:
            event.set_sender(app)
            app._driver.send_message(event)  # as the terminal driver does for a key

        def shown(marker: str) -> bool:
            return any(marker in line.text for line in log.lines[-4:])

        # Typing is done by the pilot (untimed); the timed part is what a terminal does:
        # the driver posts the Enter key to the app, and we wait until Out is in the log.
        for i in range(CELLS + 3):  # the first few warm up
            await pilot.press("1", "+", "1")
            number = pane.session.count + 1
            start = time.perf_counter()
            send(events.Key("enter", "\r"))
            while not shown(f"Out[{number}]: 2"):
                await asyncio.sleep(0.0002)
            if i >= 3:
                cell_times.append(time.perf_counter() - start)
            await pilot.pause()

        hint = app.screen.query_one("#repl-hint", Static)
        for i in range(13):
            inp.clear()
            inp.insert("torch.")
            await pilot.pause()
            start = time.perf_counter()
            send(events.Key("tab", "\t"))
            while "completions:" not in str(hint.render()):
                await asyncio.sleep(0.0002)
            if i >= 3:
                tab_times.append(time.perf_counter() - start)
            inp.post_message(ReplInput.Hint(""))
            await pilot.pause()
    return {"cell": cell_times, "tab": tab_times}


async def floor_figures(threaded: bool = False) -> dict[str, list[float]]:
    """Baseline: a bare Textual app whose Enter writes "Out: 2" to a RichLog, no thread.

    It measures this machine's key-to-screen floor right now (a loaded 2-core box is
    several times slower than an idle one), so the ratio says what the REPL adds.
    """
    from textual import events
    from textual.app import App
    from textual.binding import Binding
    from textual.widgets import RichLog, TextArea

    class Floor(App):
        BINDINGS = [Binding("enter", "run", priority=True)]

        def compose(self):
            yield RichLog(id="log")
            yield TextArea(id="in")

        def action_run(self) -> None:
            text = self.query_one("#in", TextArea).text
            self.query_one("#in", TextArea).clear()
            if self.pool is None:
                self.query_one("#log", RichLog).write(f"Out[{self.n}]: {eval(text)}")
                self.n += 1
            else:
                self.run_worker(self._threaded(text))

        async def _threaded(self, text: str) -> None:
            value = await asyncio.wrap_future(self.pool.submit(eval, text))
            self.query_one("#log", RichLog).write(f"Out[{self.n}]: {value}")
            self.n += 1

    app = Floor()
    app.pool = ThreadPoolExecutor(1) if threaded else None
    app.n = 1
    times = []
    async with app.run_test(size=(160, 48)) as pilot:
        log = app.query_one("#log", RichLog)
        app.query_one("#in", TextArea).focus()
        for i in range(CELLS + 3):
            await pilot.press("1", "+", "1")
            number = app.n
            start = time.perf_counter()
            event = events.Key("enter", "\r")
            event.set_sender(app)
            app._driver.send_message(event)
            while not any(f"Out[{number}]: 2" in line.text for line in log.lines[-2:]):
                await asyncio.sleep(0.0002)
            if i >= 3:
                times.append(time.perf_counter() - start)
            await pilot.pause()
    return {"floor_thread" if threaded else "floor": times}


def core_figures() -> dict[str, list[float]]:
    import rlcompleter

    from tui.core.session import Session

    session = Session("cpu")
    session.execute("1+1")
    cell = []
    for _ in range(CELLS):
        start = time.perf_counter()
        session.execute("1+1")
        cell.append(time.perf_counter() - start)
    ours, via_thread, rl = [], [], []
    session.complete("torch.")
    for _ in range(COMPLETIONS):
        start = time.perf_counter()
        c = session.complete("torch.")
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        session.submit(session.complete, "torch.", False).result()
        via_thread.append(time.perf_counter() - start)
    assert "zeros" in c.matches
    completer = rlcompleter.Completer(session.namespace)
    for _ in range(10):
        start = time.perf_counter()
        state = 0
        while completer.complete("torch.", state) is not None:
            state += 1
        rl.append(time.perf_counter() - start)
    return {"core_cell": cell, "complete": ours, "complete_thread": via_thread, "rlcompleter": rl}


def main() -> int:
    core = core_figures()
    floor = asyncio.run(floor_figures())
    floor.update(asyncio.run(floor_figures(threaded=True)))
    ui = asyncio.run(app_figures())
    med = {k: statistics.median(v) * 1000 for k, v in {**core, **floor, **ui}.items()}
    rows = [
        (
            "1+1 cell, headless app (enter -> Out shown)",
            med["cell"],
            20.0,
            "bare app",
            med["floor"],
        ),
        ("bare Textual app, enter -> log line (floor)", med["floor"], None, "", None),
        ("bare app + one worker-thread round trip", med["floor_thread"], None, "", None),
        ("1+1 cell, session.execute (no UI)", med["core_cell"], None, "", None),
        (
            "complete 'torch.' (session.complete)",
            med["complete"],
            50.0,
            "rlcompleter",
            med["rlcompleter"],
        ),
        (
            "complete 'torch.' on the exec thread",
            med["complete_thread"],
            50.0,
            "rlcompleter",
            med["rlcompleter"],
        ),
        (
            "tab after 'torch.' in the app -> candidates",
            med["tab"],
            50.0,
            "rlcompleter",
            med["rlcompleter"],
        ),
        ("rlcompleter 'torch.' (baseline)", med["rlcompleter"], None, "", None),
    ]
    out(
        f"{'measure':46} {'median ms':>10} {'target ms':>10} {'/target':>8}  {'/baseline':>10} baseline"
    )
    ok = True
    for name, value, target, base_name, base in rows:
        ratio_t = f"{value / target:8.2f}" if target else f"{'':8}"
        ratio_b = f"{value / base:10.2f}" if base else f"{'':10}"
        t = f"{target:10.1f}" if target else f"{'':10}"
        out(f"{name:46} {value:10.2f} {t} {ratio_t}  {ratio_b} {base_name}")
        if target and value > target:
            ok = False
    out(
        f"cells: {CELLS}, completions: {COMPLETIONS}; {'all within target' if ok else 'OVER TARGET'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
