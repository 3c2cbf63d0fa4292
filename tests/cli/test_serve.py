"""``torch-tui serve`` as a user runs it: a real server process on loopback, with a login.

Without the token nothing of the app is served and no app process starts; other Hosts and
Origins are refused; sessions stop at ``--max-sessions``. Each accepted websocket starts a
real app (and a kernel that imports torch), so only one is accepted here.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from ui.procs import children, with_env

from tui.cli import build_parser, main
from tui.cli.serve import app_command
from tui.cli.serve_guard import TOKEN_ENV, cookie_name

TOKEN = "test-token-" + "x" * 24
EXTERNAL_URL = re.compile(r"""(?:https?|wss?)://[^\s"'<>)]+""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a LISTEN socket on ``port``, from /proc/net/tcp (Linux)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        addr, hex_port = local.split(":")
        if int(hex_port, 16) == port and state == "0A":
            found.add(socket.inet_ntoa(bytes.fromhex(addr)[::-1]))
    return found


def _get(port: int, path: str, **headers: str) -> tuple[int, Any, str]:
    """One GET to the server (no redirects followed): status, headers, body."""
    headers = {k.replace("_", "-"): v for k, v in headers.items()}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        conn.close()


def _environ(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return []


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class Served:
    """``python -m tui serve`` in its own process group, its output collected line by line.

    Every process it leads to (apps, their kernels, even orphans) has our TORCH_TUI_HOME
    in its environment: ``stop`` finds them by it and kills what is left.
    """

    def __init__(
        self,
        home: Path,
        *args: str,
        env: dict[str, str] | None = None,
        launcher: list[str] | None = None,
    ) -> None:
        """``launcher`` runs ``torch-tui`` (default ``python -m tui``), then ``serve``."""
        self.home = home
        self.port = _free_port()
        full_env = {**os.environ, "TORCH_TUI_HOME": str(home), "HOME": str(home)}
        full_env.pop("SSH_CONNECTION", None)
        full_env.pop(TOKEN_ENV, None)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [
                *(launcher or [sys.executable, "-m", "tui"]),
                "serve",
                "--port",
                str(self.port),
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=full_env,
            start_new_session=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._pumps = [
            threading.Thread(target=self._pump, args=(stream, lines), daemon=True)
            for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))
        ]
        for pump in self._pumps:
            pump.start()

    @staticmethod
    def _pump(stream: Any, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    def output(self) -> str:
        return "".join(self.out) + "".join(self.err)

    def check(self, predicate: Callable[[], Any], what: str, timeout: float = 30) -> Any:
        """Poll ``predicate`` until it is true; fail with the output if it never is."""
        deadline = time.monotonic() + timeout
        while not (value := predicate()):
            assert self.proc.poll() is None, (
                f"serve exited while waiting for {what}:\n{self.output()}"
            )
            assert time.monotonic() < deadline, f"no {what} in {timeout} s:\n{self.output()}"
            time.sleep(0.05)
        return value

    async def acheck(self, predicate: Callable[[], Any], what: str, timeout: float = 60) -> Any:
        """``check`` for async tests: the event loop keeps running while we wait."""
        deadline = time.monotonic() + timeout
        while not (value := predicate()):
            assert self.proc.poll() is None, (
                f"serve exited while waiting for {what}:\n{self.output()}"
            )
            assert time.monotonic() < deadline, f"no {what} in {timeout} s:\n{self.output()}"
            await asyncio.sleep(0.05)
        return value

    def login_url(self) -> str:
        pattern = re.compile(rf"http://localhost:{self.port}/\?token=\S+")
        return self.check(lambda: pattern.search("".join(self.out)), "login URL").group(0)

    def wait_listening(self) -> None:
        def answers() -> bool:
            try:
                return _get(self.port, "/static/css/xterm.css")[0] == 200
            except OSError:
                return False

        self.check(answers, "answer on the port")

    def logged(self, text: str) -> str:
        """Wait for a stderr line containing ``text`` (refusals are logged there)."""
        return self.check(lambda: next((ln for ln in self.err if text in ln), None), repr(text))

    def apps(self) -> list[int]:
        """The server's child processes: one per accepted session."""
        return children(self.proc.pid, b"")

    def ours(self) -> list[int]:
        """Every live process started under this server's home, the server excepted."""
        return [pid for pid in with_env(f"TORCH_TUI_HOME={self.home}") if pid != self.proc.pid]

    def stop(self) -> None:
        leftovers = set(self.ours())
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for pid in leftovers | set(self.ours()):
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for pump in self._pumps:
            pump.join(timeout=5)
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One server for the module: a known token from the environment, one session at most."""
    server = Served(
        tmp_path_factory.mktemp("serve-home"), "--max-sessions", "1", env={TOKEN_ENV: TOKEN}
    )
    try:
        server.wait_listening()
        yield server
    finally:
        server.stop()


def _cookie(server: Served, token: str = TOKEN) -> str:
    return f"{cookie_name(server.port)}={token}"


def test_serve_prints_the_login_url_and_listens_on_loopback_only(served):
    assert served.login_url() == f"http://localhost:{served.port}/?token={TOKEN}"
    assert f"ssh -L {served.port}:localhost:{served.port}" in "".join(served.out)
    if Path("/proc/net/tcp").exists():
        assert _listening_addresses(served.port) == {"127.0.0.1"}


@pytest.mark.parametrize("path", ["/", "/?fontsize=20", "/ws", "/download/abc", "/nope"])
def test_without_the_token_nothing_is_served(served, path):
    status, _, body = _get(served.port, path)
    assert status == 401
    assert "?token=" in body and "<html" not in body and "textual" not in body.lower()
    served.logged(f"refused GET {path.split('?')[0]} from 127.0.0.1: no token")
    assert served.apps() == []


@pytest.mark.parametrize(
    ("path", "cookie", "status"),
    [
        ("/?token=wrong-token-wrong-token", None, 403),
        ("/", "torch-tui-token-{port}=wrong-token-wrong-token", 403),
        ("/download/abc", "torch-tui-token-{port}=wrong-token-wrong-token", 403),
        ("/", "torch-tui-token-1={token}", 401),  # another server's cookie
    ],
)
def test_a_wrong_token_is_refused(served, path, cookie, status):
    headers = {"Cookie": cookie.format(port=served.port, token=TOKEN)} if cookie else {}
    code, _, body = _get(served.port, path, **headers)
    assert code == status and "<html" not in body
    assert served.apps() == []


def test_the_token_sets_a_cookie_and_leaves_the_address_bar(served):
    status, headers, _ = _get(served.port, f"/?token={TOKEN}&fontsize=20")
    assert status == 303 and headers["Location"] == "./?fontsize=20"
    cookie = headers["Set-Cookie"]
    assert cookie.startswith(f"{_cookie(served)};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie

    status, _, page = _get(served.port, "/?fontsize=20", Cookie=_cookie(served))
    assert status == 200 and "torch-tui" in page
    assert f"ws://localhost:{served.port}/ws" in page  # what a browser behind a tunnel needs
    assert served.apps() == []  # the page alone starts nothing


def test_the_page_focuses_the_terminal_so_keys_work_before_any_click(served):
    _, _, page = _get(served.port, "/", Cookie=_cookie(served))
    # xterm.js reads keys through this textarea; textual.js never focuses it
    assert '.querySelector("#terminal .xterm-helper-textarea")' in page
    assert "input.focus()" in page and 'addEventListener("load", focusTerminal)' in page
    import textual_serve

    script = Path(textual_serve.__file__).parent / "static" / "js" / "textual.js"
    assert "xterm-helper-textarea" in script.read_text()  # the class xterm.js gives it


def test_the_page_loads_nothing_from_outside_the_box(served):
    _, _, page = _get(served.port, "/", Cookie=_cookie(served))
    own = (f"http://localhost:{served.port}/", f"ws://localhost:{served.port}/")
    assert [url for url in EXTERNAL_URL.findall(page) if not url.startswith(own)] == []
    assert "Roboto Mono" in page and "fonts/RobotoMono" in page  # the font, served locally


@pytest.mark.parametrize("path", ["/", "/static/css/xterm.css", "/download/abc"])
def test_other_hosts_are_refused(served, path):
    status, _, body = _get(served.port, path, Host="evil.example.com", Cookie=_cookie(served))
    assert status == 403 and "<html" not in body
    served.logged(f"refused GET {path} from 127.0.0.1: Host 'evil.example.com' not allowed")


def test_static_files_need_no_token_and_a_tunnel_port_is_fine(served):
    assert _get(served.port, "/static/js/textual.js")[0] == 200
    status, _, page = _get(served.port, "/", Host="localhost:9000", Cookie=_cookie(served))
    assert status == 200 and "torch-tui" in page


async def _handshake_status(served: Served, **kwargs: Any) -> int:
    url = f"ws://127.0.0.1:{served.port}/ws"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            async with session.ws_connect(url, **kwargs):
                pass
    return refused.value.status


async def test_websockets_need_the_cookie_their_own_origin_and_a_free_session(served):
    port, own = served.port, f"http://127.0.0.1:{served.port}"
    cookie = {"Cookie": _cookie(served)}
    assert await _handshake_status(served, origin=own) == 401
    assert await _handshake_status(served, origin="http://evil.example.com", headers=cookie) == 403
    assert (
        await _handshake_status(served, origin=f"http://127.0.0.1:{port + 1}", headers=cookie)
        == 403
    )
    assert await _handshake_status(served, headers=cookie) == 403  # no Origin
    served.logged("refused GET /ws from 127.0.0.1: Origin 'http://evil.example.com'")
    assert served.apps() == []

    url = f"ws://127.0.0.1:{port}/ws?width=80&height=24"
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url, origin=own, headers=cookie) as first:
            await served.acheck(served.apps, "app process")
            kernel = await served.acheck(
                lambda: [p for p in served.ours() if b"tui.kernel.boot" in _cmdline(p)],
                "kernel process",
            )
            for pid in served.apps() + kernel:  # the app and the learner's REPL
                assert not [v for v in _environ(pid) if v.startswith(f"{TOKEN_ENV}=".encode())]

            async with session.ws_connect(url, origin=own, headers=cookie) as second:
                message = await second.receive(timeout=10)
                assert message.type == aiohttp.WSMsgType.CLOSE
                assert message.data == 1013 and "All 1 torch-tui session is in use" in message.extra
            served.logged("refused GET /ws from 127.0.0.1: all 1 sessions in use")
            assert len(served.apps()) == 1
            frame = await first.receive(timeout=60)  # the app itself, drawing its first screen
            assert frame.type == aiohttp.WSMsgType.BINARY and frame.data, frame
        # The tab is closed: its app ends, and its place is free again, once the server
        # has reaped it (a moment after the process is gone: a tab opened within that
        # moment is told to try again, 1013, like any tab past the cap).
        await served.acheck(lambda: served.apps() == [], "app exit after the tab closed")
        deadline = time.monotonic() + 30
        while True:
            again = await session.ws_connect(url, origin=own, headers=cookie)
            try:
                first_message = await again.receive(timeout=0.5)
            except TimeoutError:
                break  # no close: this tab has its session
            if first_message.type != aiohttp.WSMsgType.CLOSE:
                break  # its app is drawing already
            assert first_message.data == 1013, first_message
            await again.close()
            assert time.monotonic() < deadline, "the closed tab's place was never freed"
            await asyncio.sleep(0.1)
        try:
            await served.acheck(served.apps, "app process for the next tab")
            assert not again.closed
        finally:
            await again.close()
    await served.acheck(lambda: served.apps() == [], "app exit after the last tab closed")


def test_the_token_is_never_logged(served):
    lines = [ln for ln in served.out + served.err if TOKEN in ln]
    assert lines == [f"  http://localhost:{served.port}/?token={TOKEN}\n"]
    assert re.sub(r"\s+", "", served.output()).count(TOKEN) == 1  # nor wrapped over lines
    assert "token=<token>" in served.output()  # the access log, redacted


def test_the_token_can_come_from_a_file(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("file-token-" + "y" * 24 + "\n")
    token_file.chmod(0o600)
    server = Served(tmp_path / "home", "--token-file", str(token_file))
    try:
        assert server.login_url().endswith("?token=file-token-" + "y" * 24)
        server.wait_listening()
        assert _get(server.port, "/?token=file-token-" + "y" * 24)[0] == 303
    finally:
        server.stop()


def test_serve_without_textual_serve_says_how_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)  # import fails
    assert main(["serve", "--port", str(_free_port())]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'torch-tui[serve]'" in err


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_bad_port_is_one_line_and_exit_2(port, capsys):
    assert main(["serve", "--port", port]) == 2
    err = capsys.readouterr().err
    assert "port" in err and err.count("\n") == 1


def test_busy_port_is_one_line_and_exit_2(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert main(["serve", "--port", str(s.getsockname()[1])]) == 2
    err = capsys.readouterr().err
    assert "cannot listen" in err and err.count("\n") == 1


def test_each_browser_tab_runs_the_app_with_the_same_options():
    args = build_parser().parse_args(["--device", "cpu", "--low-bandwidth", "serve"])
    cmd = app_command(args)
    assert cmd.endswith("-m tui --device cpu --low-bandwidth")
