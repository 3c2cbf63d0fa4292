"""The runtime folder (sockets, connection files, kernel logs) and the kernel's log.

``runtime_root()`` uses a folder only if it is a real folder owned by us; it fixes the
mode of ours and never touches anyone else's. The default location falls back to a fresh
private folder with one warning; an explicit ``TORCH_TUI_RUNTIME`` is refused (one line,
exit 2). Kernel logs are kept for the last 10 kernels, and a kernel's death says the
error its log ends with.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tui import cli
from tui.cli import lesson_check
from tui.kernel import launch
from tui.lessons.document import parse_lesson
from tui.platform import state

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runtime(tmp_path, monkeypatch):
    """No TORCH_TUI_RUNTIME; XDG_RUNTIME_DIR and the temp dir are the test's own."""
    xdg, tmp = tmp_path / "xdg", tmp_path / "tmp"
    xdg.mkdir()
    tmp.mkdir()
    monkeypatch.delenv("TORCH_TUI_RUNTIME", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(xdg))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    state.warnings.drain()
    yield xdg / f"torch-tui-{os.getuid()}"
    launch.release_runtime()
    state.warnings.drain()


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_our_folder_is_made_private_and_its_mode_fixed(runtime):
    assert launch.runtime_root() == runtime and _mode(runtime) == 0o700
    runtime.chmod(0o755)  # ours: fixed
    assert launch.runtime_root() == runtime and _mode(runtime) == 0o700
    assert not state.warnings.drain()


@pytest.mark.parametrize("kind", ["another user's", "a symlink", "a file"])
def test_a_default_folder_not_ours_is_left_alone_for_a_private_one(runtime, monkeypatch, kind):
    elsewhere = runtime.parent / "elsewhere"
    elsewhere.mkdir(mode=0o755)
    elsewhere.chmod(0o755)
    if kind == "another user's":  # we are uid N: the real uid made torch-tui-N first
        fake_uid = os.getuid() + 4242
        monkeypatch.setattr(os, "getuid", lambda: fake_uid)
        runtime = runtime.parent / f"torch-tui-{fake_uid}"
        runtime.mkdir(mode=0o755)
        runtime.chmod(0o755)
        watched = runtime
    elif kind == "a symlink":
        runtime.symlink_to(elsewhere)
        watched = elsewhere
    else:
        runtime.write_text("not a folder")
        watched = runtime
    before = _mode(watched)
    got = launch.runtime_root()
    assert got != runtime and got.is_dir() and _mode(got) == 0o700
    assert got.name.startswith(f"torch-tui-{os.getuid()}-")
    assert os.stat(got).st_uid == os.geteuid()
    assert _mode(watched) == before  # never chmodded
    assert not any(elsewhere.iterdir())  # nothing written there
    (msg,) = state.warnings.drain()
    assert f"not using {runtime}" in msg and str(got) in msg
    # the same private folder for the rest of the session, said once
    assert launch.runtime_root() == got and not state.warnings.drain()
    launch.release_runtime()
    assert not got.exists()


def _run_cli(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tui"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_explicit_runtime_that_is_not_ours_is_refused_in_one_line(tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    before = _mode(target)
    for bad, why in ((link, "is a symlink"), (a_file, "not a folder")):
        done = _run_cli({"TORCH_TUI_RUNTIME": str(bad), "TORCH_TUI_HOME": str(tmp_path)})
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert done.stderr.startswith(f"torch-tui: TORCH_TUI_RUNTIME={bad}: ")
        assert why in done.stderr
    assert _mode(target) == before and not any(target.iterdir())


def test_an_explicit_runtime_of_another_user_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    monkeypatch.setenv("TORCH_TUI_RUNTIME", str(folder))
    real_uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real_uid + 4242)
    with pytest.raises(launch.RuntimeDirError, match="belongs to another user"):
        launch.runtime_root()
    assert _mode(folder) == 0o755


def test_a_kernel_that_cannot_be_spawned_is_one_line(tmp_path, monkeypatch, capsys):
    from tui.kernel import reaper

    def full(*args, **kw):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "k.json"))

    monkeypatch.setattr(launch, "spawn_kernel", full)
    monkeypatch.setattr(reaper, "become_subreaper", lambda: None)
    assert cli.main([]) == cli.EXIT_START
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("torch-tui: cannot start the kernel: No space left on device")


# -- kernel logs -------------------------------------------------------------------------
def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_logs_are_kept_for_the_last_ten_kernels_and_stale_files_go(tmp_path):
    folder = tmp_path / "rt"
    folder.mkdir()
    dead, me = _dead_pid(), os.getpid()
    now = time.time()
    for i in range(15):  # k<pid>-<hex>.log, oldest first
        log = folder / f"k{dead}-{i:06x}.log"
        log.write_text(f"log {i}\n")
        os.utime(log, (now - 1000 + i, now - 1000 + i))
    running = folder / f"k{me}-abcdef.log"  # a kernel of a live app: its log stays
    running.write_text("in use\n")
    os.utime(running, (now - 5000, now - 5000))
    (folder / f"k{me}-abcdef.json").write_text("{}")
    (folder / f"k{dead}-000001.json").write_text("{}")  # its app is gone
    (folder / f"k{dead}-000001-3").write_text("")  # a socket left behind
    (folder / "kernel-123.json").write_text("{}")  # not ours: a Jupyter server's
    launch.prune_runtime(folder)
    logs = sorted(p.name for p in folder.glob("*.log"))
    assert logs == sorted([f"k{dead}-{i:06x}.log" for i in range(5, 15)] + [running.name])
    left = sorted(p.name for p in folder.iterdir() if p.suffix != ".log")
    assert left == sorted([f"k{me}-abcdef.json", "kernel-123.json"])
    launch.prune_runtime(tmp_path / "missing")  # never raises


def test_spawning_a_kernel_prunes_the_old_logs(tmp_path, monkeypatch):
    folder = tmp_path / "rt"
    folder.mkdir()
    dead = _dead_pid()
    for i in range(12):
        log = folder / f"k{dead}-{i:06x}.log"
        log.write_text("x")
        os.utime(log, (i, i))
    real_popen = subprocess.Popen

    def no_kernel(args, **kw):
        return real_popen([sys.executable, "-c", "pass"], **kw)

    monkeypatch.setattr(launch.subprocess, "Popen", no_kernel)
    process = launch.spawn_kernel(folder=folder)
    process.proc.wait()
    process.kill()
    assert len(list(folder.glob("*.log"))) == launch.KEEP_LOGS
    assert process.log_path.exists()


class _Ended:
    """A Popen-like that has ended with ``code``."""

    pid = 0

    def __init__(self, code: int) -> None:
        self.returncode = code

    def poll(self) -> int:
        return self.returncode


def _process(tmp_path: Path, log: bytes | str, code: int = 0) -> launch.KernelProcess:
    path = tmp_path / "k1-abcdef.log"
    path.write_bytes(log if isinstance(log, bytes) else log.encode())
    return launch.KernelProcess(_Ended(code), tmp_path / "k1-abcdef.json", {}, path)


ENOSPC_LOG = """\
[IPKernelApp] starting
Traceback (most recent call last):
  File "/x/ipykernel/kernelapp.py", line 9, in start
    self.write()
    ^^^^^^^^^^^^
OSError: [Errno 28] No space left on device: '/data/ipython/profile_default'

\x1b[0m
   ^^^
"""


def test_log_tail_gives_the_last_meaningful_lines(tmp_path):
    process = _process(tmp_path, ENOSPC_LOG)
    error = "OSError: [Errno 28] No space left on device: '/data/ipython/profile_default'"
    assert process.log_tail() == error
    assert process.log_tail(lines=2) == f"self.write()\n{error}"
    assert _process(tmp_path, "").log_tail() == ""
    missing = launch.KernelProcess(_Ended(0), tmp_path / "x.json", {}, tmp_path / "none.log")
    assert missing.log_tail() == ""


def test_log_tail_reads_only_the_end_of_a_big_log(tmp_path):
    process = _process(tmp_path, b"x" * 5_000_000 + b"\nlast words\n")
    assert process.log_tail(limit=4096) == "last words"
    assert len(_process(tmp_path, "y" * 1000).log_tail()) == 200  # a line is cut


def test_a_full_disk_is_the_death_reason_not_exit_code_0(tmp_path):
    process = _process(tmp_path, ENOSPC_LOG, code=0)
    assert process.exit_reason() == (
        "No space left on device: '/data/ipython/profile_default'; exit code 0"
    )
    boom = _process(tmp_path, "ModuleNotFoundError: No module named 'ipykernel'\n", code=1)
    assert boom.exit_reason() == "ModuleNotFoundError: No module named 'ipykernel'; exit code 1"
    assert _process(tmp_path, "bye\n", code=3).exit_reason() == "exit code 3"
    # a signal is the cause whatever the log said before it
    assert _process(tmp_path, ENOSPC_LOG, code=-9).exit_reason() == "killed by SIGKILL"


def test_lessons_check_says_why_a_kernel_did_not_start(tmp_path, monkeypatch):
    """A kernel that prints an error and exits: the FAIL line quotes its log."""
    real_popen = subprocess.Popen
    script = "import sys; print('ImportError: cannot import name zmq', file=sys.stderr)"

    def broken(args, **kw):
        return real_popen([sys.executable, "-c", script], **kw)

    monkeypatch.setenv("TORCH_TUI_RUNTIME", str(tmp_path / "rt"))
    monkeypatch.setattr(launch.subprocess, "Popen", broken)
    lesson = parse_lesson('---\nid: "a"\ntitle: A\n---\n## S\n```python\nx = 1\n```\n', "/x/a.md")
    got = list(lesson_check.check_lesson(lesson))
    assert [line.status for line in got] == ["FAIL"], [g.render() for g in got]
    assert "the kernel did not start" in got[0].detail
    assert "ImportError: cannot import name zmq" in got[0].detail
    assert got[0].detail.count("cannot import name zmq") == 1


async def test_the_app_says_a_kernel_died_of_a_full_disk(tmp_home):
    """The kernel's last words in its log (ENOSPC), then exit 0: the REPL says the cause."""
    from hardening.conftest import SIZE, HardApp, log_text, ready, repl_pane, wait_until

    app = HardApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        log = app.kernel.link.process.log_path
        error = "OSError: [Errno 28] No space left on device: '/data/x'"
        repl_pane(app).run_source(f"open({str(log)!r}, 'a').write({error!r} + '\\n\\n')\n")
        await wait_until(pilot, lambda: len(app.cells) == 1, what="the first cell")
        repl_pane(app).run_source("import os; os._exit(0)")
        said = "The kernel died (No space left on device: '/data/x'; exit code 0)"
        words = lambda: " ".join(log_text(app).split())  # noqa: E731 - the log wraps
        await wait_until(pilot, lambda: said in words(), what="the death")
        assert app.is_running
