"""``torch-tui serve`` with an app that hangs: it cannot keep its tab's place, nor the server.

The app of each tab is replaced by one that ignores SIGTERM, SIGHUP and SIGINT and never
exits nor reads its input (``serve.app_command`` patched in the server process). Its tab
closed, it is killed (SIGTERM, then SIGKILL to its process group) and with
``--max-sessions 1`` the next tab is accepted; Ctrl+C stops the server within 2 s.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
import sys
import textwrap
import time
from pathlib import Path

import aiohttp
import pytest
from test_serve import TOKEN, Served

from tui.cli.serve_guard import TOKEN_ENV, cookie_name

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

HUNG_APP = textwrap.dedent(
    """
    import signal, sys, time
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    sys.stdout.write("__GANGLION__\\n")
    sys.stdout.flush()
    while True:
        time.sleep(1000)
    """
)


def _serve_hung(tmp_path: Path) -> Served:
    script = tmp_path / "hung_app.py"
    script.write_text(HUNG_APP)
    command = shlex.join([sys.executable, str(script)])
    launcher = [
        sys.executable,
        "-c",
        "import sys, tui.cli.serve as serve; from tui.cli import main; "
        f"serve.app_command = lambda args: {command!r}; sys.exit(main())",
    ]
    home = tmp_path / "serve-home"
    home.mkdir()
    server = Served(home, "--max-sessions", "1", env={TOKEN_ENV: TOKEN}, launcher=launcher)
    server.wait_listening()
    return server


def _hung(server: Served) -> list[int]:
    """The hung app's processes (the shell textual-serve starts and the app)."""
    found = []
    for pid in server.ours():
        try:
            if b"hung_app.py" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            pass
    return found


def _tab(server: Served, session: aiohttp.ClientSession):
    url = f"ws://127.0.0.1:{server.port}/ws?width=80&height=24"
    cookie = {"Cookie": f"{cookie_name(server.port)}={TOKEN}"}
    return session.ws_connect(url, origin=f"http://127.0.0.1:{server.port}", headers=cookie)


async def _accepted(server: Served, session: aiohttp.ClientSession) -> bool:
    """Open a tab: True once its app runs, False if it is refused (all sessions in use)."""
    async with _tab(server, session) as tab:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _hung(server):
                return True
            try:
                message = await tab.receive(timeout=0.05)
            except TimeoutError:
                continue
            assert message.type == aiohttp.WSMsgType.CLOSE and message.data == 1013, message
            return False
    raise AssertionError(f"tab neither accepted nor refused:\n{server.output()}")


async def test_a_hung_app_s_place_is_freed_once_its_tab_closes(tmp_path):
    server = _serve_hung(tmp_path)
    try:
        async with aiohttp.ClientSession() as session:
            async with _tab(server, session) as first:
                await server.acheck(lambda: _hung(server), "the hung app")
                assert not first.closed
            closed = time.monotonic()
            await server.acheck(lambda: not _hung(server), "the hung app killed", timeout=20)
            gone = time.monotonic() - closed
            # As a user would: press Restart until the next tab is let in.
            while not await _accepted(server, session):
                assert time.monotonic() - closed < 20, server.output()
                await asyncio.sleep(0.1)
            took = time.monotonic() - closed
            print(f"hung app gone {gone:.2f} s, next tab in {took:.2f} s after its tab closed")
            assert took < 10
            await server.acheck(lambda: not _hung(server), "the second app killed", timeout=20)
    finally:
        server.stop()


async def test_ctrl_c_stops_the_server_within_2_s_with_a_hung_app(tmp_path):
    server = _serve_hung(tmp_path)
    try:
        async with aiohttp.ClientSession() as session:
            async with _tab(server, session) as tab:
                pids = await server.acheck(lambda: _hung(server), "the hung app")
                closing = asyncio.create_task(tab.receive())  # as a browser reads its tab
                t0 = time.monotonic()
                os.kill(server.proc.pid, signal.SIGINT)
                while server.proc.poll() is None and time.monotonic() - t0 < 10:
                    await asyncio.sleep(0.02)
                took = time.monotonic() - t0
                message = await asyncio.wait_for(closing, 5)
        print(f"serve stopped {took:.2f} s after SIGINT")
        assert server.proc.returncode is not None, "serve did not stop on SIGINT"
        assert took < 2.0, f"{took:.2f} s to stop:\n{server.output()}"
        assert message.type == aiohttp.WSMsgType.CLOSE and message.data == 1001, message
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
            await asyncio.sleep(0.02)
        assert not _hung(server)
    finally:
        server.stop()
