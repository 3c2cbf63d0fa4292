"""``torch-tui serve``: answers HTTP on loopback only; a clear line when textual-serve is missing."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tui.cli import build_parser, main
from tui.cli.serve import app_command


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


def test_serve_answers_http_on_loopback_only(tmp_home):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        page, deadline = None, time.monotonic() + 30
        while page is None and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    assert r.status == 200
                    page = r.read().decode()
            except OSError:
                time.sleep(0.1)
        assert page is not None, "serve did not answer within 30 s"
        assert "torch-tui" in page
        assert f"ws://localhost:{port}/ws" in page  # what a browser behind a tunnel needs
        if Path("/proc/net/tcp").exists():
            assert _listening_addresses(port) == {"127.0.0.1"}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert f"ssh -L {port}:localhost:{port}" in out


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
