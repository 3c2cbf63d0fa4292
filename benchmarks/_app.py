"""The real app, headless, for the benchmarks: keys sent as a terminal driver sends them.

Only the measured side uses this module. Baselines are plain scripts (strings in each
benchmark) run by ``run_baseline`` in a process of their own, so nothing of ours is in
the figure they are compared with.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TORCH_TUI_HOME", tempfile.mkdtemp(prefix="bench-home-"))


def out(text: str = "") -> None:
    """Write to the real terminal (Textual captures print() while an app runs)."""
    sys.__stdout__.write(text + "\n")
    sys.__stdout__.flush()


def ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def p99(values: list[float]) -> float:
    """The 99th percentile (nearest rank), in the values' own unit."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


def run_baseline(code: str, *args: object, timeout: float = 600) -> dict:
    """Run a plain script with this interpreter; its last stdout line is a JSON object."""
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"baseline failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


async def until(
    condition: Callable[[], bool], timeout: float = 60.0, what: str = "", poll: float = 0.0002
) -> float:
    """Poll ``condition`` on the event loop; the time it first held (perf_counter)."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(poll)
    return time.perf_counter()


def send_key(app, key: str, character: str | None = None) -> None:
    """Post a key to the app the way the terminal driver does for a key it parsed."""
    from textual import events

    event = events.Key(key, character)
    event.set_sender(app)
    app._driver.send_message(event)


def log_lines(app, last: int | None = None) -> list[str]:
    from textual.widgets import RichLog

    lines = app.screen.query_one("#repl-log", RichLog).lines
    return [line.text for line in (lines[-last:] if last else lines)]


def shown(app, marker: str, last: int = 6) -> bool:
    return any(marker in line for line in log_lines(app, last))


def prompt_number(app) -> int:
    """The n of the REPL input's ``In [n]`` title: the number the next cell gets."""
    title = str(app.screen.query_one("#repl-input").border_title or "")
    return int(title.split("[", 1)[1].split("]", 1)[0])


@asynccontextmanager
async def repl_app(size: tuple[int, int] = (160, 48), timeout: float = 120.0):
    """The real app with its kernel spawned first (as the CLI does), the REPL focused and
    the kernel ready. Yields ``(app, pilot)``."""
    from tui.kernel.launch import spawn_kernel

    kernel = spawn_kernel(cwd=ROOT)
    try:
        from tui.ui.app import TorchTUI
        from tui.ui.repl.cell_input import ReplInput

        app = TorchTUI(device="cpu", kernel=kernel)
        measured = False
        try:
            async with app.run_test(size=size) as pilot:
                await pilot.press("f3")
                await until(
                    lambda: app.kernel.ready and isinstance(app.focused, ReplInput),
                    timeout,
                    "the kernel to be ready and the REPL focused",
                    poll=0.02,
                )
                await until(lambda: shown(app, "kernel ready", 20), 10, "'kernel ready'", 0.02)
                yield app, pilot
                measured = True
        except Exception as exc:
            if not measured:
                raise
            # Textual re-raises a handler's exception when the app closes: the figures
            # are taken by then, so say so loudly and keep them.
            out(f"WARNING: the app raised {type(exc).__name__}: {exc} (after the measurements)")
    finally:
        kernel.kill()


async def run_cell(app, pilot, source: str, marker: str | None = None) -> float:
    """Type ``source`` (untimed), press Enter as the driver would; seconds until the log
    shows ``marker`` (default: the cell's ``Out[n]``). Then, untimed, waits for the cell
    to finish (the input's ``running`` flag) so that the next one does not queue."""
    inp = app.focused
    inp.clear()
    inp.insert(source)
    await pilot.pause()
    number = prompt_number(app)
    marker = marker or f"Out[{number}]:"
    start = time.perf_counter()
    send_key(app, "enter", "\r")
    end = await until(lambda: shown(app, marker), 120, marker)
    await until(lambda: not inp.running, 120, "the cell to finish", 0.001)
    return end - start


class LagProbe:
    """A callback every ``period`` seconds on the running loop; records how late each fires.

    This is what a UI event loop that keeps up looks like from the inside: a timer that
    fires on time. Any work that holds the loop (rendering, a blocking call) makes it late.
    """

    def __init__(self, period: float = 0.010) -> None:
        self.period = period
        self.late: list[float] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._due = self._loop.time() + self.period
        self._handle = self._loop.call_at(self._due, self._fire)

    def _fire(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        self.late.append(now - self._due)
        self._due = now + self.period
        self._handle = self._loop.call_at(self._due, self._fire)

    def take(self) -> list[float]:
        """The lateness recorded since the last take (seconds)."""
        late, self.late = self.late, []
        return late

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
