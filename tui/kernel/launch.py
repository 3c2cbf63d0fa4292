"""Start a kernel process before the first frame, without importing jupyter_client.

The connection file is written here by hand (it is a small JSON document) so that the
kernel can be spawned in the first milliseconds of the app and import torch on the other
core while the UI paints. Channels use the IPC transport (unix sockets in a private 0700
folder) and fall back to loopback TCP only where a socket path would be too long.
Each kernel's output goes to ``k<pid>-<hex>.log`` there; the logs of the last
``KEEP_LOGS`` kernels are kept (``prune_runtime``), and ``KernelProcess.log_tail`` and
``exit_reason`` read the cause of a death from the log.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tui.platform.text import strip_escapes

#: A unix socket path holds at most ~107 bytes; "<folder>/k-<port>" must fit in it.
MAX_SOCKET_PATH = 100
CHANNELS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
#: Kernel logs kept in the runtime folder (the newest; older ones go at the next spawn).
KEEP_LOGS = 10
#: Bytes read from the end of a kernel's log for its last lines.
LOG_TAIL_BYTES = 64 * 1024


class RuntimeDirError(OSError):
    """``TORCH_TUI_RUNTIME`` names a folder torch-tui will not use; the message says why."""


#: Private folders made by this process in place of an unsafe default (see runtime_root).
_made: dict[str, Path] = {}


def runtime_root() -> Path:
    """A short private folder for sockets, connection files and the kernels' logs.

    ``TORCH_TUI_RUNTIME`` if set, else ``$XDG_RUNTIME_DIR/torch-tui-<uid>``, else
    ``<tmp>/torch-tui-<uid>``. It is created 0700; a folder already there is used only if
    it is a real folder (not a symlink) owned by ``os.getuid()``, and only then is its
    mode set to 0700 (ours to fix). Anything else (say another local user made
    ``/tmp/torch-tui-<uid>`` first) is never chmodded nor written to:

    - the default location is replaced by a fresh private folder for this process
      (``tempfile.mkdtemp(prefix="torch-tui-<uid>-")``), with one warning in
      ``state.warnings`` (the app shows it once the kernel is up);
    - an explicit ``TORCH_TUI_RUNTIME`` is refused: ``RuntimeDirError``, which the CLI
      prints as one line before it exits 2.
    """
    override = os.environ.get("TORCH_TUI_RUNTIME")
    if override:
        root = Path(override).expanduser()
        problem = _claim(root, parents=True)
        if problem:
            raise RuntimeDirError(f"TORCH_TUI_RUNTIME={override}: {problem}")
        return root
    uid = os.getuid()
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    base = Path(xdg) if xdg and os.path.isdir(xdg) else Path(tempfile.gettempdir())
    root = base / f"torch-tui-{uid}"
    made = _made.get(str(root))
    if made is not None and os.path.isdir(made):
        return made
    problem = _claim(root)
    if not problem:
        return root
    made = Path(tempfile.mkdtemp(prefix=f"torch-tui-{uid}-"))  # 0700, ours
    _made[str(root)] = made
    from tui.platform import state

    state.warnings.add(f"not using {root} ({problem}); kernel files are in {made} this time")
    return made


def _claim(root: Path, parents: bool = False) -> str | None:
    """Make ``root`` our 0700 folder; why it cannot be (None when it is ours now).

    Checked through a descriptor opened without following a symlink, so what is checked
    is what gets its mode fixed."""
    try:
        if parents:
            root.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(root, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        return f"cannot create it: {exc.strerror or exc}"
    try:
        info = os.lstat(root)
        if stat.S_ISLNK(info.st_mode):
            return "it is a symlink"
        if not stat.S_ISDIR(info.st_mode):
            return "it is not a folder"
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        return f"cannot open it: {exc.strerror or exc}"
    try:
        info = os.fstat(fd)
        if info.st_uid != os.getuid():
            return f"it belongs to another user (uid {info.st_uid})"
        if stat.S_IMODE(info.st_mode) != 0o700:
            os.fchmod(fd, 0o700)
    except OSError as exc:
        return f"cannot make it private: {exc.strerror or exc}"
    finally:
        os.close(fd)
    return None


def release_runtime() -> None:
    """Remove the private folders this process made in place of an unsafe default (at
    exit: they hold only its kernels' files). Best effort."""
    for made in list(_made.values()):
        shutil.rmtree(made, ignore_errors=True)
    _made.clear()


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
    """The kernel's own IPython folder: no user startup files, nothing in ~/.ipython.

    Where the data dir cannot be created (read-only, full, a file in its place) the
    kernel gets a temporary folder, and ``state.warnings`` says nothing is saved."""
    from tui.platform import state

    path = state.data_dir() / "ipython"
    made = _made.get(str(path))
    if made is not None and os.path.isdir(made):
        return made
    try:
        path.mkdir(parents=True, exist_ok=True)
        return path
    except OSError as exc:
        made = Path(tempfile.mkdtemp(prefix="torch-tui-ipython-"))
        _made[str(path)] = made
        why = exc.strerror or str(exc)
        state.warnings.add(f"not saved: cannot create {path.parent} ({why})")
        return made


_OURS = re.compile(r"k(\d+)-[0-9a-f]+")
#: A traceback's last line: ``OSError: [Errno 28] No space left on device: '/x'``.
_ERROR_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?(\w*(?:Error|Exception))(?::\s*(.*))?$")
_ERRNO = re.compile(r"^\[Errno \d+\]\s*")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: someone's, alive
        return True
    return True


def prune_runtime(folder: Path, keep: int = KEEP_LOGS) -> None:
    """Delete the logs of all but the ``keep`` newest kernels (``k<pid>-<hex>.log``, pid
    being the app's), and the connection files and sockets of apps that are gone. An
    older log whose kernel may still run (its app alive, its connection file there)
    stays. Best effort: never raises."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    names = {e.name for e in entries}
    logs: list[tuple[float, bool, str]] = []
    doomed: list[str] = []
    for entry in entries:
        stem, dot, ext = entry.name.rpartition(".")
        if not dot:
            stem, _, ext = entry.name.rpartition("-")  # a socket: k<pid>-<hex>-<n>
            ext = "socket" if ext.isdigit() else ""
        match = _OURS.fullmatch(stem)
        if match is None or ext not in ("log", "json", "socket"):
            continue
        alive = _alive(int(match[1]))
        if ext != "log":
            if not alive:
                doomed.append(entry.path)
            continue
        try:
            mtime = entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        logs.append((mtime, alive and f"{stem}.json" in names, entry.path))
    logs.sort(reverse=True)
    doomed += [path for _, in_use, path in logs[keep:] if not in_use]
    for path in doomed:
        try:
            os.unlink(path)
        except OSError:
            pass


def log_cause(tail: str) -> str:
    """The error a log's last lines end with, in words: ``OSError: [Errno 28] No space
    left on device: '/x'`` gives "No space left on device: '/x'", ``ModuleNotFoundError:
    No module named 'ipykernel'`` stays as it is; "" when no error line is there."""
    for line in reversed(tail.splitlines()):
        match = _ERROR_LINE.match(line.strip())
        if match is None:
            continue
        name, message = match[1], (match[2] or "").strip()
        if _ERRNO.match(message):
            return _ERRNO.sub("", message)[:160]
        return (f"{name}: {message}" if message else name)[:160]
    return ""


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
        """'exit code 1', 'killed by SIGSEGV', ... for a process that has ended. A kernel
        that exited by itself (not by a signal) whose log ends in an error gets the error
        first: a full disk reads "No space left on device: '/x'; exit code 0" (the kernel
        exits 0 whatever failed, see ``tui.kernel.boot``)."""
        from tui.platform.exits import exit_text

        returncode = self.proc.poll()
        code = exit_text(returncode)
        if returncode is None or returncode < 0:
            return code
        cause = log_cause(self.log_tail(lines=3))
        return f"{cause}; {code}" if cause else code

    def log_tail(self, lines: int = 1, limit: int = LOG_TAIL_BYTES) -> str:
        """The last ``lines`` meaningful lines of the kernel's log (no blank lines, no
        lines of only markers such as ``^^^^``, no colour codes), each cut at 200
        characters, joined by newlines; only the last ``limit`` bytes are read. "" when
        there is no log."""
        try:
            with open(self.log_path, "rb") as fh:
                size = fh.seek(0, os.SEEK_END)
                fh.seek(max(0, size - limit))
                data = fh.read(limit)
        except OSError:
            return ""
        text = strip_escapes(data.decode("utf-8", errors="replace"))
        kept = [ln.strip()[:200] for ln in text.splitlines() if any(c.isalnum() for c in ln)]
        return "\n".join(kept[-lines:]) if lines > 0 else ""

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
    prune_runtime(folder)
    return KernelProcess(proc, conn, info, log_path)
