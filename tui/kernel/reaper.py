"""What a cell starts outside the kernel's process group ends with the kernel anyway.

The kernel runs in a session of its own and is killed with its process group (see
``launch.KernelProcess.kill``). A child that a cell starts in a new session
(``Popen(..., start_new_session=True)``, ``os.setsid()``, a double-forked daemon) is not
in that group and would outlive a restart and even the app: orphaned, it went to init.

So the app makes itself a *child subreaper* (Linux ``PR_SET_CHILD_SUBREAPER``) before it
spawns its first kernel: the kernel's orphans are re-parented to the app instead of init.
After the app kills a kernel (a restart, quitting), ``reap_orphans`` SIGKILLs every child
of the app that is not a kernel it means to keep (with its process group, unless that is
the app's own), reaps each one *by pid*, and looks again, since killing an orphan may
orphan its own children. It never calls ``waitpid(-1)``: that would steal the exit
status of a process that asyncio or ``subprocess`` is waiting for.

Only a process that called ``become_subreaper`` reaps anything: in any other (pytest,
whose children include kernels that tests share) ``reap_orphans`` does nothing. Elsewhere
than Linux ``become_subreaper`` returns False and nothing changes. No Textual here: the
CLI calls this before the UI exists, and signal paths call it from any thread.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterable
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
#: Seconds ``reap_orphans`` keeps looking for orphans and waiting for the killed to end.
REAP_LIMIT = 1.0

_subreaper = False


def become_subreaper() -> bool:
    """Make this process the reaper of its descendants' orphans; True if it now is.

    Best effort: never raises (no Linux, no libc, an old kernel all give False)."""
    global _subreaper
    if _subreaper:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        ok = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (ImportError, OSError, AttributeError):  # no ctypes, no libc, no prctl in it
        return False
    _subreaper = ok
    return ok


def is_subreaper() -> bool:
    return _subreaper


def children(pid: int | None = None) -> list[int]:
    """The pids whose parent is ``pid`` (default: this process), zombies included.

    From ``/proc/<pid>/task/*/children`` (one file per thread: a child belongs to the
    thread that forked it or adopted it), else by scanning ``/proc/*/stat`` for the
    parent pid where the kernel has no such files. Empty where there is no /proc."""
    pid = os.getpid() if pid is None else pid
    found: set[int] = set()
    read_any = False
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        tasks = []
    for tid in tasks:
        try:
            text = Path(f"/proc/{pid}/task/{tid}/children").read_text()
        except OSError:
            continue
        read_any = True
        found.update(int(word) for word in text.split())
    if not read_any:
        found.update(_children_by_stat(pid))
    return sorted(found)


def _children_by_stat(parent: int) -> list[int]:
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for name in entries:
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(parent):
            found.append(int(name))
    return found


def reap_orphans(keep: Iterable[int | None] = (), limit: float = REAP_LIMIT) -> list[int]:
    """Kill and reap every child of this process whose pid is not in ``keep``.

    ``keep`` holds the kernels the app started on purpose (the current one, one spawned
    but not yet adopted): they and their process groups are never signalled. Returns
    the pids killed. Does nothing unless ``become_subreaper`` succeeded in this process.
    Blocks for at most ``limit`` seconds: call it off the event loop."""
    if not _subreaper:
        return []
    spared = {pid for pid in keep if pid}
    spared_groups = {os.getpgrp()}
    for pid in spared:
        with contextlib.suppress(OSError):
            spared_groups.add(os.getpgid(pid))
    killed: list[int] = []
    pending: set[int] = set()
    deadline = time.monotonic() + limit
    while True:
        pending = {pid for pid in pending if not _reaped(pid)}
        # Listed after the reaping: a killed orphan's own children are ours by now.
        new = [pid for pid in children() if pid not in spared and pid not in killed]
        for pid in new:
            _kill(pid, spared_groups)
            killed.append(pid)
            pending.add(pid)
        if (not new and not pending) or time.monotonic() >= deadline:
            return killed
        time.sleep(0.005)


def _kill(pid: int, spared_groups: set[int]) -> None:
    try:
        group = os.getpgid(pid)
    except OSError:
        group = None
    if group is not None and group > 1 and group not in spared_groups:
        with contextlib.suppress(OSError):
            os.killpg(group, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def _reaped(pid: int) -> bool:
    """Collect ``pid``'s exit status if it has ended; True once it is gone."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True  # not (or no longer) our child: nothing to collect
    except OSError:
        return True
    return done == pid
