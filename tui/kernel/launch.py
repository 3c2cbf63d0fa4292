"""Start a kernel process before the first frame, without importing jupyter_client.

The connection file is written here by hand (it is a small JSON document) so that the
kernel can be spawned in the first milliseconds of the app and import torch on the other
core while the UI paints. Channels use the IPC transport (unix sockets in a private 0700
folder) and fall back to loopback TCP only where a socket path would be too long.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: A unix socket path holds at most ~107 bytes; "<folder>/k-<port>" must fit in it.
MAX_SOCKET_PATH = 100
CHANNELS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


def runtime_root() -> Path:
    """A short private folder for sockets, connection files and the kernel's log."""
    override = os.environ.get("TORCH_TUI_RUNTIME")
    if override:
        root = Path(override)
    else:
        xdg = os.environ.get("XDG_RUNTIME_DIR")
        base = Path(xdg) if xdg and os.path.isdir(xdg) else Path(tempfile.gettempdir())
        root = base / f"torch-tui-{os.getuid()}"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    return root


def _free_tcp_ports(count: int) -> list[int]:
    sockets, ports = [], []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
    return ports


def write_connection_file(folder: Path, name: str) -> tuple[Path, dict]:
    """A 0600 connection file with a fresh HMAC key; IPC unless the path is too long."""
    base = folder / name
    info: dict = {"key": secrets.token_hex(32), "signature_scheme": "hmac-sha256"}
    if len(str(base)) + 6 <= MAX_SOCKET_PATH:
        info.update(transport="ipc", ip=str(base))
        info.update({ch: i + 1 for i, ch in enumerate(CHANNELS)})
    else:
        info.update(transport="tcp", ip="127.0.0.1")
        info.update(dict(zip(CHANNELS, _free_tcp_ports(len(CHANNELS)), strict=True)))
    info["kernel_name"] = "torch-tui"
    path = folder / f"{name}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(info, f)
    return path, info


def ipython_dir() -> Path:
    """The kernel's own IPython folder: no user startup files, nothing in ~/.ipython."""
    from tui.core import state

    path = state.data_dir() / "ipython"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class KernelProcess:
    """A kernel we started: its process, connection file and log."""

    proc: subprocess.Popen
    connection_file: Path
    info: dict
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def poll(self) -> int | None:
        return self.proc.poll()

    def exit_reason(self) -> str:
        """'exit code 1', 'signal SIGSEGV', ... for a process that has ended."""
        from tui.core.exits import exit_text

        return exit_text(self.proc.poll())

    def interrupt(self) -> None:
        """SIGINT to the kernel's whole group, as jupyter_client does."""
        self._signal(signal.SIGINT)

    def kill(self) -> None:
        """End the kernel and everything it started (its own process group)."""
        self._signal(signal.SIGKILL)
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        for path in (self.connection_file, *self._socket_paths()):
            try:
                path.unlink()
            except OSError:
                pass

    def _socket_paths(self) -> list[Path]:
        if self.info.get("transport") != "ipc":
            return []
        return [Path(f"{self.info['ip']}-{self.info[ch]}") for ch in CHANNELS]

    def _signal(self, sig: int) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass


def spawn_kernel(cwd: Path | None = None, folder: Path | None = None) -> KernelProcess:
    """Start ``python -m tui.kernel.boot`` with the app's own interpreter.

    The kernel gets a new session (no controlling terminal, its own process group), a
    closed stdin, its output in a log file, and polls our pid so it ends with the app.
    """
    folder = folder or runtime_root()
    name = f"k{os.getpid()}-{secrets.token_hex(3)}"
    conn, info = write_connection_file(folder, name)
    log_path = folder / f"{name}.log"
    env = dict(os.environ)
    env["IPYTHONDIR"] = str(ipython_dir())
    env["JPY_PARENT_PID"] = str(os.getpid())
    env.pop("PYTHONSTARTUP", None)
    env.pop("PYTEST_CURRENT_TEST", None)  # ipykernel leaves fds 1 and 2 alone under pytest
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env["TERM"] = "dumb"
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    log = open(log_path, "ab", buffering=0)  # noqa: SIM115 - handed to the child
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui.kernel.boot", "-f", str(conn)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(cwd) if cwd else None,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    finally:
        log.close()
    return KernelProcess(proc, conn, info, log_path)
