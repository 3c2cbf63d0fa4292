"""How the kernel is started: private files, IPC sockets, its own IPython folder, and
no kernel left behind when the app goes, however it goes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from tui.kernel import launch
from tui.kernel.link import KernelLink


def test_the_connection_file_is_private_and_uses_ipc(tmp_path):
    root = launch.runtime_root()
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    path, info = launch.write_connection_file(root, "t-private")
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert info["transport"] == "ipc" and info["signature_scheme"] == "hmac-sha256"
        assert len(info["key"]) == 64
        assert json.loads(path.read_text())["key"] == info["key"]
    finally:
        path.unlink()


def test_an_overlong_folder_falls_back_to_loopback_tcp(tmp_path):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    path, info = launch.write_connection_file(deep, "t-long")
    assert info["transport"] == "tcp" and info["ip"] == "127.0.0.1"
    assert all(isinstance(info[ch], int) and info[ch] > 0 for ch in launch.CHANNELS)


async def _answer(process: launch.KernelProcess) -> str:
    link = KernelLink(process.connection_file, lambda e: None, process=process, device="cpu")
    asyncio.get_running_loop().create_task(link.start())
    await asyncio.wait_for(link.ready.wait(), 120)
    out = await link.execute("6*7", lambda o: None)
    ipython_dir = await link.execute("get_ipython().ipython_dir", lambda o: None)
    await link.close()
    return out.text() + ipython_dir.text()


async def test_both_transports_run_a_cell(tmp_path, tmp_home, monkeypatch):
    for folder in (None, tmp_path / ("x" * 50) / ("y" * 50)):
        if folder is not None:
            folder.mkdir(parents=True)
            monkeypatch.setenv("TORCH_TUI_RUNTIME", str(folder))
        process = launch.spawn_kernel()
        expected = "ipc" if folder is None else "tcp"
        assert process.info["transport"] == expected
        text = await _answer(process)
        assert text.startswith("42\n")
        # The kernel's own IPython folder, inside torch-tui's data dir; none in ~/.ipython.
        assert str(tmp_home) in text
        assert not (Path(os.environ["HOME"]) / ".ipython").exists()
        assert not process.connection_file.exists()  # cleaned up by kill()


PARENT = """
import sys, time
from tui.kernel.launch import spawn_kernel
k = spawn_kernel()
print(k.pid, flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat_line = Path(f"/proc/{pid}/stat").read_text() if Path(f"/proc/{pid}").exists() else ""
    return " Z " not in stat_line


def test_a_kernel_ends_when_its_app_is_killed(tmp_home):
    """SIGKILL gives the app no chance to clean up: the kernel notices its parent is gone."""
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    kernel_pid = int(parent.stdout.readline())
    deadline = time.monotonic() + 60
    while not Path(f"/proc/{kernel_pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while _alive(kernel_pid):
        assert time.monotonic() < deadline, "the kernel outlived its app"
        time.sleep(0.2)


async def test_a_link_closed_while_it_connects_opens_no_channels(tmp_path, tmp_home):
    """A quick quit can close the link while jupyter_client is still being imported: the
    channels it would open afterwards are never closed, and their zmq context then hangs
    the process in ``term()`` when it is collected."""
    from jupyter_client.connect import write_connection_file

    conn, _ = write_connection_file(str(tmp_path / "kernel.json"), ip="127.0.0.1")
    link = KernelLink(Path(conn), lambda e: None)
    starting = asyncio.get_running_loop().create_task(link.start())
    await link.close(kill=False)  # before the start task has run at all
    await starting
    try:
        assert link.client is None
    finally:
        if link.client is not None:
            link.client.stop_channels()
