"""Run a command under a pseudo-terminal and watch what it writes, for the benchmarks."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import termios
import time
from collections.abc import Callable


class PtyRun:
    """A child process on a pty of a given size; ``read_until`` collects its output."""

    def __init__(self, argv: list[str], cols: int = 120, rows: int = 40, env: dict | None = None):
        self.start = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # child
            os.execvpe(argv[0], argv, {**os.environ, **(env or {})})
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.output = bytearray()

    def read_for(self, seconds: float) -> bytes:
        """Read everything written during ``seconds``; return just that part."""
        got = bytearray()
        deadline = time.perf_counter() + seconds
        while (left := deadline - time.perf_counter()) > 0:
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.05))
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    break
                got += chunk
        self.output += got
        return bytes(got)

    def read_until(self, found: Callable[[bytes], bool], timeout: float = 30.0) -> float:
        """Seconds since start until ``found(all output)`` holds (raises on timeout)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.02)
            if ready:
                try:
                    self.output += os.read(self.fd, 65536)
                except OSError:
                    break
                if found(bytes(self.output)):
                    return time.perf_counter() - self.start
        raise TimeoutError("the program never showed what we waited for")

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def close(self) -> None:
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.time() + 5
        while time.time() < deadline:
            done, _ = os.waitpid(self.pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)
