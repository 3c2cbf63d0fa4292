"""``tui.kernel.reaper``: the app's children are listed from /proc, orphans of a kernel
are killed and reaped by pid, and the kernels the app keeps are never touched.

Reaping runs in a child Python of its own: the pytest process has children of its own
(shared kernels) and must never become a subreaper."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tui.kernel import reaper

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_children_are_listed_from_proc_both_ways():
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert child.pid in reaper.children()
        assert child.pid in reaper.children(os.getpid())
        assert child.pid in reaper._children_by_stat(os.getpid())
        assert os.getpid() not in reaper.children()
        assert reaper.children(child.pid) == []
    finally:
        child.kill()
        child.wait()
    assert child.pid not in reaper.children()


def test_without_become_subreaper_nothing_is_killed():
    """pytest (or any process that did not ask to be a subreaper) keeps its children."""
    assert not reaper.is_subreaper()
    child = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        assert reaper.reap_orphans() == []
        assert child.poll() is None
    finally:
        child.kill()
        child.wait()


# Plays the app: becomes a subreaper, starts a "kernel" (kept) whose cells left two
# orphans in sessions of their own (one with a setsid'd child of its own), reaps, and
# reports what is still alive. The kernel's exit status must still reach its Popen.
APP = textwrap.dedent(
    """
    import json, os, subprocess, sys, time
    from tui.kernel import reaper

    subreaper = reaper.become_subreaper()
    kernel = subprocess.Popen(["sleep", "60"], start_new_session=True)
    # A "cell": starts a daemon in a new session, whose child starts another, then exits.
    cell = subprocess.run(
        [sys.executable, "-c",
         "import subprocess, sys\\n"
         "quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\\n"
         "a = subprocess.Popen(['sleep', '61'], start_new_session=True, **quiet)\\n"
         "b = subprocess.Popen(['setsid', 'sh', '-c', 'setsid sleep 62 & echo $!; wait'],"
         " stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)\\n"
         "print(a.pid, b.pid, b.stdout.readline().strip(), flush=True)\\n"
         "import os; os._exit(0)"],
        capture_output=True, text=True, check=True,
    )
    orphans = [int(p) for p in cell.stdout.split()]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not set(orphans[:2]) <= set(reaper.children()):
        time.sleep(0.02)
    adopted = sorted(set(orphans) & set(reaper.children()))
    killed = reaper.reap_orphans(keep=[kernel.pid, None])
    kernel_alive = kernel.poll() is None
    left = reaper.children()
    kernel.kill()
    print(json.dumps({
        "subreaper": subreaper, "kernel": kernel.pid, "orphans": orphans,
        "adopted": adopted, "killed": killed, "kernel_alive": kernel_alive,
        "left": left, "kernel_status": kernel.wait(),
    }))
    """
)


def test_orphans_are_killed_and_reaped_and_the_kernel_is_kept():
    done = subprocess.run(
        [sys.executable, "-c", APP], capture_output=True, text=True, timeout=60, check=True
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["subreaper"] is True
    daemon, wrapper, grandchild = report["orphans"]
    # Both orphans of the "cell" came to the app, not to init.
    assert {daemon, wrapper} <= set(report["adopted"])
    assert daemon in report["killed"] and wrapper in report["killed"]
    # The wrapper's own child, in yet another session, came to the app once it was killed.
    assert grandchild in report["killed"]
    assert report["kernel"] not in report["killed"]
    assert report["kernel_alive"] is True
    # Nothing left: no live child and no zombie but the kernel itself.
    assert report["left"] == [report["kernel"]]
    # The kernel's status reached its Popen (no waitpid(-1) stole it).
    assert report["kernel_status"] == -signal.SIGKILL
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in report["orphans"]):
        time.sleep(0.02)
    assert not [p for p in report["orphans"] if _alive(p)]


def test_become_subreaper_never_raises(monkeypatch):
    monkeypatch.setattr(reaper, "_subreaper", False)
    monkeypatch.setattr(reaper.sys, "platform", "darwin")
    assert reaper.become_subreaper() is False
    assert not reaper.is_subreaper()
