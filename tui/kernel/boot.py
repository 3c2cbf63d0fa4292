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
"""

from __future__ import annotations

import atexit
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


def _skip_teardown() -> None:
    """Registered first, so it runs last of the atexit handlers."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed stream: nothing left to flush
            pass
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    atexit.register(_skip_teardown)
    # Read before ipykernel is imported: its poller takes the variable as its default.
    parent = int(os.environ.pop("JPY_PARENT_PID", "0") or 0)
    if parent > 1:  # a parent already gone by now ends us at once
        threading.Thread(
            target=end_with_parent, args=(parent,), name="end-with-app", daemon=True
        ).start()

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
