"""Per-thread stdout/stderr capture, a capped text buffer, and an interruptible sleep.

``sys.stdout`` and ``sys.stderr`` are global, but a REPL cell must only see its own
prints: a training thread printing at the same moment must not leak into the cell, and
a thread the user's cell starts must never write onto the terminal behind the UI. So a
:class:`StreamRouter` replaces each stream once and routes every ``write`` by the id of
the calling thread: a registered thread writes into its own buffer, the main thread
writes to the stream that was there before, and any other thread writes into a small
capped side buffer that the REPL shows, tagged, after the next cell.
"""

from __future__ import annotations

import io
import sys
import threading
import time
from collections import deque
from typing import Any, TextIO

#: A cell's stdout keeps at most this many characters and lines; the rest is counted.
MAX_CHARS = 100_000
MAX_LINES = 2_000


class CappedText:
    """A write-only text buffer that keeps the first part and counts what it drops.

    A 10 MB print costs one slice and one ``str.count``, so the cap also keeps the
    UI responsive: it never has to render more than ``max_lines`` lines.
    """

    def __init__(self, max_chars: int = MAX_CHARS, max_lines: int = MAX_LINES) -> None:
        self.max_chars = max_chars
        self.max_lines = max_lines
        self._parts: list[str] = []
        self._chars = 0
        self._lines = 0
        self.full = False
        self.dropped_chars = 0
        self.dropped_newlines = 0
        self._dropped_last = ""

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if not text:
            return 0
        if self.full:
            self._drop(text)
            return len(text)
        keep = text[: self.max_chars - self._chars]
        room = self.max_lines - self._lines
        newlines = keep.count("\n")
        if newlines >= room:
            cut = -1
            for _ in range(room):
                cut = keep.index("\n", cut + 1)
            keep = keep[: cut + 1]
            newlines = room
        self._parts.append(keep)
        self._chars += len(keep)
        self._lines += newlines
        if len(keep) < len(text):
            self.full = True
            self._drop(text[len(keep) :])
        elif self._chars >= self.max_chars or self._lines >= self.max_lines:
            self.full = True
        return len(text)

    def _drop(self, text: str) -> None:
        self.dropped_chars += len(text)
        self.dropped_newlines += text.count("\n")
        self._dropped_last = text[-1]

    @property
    def dropped_lines(self) -> int:
        """Lines not kept; a last line without a newline counts as one."""
        if not self.dropped_chars:
            return 0
        return self.dropped_newlines + (0 if self._dropped_last == "\n" else 1)

    def getvalue(self) -> str:
        text = "".join(self._parts)
        if self.dropped_chars:
            if text and not text.endswith("\n"):
                text += "\n"
            n = self.dropped_lines
            what = f"{n} more line{'s' if n != 1 else ''}"
            text += f"... {what} ({self.dropped_chars:,} characters not shown)\n"
        return text


class SideBuffer:
    """Recent output of threads nobody is listening to; bounded, thread-safe."""

    def __init__(self, max_chars: int = 8_000) -> None:
        self.max_chars = max_chars
        self._chunks: deque[str] = deque()
        self._chars = 0
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        with self._lock:
            self._chunks.append(text[-self.max_chars :])
            self._chars += len(self._chunks[-1])
            while self._chars > self.max_chars and len(self._chunks) > 1:
                self._chars -= len(self._chunks.popleft())

    def drain(self) -> str:
        with self._lock:
            text = "".join(self._chunks)
            self._chunks.clear()
            self._chars = 0
        return text


class StreamRouter(io.TextIOBase):
    """Stands in for sys.stdout or sys.stderr and routes each write by thread."""

    def __init__(self, fallback: TextIO, side: SideBuffer, name: str) -> None:
        super().__init__()
        self.fallback = fallback
        self.side = side
        self.name = name
        self.targets: dict[int, Any] = {}
        self._main = threading.main_thread().ident

    def _target(self) -> Any:
        ident = threading.get_ident()
        target = self.targets.get(ident)
        if target is not None:
            return target
        if ident == self._main:
            return self.fallback
        return self.side

    def write(self, text: str) -> int:
        target = self._target()
        if target is self.side:
            self.side.write(text)
            return len(text)
        return target.write(text)

    def writelines(self, lines) -> None:  # type: ignore[override]
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        target = self._target()
        if target is self.fallback:
            try:
                self.fallback.flush()
            except Exception:
                pass

    def isatty(self) -> bool:
        target = self._target()
        return target is self.fallback and bool(getattr(self.fallback, "isatty", lambda: False)())

    def fileno(self) -> int:
        if self._target() is self.fallback:
            return self.fallback.fileno()
        raise io.UnsupportedOperation("the REPL's output is captured and has no file descriptor")

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.fallback, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.fallback, "errors", None)


class InputRefused(RuntimeError):
    """Raised when a cell tries to read from the terminal, which the UI owns."""


InputRefused.__module__ = "builtins"  # tracebacks say "InputRefused: ...", not our path


INPUT_MESSAGE = (
    "input() is not available in the torch-tui REPL: the terminal belongs to the UI. "
    "Assign the value directly instead, e.g. name = 'Ada'."
)


class StdinGuard(io.TextIOBase):
    """Stands in for sys.stdin: a captured thread that reads gets a clear error."""

    def __init__(self, fallback: TextIO, guarded: dict[int, Any]) -> None:
        super().__init__()
        self.fallback = fallback
        self.guarded = guarded

    def _refuse(self) -> bool:
        return threading.get_ident() in self.guarded

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        if self._refuse():
            raise InputRefused(INPUT_MESSAGE)
        return self.fallback.read(size)

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        if self._refuse():
            raise InputRefused(INPUT_MESSAGE)
        return self.fallback.readline(size)

    def isatty(self) -> bool:
        return False if self._refuse() else bool(self.fallback.isatty())

    def fileno(self) -> int:
        if self._refuse():
            raise io.UnsupportedOperation("stdin is not available in the REPL")
        return self.fallback.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.fallback, "encoding", None) or "utf-8"


_install_lock = threading.Lock()
_side = SideBuffer()


def side_buffer() -> SideBuffer:
    return _side


def install() -> tuple[StreamRouter, StreamRouter]:
    """Make sure sys.stdout/sys.stderr are routers (again, if someone swapped them)."""
    with _install_lock:
        routers = []
        for name in ("stdout", "stderr"):
            current = getattr(sys, name)
            if not isinstance(current, StreamRouter):
                current = StreamRouter(current, _side, name)
                setattr(sys, name, current)
            routers.append(current)
        if not isinstance(sys.stdin, StdinGuard) and sys.stdin is not None:
            sys.stdin = StdinGuard(sys.stdin, routers[0].targets)  # type: ignore[assignment]
        elif isinstance(sys.stdin, StdinGuard):
            sys.stdin.guarded = routers[0].targets
        return routers[0], routers[1]


# -- interruptible sleep ----------------------------------------------------------------
# time.sleep sits in C, where an asynchronous KeyboardInterrupt is never delivered. For
# the threads registered here it sleeps in short slices, so ctrl+c stops a
# time.sleep(60) within ~50 ms; every other thread gets the real sleep.

_real_sleep = time.sleep
_sleepy_threads: set[int] = set()
SLICE = 0.05


def _sleep(seconds: float) -> None:
    if threading.get_ident() not in _sleepy_threads or seconds <= SLICE:
        _real_sleep(seconds)
        return
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        _real_sleep(min(SLICE, left))


def install_interruptible_sleep(ident: int) -> None:
    _sleepy_threads.add(ident)
    if time.sleep is not _sleep:
        _sleep.__doc__ = _real_sleep.__doc__
        time.sleep = _sleep
