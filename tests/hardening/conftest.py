"""Shared Pilot helpers for the fault matrix: drive the real app, wait on conditions.

Every helper waits on a condition with a deadline (never a fixed sleep). ``HardApp`` is
the real ``TorchTUI`` that also remembers each ``ReplPane.CellDone`` outcome, so a case
can assert what the user saw and that the app is still usable.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from textual.widgets import RichLog
from ui.pilot_wait import wait_for

import tui.ui.app as app_module
from tui.ui.app import TorchTUI

#: Generous: the CI box has two cores shared with other jobs.
DEADLINE = 60.0
SIZE = (160, 48)


class HardApp(TorchTUI):
    """The real app, recording the cells it ran (CellDone bubbles up to the app)."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("device", "cpu")
        super().__init__(**kw)
        self.cells: list[Any] = []

    def on_repl_pane_cell_done(self, message: Any) -> None:
        self.cells.append(message.outcome)


async def wait_until(
    pilot, condition: Callable[[], Any], timeout: float = DEADLINE, what: str = ""
) -> Any:
    """``wait_for`` with the fault matrix's generous deadline."""
    return await wait_for(pilot, condition, timeout, what)


async def ready(pilot, app: HardApp) -> None:
    """Wait until the kernel is ready and the panes are built."""
    await wait_until(pilot, lambda: app.kernel.ready, 120, what="the kernel")
    await wait_until(pilot, lambda: app.torch_info is not None, what="app.torch_info")
    repl = repl_pane(app)
    await wait_until(pilot, lambda: repl.built, what="the REPL")
    # the dashboard and the inspector mount their bodies after the first frame
    inspector = repl.query_one("#repl-inspector")
    await wait_until(pilot, lambda: dashboard(app).built and inspector.built, what="the panes")


def repl_pane(app: TorchTUI) -> Any:
    return app._main().query_one("#repl")


def lesson_pane(app: TorchTUI) -> Any:
    return app._main().query_one("#lessons")


def dashboard(app: TorchTUI) -> Any:
    return app._main().query_one("#dashboard")


async def run_cell(pilot, app: HardApp, source: str, timeout: float = DEADLINE) -> Any:
    """Run ``source`` through the REPL pane (as "send to REPL" does) and return its outcome."""
    before = len(app.cells)
    repl_pane(app).run_source(source)
    await wait_until(pilot, lambda: len(app.cells) > before, timeout, f"cell {source[:40]!r}")
    await pilot.pause()
    return app.cells[before]


async def type_cell(pilot, app: HardApp, source: str) -> None:
    """Focus the REPL with F3 and type ``source`` then Enter (single-line cells)."""
    await pilot.press("f3")
    await wait_until(pilot, lambda: app.focused is not None and app.focused.id == "repl-input")
    await pilot.press(*source, "enter")


def log_text(app: TorchTUI) -> str:
    log = app._main().query_one("#repl-log", RichLog)
    return "\n".join(strip.text for strip in log.lines)


def notes(app: TorchTUI) -> str:
    """Every notification message shown so far, one per line."""
    return "\n".join(str(n.message) for n in app._notifications)


def static_text(widget: Any) -> str:
    """The text a Static shows now."""
    return str(widget.render())


async def still_usable(pilot, app: HardApp, expr: str = "6 * 7", expect: Any = 42) -> None:
    """The next cell runs and gives the right value: the REPL survived."""
    outcome = await run_cell(pilot, app, expr)
    assert outcome.ok, outcome.error_value
    assert outcome.text() == f"{expect!r}\n"
    assert app.is_running


# -- no network ------------------------------------------------------------------------
class NetworkGuard:
    """Make every outbound connection fail loudly and remember who tried."""

    def __init__(self, allow_loopback: bool = False) -> None:
        self.allow_loopback = allow_loopback
        self.attempts: list[str] = []

    def _check(self, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) and address else address
        if self.allow_loopback and str(host) in ("127.0.0.1", "localhost", "::1"):
            return
        if isinstance(host, (str, bytes)) and not isinstance(address, tuple):
            return  # AF_UNIX paths (e.g. multiprocessing) are not the network
        self.attempts.append(repr(address))
        raise OSError(f"network access blocked in tests: {address!r}")


@pytest.fixture
def no_network(monkeypatch) -> Iterator[NetworkGuard]:
    """socket.connect/connect_ex/sendto raise during the test; ``attempts`` lists them."""
    guard = NetworkGuard()
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_sendto = socket.socket.sendto

    def connect(self, address):
        guard._check(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        guard._check(address)
        return real_connect_ex(self, address)

    def sendto(self, data, *args):
        guard._check(args[-1])
        return real_sendto(self, data, *args)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    yield guard


# -- one app per module ----------------------------------------------------------------
def shared_app_fixture(**app_kw: Any):
    """A module-scoped (app, pilot) for cases independent enough to share one app."""

    @pytest_asyncio.fixture(loop_scope="module", scope="module")
    async def shared(tmp_path_factory) -> Any:
        home = tmp_path_factory.mktemp("shared-home")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("TORCH_TUI_HOME", str(home))
            mp.setenv("HOME", str(home))
            mp.delenv("SSH_CONNECTION", raising=False)
            app = HardApp(**app_kw)
            app.hard_home = home  # the TORCH_TUI_HOME it started with
            async with app.run_test(size=SIZE) as pilot:
                await ready(pilot, app)
                yield app, pilot

    return shared
