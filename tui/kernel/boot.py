"""The kernel process: ipykernel with torch-tui's settings (``python -m tui.kernel.boot -f FILE``).

IPython's plain completer (jedi takes 120-350 ms a completion on a small box), output of
file descriptors 1 and 2 forwarded to the front end, and no history database locks
shared with the user's own IPython (the kernel has its own IPYTHONDIR).

The kernel ends with its app, whatever way the app ends. ipykernel's own parent poller
(``JPY_PARENT_PID``) exits the kernel alone and leaves what a cell started (a
``sleep 300``, a server) holding memory, so this module watches the parent instead and
takes the kernel's whole process group (its session, from ``spawn_kernel``) with it.
After a shutdown request the interpreter skips its teardown (seconds with torch loaded)
once the atexit handlers, ipykernel's reply among them, have run.

What the agent swallows (a request that failed, a display it could not draw) goes to the
``tui`` loggers, written to the kernel's log file (``log_to_kernel_log``), never to the
learner's output.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
import time

PARENT_POLL = 0.5  # seconds between looks at the parent


def end_with_parent(parent: int) -> None:
    """Kill our process group, then ourselves, once ``parent`` is no longer our parent."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    try:
        if os.getpgrp() == os.getpid():  # we lead our group: everything a cell started
            os.killpg(os.getpid(), signal.SIGKILL)
    finally:
        os._exit(1)


class _LogLines(logging.Formatter):
    """One record per line, as usual; the lines of its traceback are marked ``  | ``, so
    a swallowed error is never read as the kernel's own last words (``launch.log_cause``
    takes the error a dying kernel's log ends with)."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\n  | ")


def log_to_kernel_log() -> None:
    """Send the ``tui`` loggers to the kernel's log file: file descriptor 2 as the app
    opened it (``launch.spawn_kernel``), copied before ipykernel captures fds 1 and 2 and
    forwards what they get to the front end."""
    try:
        stream = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
    except OSError:  # no fd 2 (closed by whoever started us): nowhere to write
        return
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_LogLines("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("tui")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _skip_teardown() -> None:
    """Registered first, so it runs last of the atexit handlers."""
    try:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed stream: nothing left to flush
                pass
    finally:
        os._exit(0)


def main(argv: list[str] | None = None) -> None:
    atexit.register(_skip_teardown)
    # Read before ipykernel is imported: its poller takes the variable as its default.
    parent = int(os.environ.pop("JPY_PARENT_PID", "0") or 0)
    if parent > 1:  # a parent already gone by now ends us at once
        threading.Thread(
            target=end_with_parent, args=(parent,), name="end-with-app", daemon=True
        ).start()

    log_to_kernel_log()
    from ipykernel.kernelapp import IPKernelApp

    args = list(sys.argv[1:] if argv is None else argv)
    args += [
        "--IPCompleter.use_jedi=False",
        "--IPKernelApp.capture_fd_output=True",
        "--HistoryManager.hist_file=:memory:",
        "--InteractiveShell.banner1=",
    ]
    app = IPKernelApp.instance()
    app.initialize(args)
    app.start()


if __name__ == "__main__":
    main()
