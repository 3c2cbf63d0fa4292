"""Where torch-tui keeps its files, and how it writes them without ever losing one.

Every path comes from platformdirs (override the root with ``TORCH_TUI_HOME``, which the
tests use so they never touch the real home). Writes are atomic: a temp file in the same
folder, flushed and fsynced, then ``os.replace``. Reads are tolerant: a file that is not
valid JSON is moved aside as ``NAME.corrupt-<time>`` and reported, never raised.
Two instances may share one state dir: writers that merge take ``locked(path)`` around
read-merge-write, so neither overwrites what the other saved.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so a reader sees the old file or the new one, never half."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise StateError(f"cannot save {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
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
        fcntl.flock(fd, fcntl.LOCK_EX)
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


def read_json(path: Path, default: Any = None, expect: type | None = dict) -> Any:
    """Read JSON, or return ``default`` when missing; a corrupt file is set aside."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default
    except (OSError, UnicodeDecodeError) as exc:
        if isinstance(exc, UnicodeDecodeError):
            set_aside(path, "not UTF-8")
        else:
            warnings.add(f"cannot read {path.name}: {exc.strerror or exc}")
        return default
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        set_aside(path, f"invalid JSON at line {exc.lineno}")
        return default
    if expect is not None and not isinstance(data, expect):
        set_aside(path, f"expected a JSON {expect.__name__}")
        return default
    return data
