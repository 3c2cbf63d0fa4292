"""Where torch-tui keeps its files, and how it writes them without ever losing one.

Every path comes from platformdirs (override the root with ``TORCH_TUI_HOME``, which the
tests use so they never touch the real home). Writes are atomic: a temp file in the same
folder, flushed and fsynced, then ``os.replace``. Reads are tolerant: a file that cannot be
loaded (unreadable, over 16 MB, not UTF-8, not JSON, nested too deep, the wrong type) is
moved aside as ``NAME.corrupt-<time>`` and reported, never raised, so no state file can
block a start or a save.
Two instances may share one state dir: writers that merge take ``locked(path)`` around
read-merge-write, so neither overwrites what the other saved.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import platformdirs

APP_NAME = "torch-tui"


def _home_override() -> Path | None:
    root = os.environ.get("TORCH_TUI_HOME")
    return Path(root).expanduser().resolve() if root else None


def data_dir() -> Path:
    """User data: progress, history, the user's own lessons, exported runs."""
    root = _home_override()
    return root / "data" if root else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    root = _home_override()
    return (
        root / "config" if root else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    )


def state_dir() -> Path:
    root = _home_override()
    return root / "state" if root else Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


def user_lessons_dir() -> Path:
    return data_dir() / "lessons"


def runs_dir() -> Path:
    return data_dir() / "runs"


class StateError(Exception):
    """A state file could not be written; the message says which and why."""


@dataclass
class Warnings:
    """Warnings collected while reading state, for the UI to show once."""

    messages: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.messages.append(message)

    def drain(self) -> list[str]:
        out, self.messages = self.messages, []
        return out


#: Process-wide collector: the app shows these in its status line after start-up.
warnings = Warnings()


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """A file to write that becomes ``path`` only when the block ends without an error, so
    a reader sees the old file or the new one, never half: a temp file in the same folder
    (``mode`` "w" for UTF-8 text, "wb" for bytes), flushed, fsynced, then renamed over
    ``path``. On any error the temp file is removed and the error raised as it was."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (``atomic_file``), making its folder if need
    be; StateError says why it could not."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as fh:
            fh.write(text)
    except OSError as exc:
        raise StateError(f"cannot save {path}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (via ``NAME.lock`` beside it) for a merge.

    flock is advisory and dies with its holder, so a crashed instance never leaves the
    state dir locked. Where locking is unavailable the merge still runs, unlocked.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: merge without the lock
        yield
        return
    lock_path = Path(path).with_name(Path(path).name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StateError(f"cannot lock {path}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # no locks on this file system (some NFS): merge unlocked
            pass
        yield
    finally:
        os.close(fd)  # closing releases the lock


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def set_aside(path: Path, reason: str) -> Path | None:
    """Move a corrupt file out of the way, keeping it for the user to inspect."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    try:
        os.replace(path, target)
    except OSError:
        warnings.add(f"{path.name} is unreadable ({reason}) and could not be moved aside")
        return None
    warnings.add(f"{path.name} was unreadable ({reason}); kept as {target.name}")
    return target


#: A state file larger than this is not read (set aside): ours are a few hundred KB.
MAX_STATE_BYTES = 16 * 1024 * 1024


def _read_capped(path: Path) -> bytes:
    """The file's bytes; ``_Unloadable`` says why not (too big, not a regular file, ...).

    Opened non-blocking so that a FIFO left in its place cannot hang the app, and sized
    with ``fstat`` before anything is read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Unloadable("not a regular file")
        if info.st_size > MAX_STATE_BYTES:
            raise _Unloadable(f"larger than {_cap_text()}")
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > MAX_STATE_BYTES:  # grew while being read
                raise _Unloadable(f"larger than {_cap_text()}")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _cap_text() -> str:
    return f"{MAX_STATE_BYTES / 2**20:g} MB"


class _Unloadable(Exception):
    """A state file that exists but cannot be loaded; the message is the reason."""


def read_json(path: Path, default: Any = None, expect: type | None = dict) -> Any:
    """Read JSON, or return ``default`` when missing. Never raises: a file that cannot be
    loaded (unreadable, not a regular file, over ``MAX_STATE_BYTES``, not UTF-8, invalid
    JSON, nested too deep, of the wrong type) is set aside with the reason and reported
    through ``warnings``. Callers still check the types inside what they get."""
    path = Path(path)
    try:
        raw = _read_capped(path)
    except FileNotFoundError:
        return default
    except _Unloadable as exc:
        set_aside(path, str(exc))
        return default
    except OSError as exc:  # permission denied, an I/O error, a folder in its place
        set_aside(path, exc.strerror or str(exc))
        return default
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        set_aside(path, "not UTF-8")
        return default
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        set_aside(path, f"invalid JSON at line {exc.lineno}")
        return default
    except RecursionError:
        set_aside(path, "nested too deep")
        return default
    except ValueError:  # an integer over Python's digit limit
        set_aside(path, "a value Python cannot read")
        return default
    except MemoryError:
        set_aside(path, "too large to load")
        return default
    if expect is not None and not isinstance(data, expect):
        set_aside(path, f"expected a JSON {expect.__name__}")
        return default
    return data
