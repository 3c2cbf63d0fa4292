"""However the app ends, nothing is left behind: the real app on a pty, its real kernel.

SIGHUP (an SSH connection that drops) and SIGTERM end it as ctrl+q does, within 2 s: the
terminal modes put back, the state files whole, no process of ours left. SIGKILL gives
the app no say: its kernel and data-parallel workers notice the parent is gone and end
within 10 s, taking what a cell started with them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_wire import F3, PtyApp  # noqa: E402
from ui.procs import with_env  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

F4 = b"\x1bOS"
SLEEPER = b'import subprocess; sleeper = subprocess.Popen(["sleep", "300"])\r'


def ours(marker: str) -> list[int]:
    """The app, its kernel, and everything they started."""
    return with_env(marker)


def cmdlines(pids: list[int]) -> list[str]:
    out = []
    for pid in pids:
        try:
            out.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            pass
    return out


def wait_until(condition, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def start(home: Path, marker: str) -> PtyApp:
    key, value = marker.split("=")
    argv = [sys.executable, "-m", "tui", "--device", "cpu", "--no-low-bandwidth"]
    app = PtyApp(argv, 120, 40, env={"TORCH_TUI_HOME": str(home), key: value})
    assert app.wait_for(b"torch ", timeout=90), "the app did not get its kernel"
    app.wait_quiet(gap=0.5, timeout=15)
    app.send_and_settle(F3, gap=0.3)
    return app


CSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def screen_text(raw: bytes) -> bytes:
    """What was written, less the escape sequences (colours split words on the wire)."""
    return CSI.sub(b"", raw)


def run_cell(app: PtyApp, source: bytes, shows: bytes, timeout: float = 60) -> None:
    """Type a one-line cell into the REPL and wait until ``shows`` is on screen."""
    seen = len(app.text)
    for line in source.rstrip(b"\r").split(b"\r"):
        for byte in line:  # a key at a time: one big chunk reads as a paste, not typing
            app.send(bytes([byte]))
        app.send_and_settle(b"\r", gap=0.2, timeout=30)
    shown = lambda: shows in screen_text(bytes(app.text[seen:]))  # noqa: E731
    assert wait_until(shown, timeout), f"no {shows!r} in {screen_text(bytes(app.text))[-600:]!r}"


def kill_all(marker: str) -> None:
    for pid in ours(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@pytest.fixture
def marker():
    mark = f"TORCH_TUI_TEST_MARK={uuid.uuid4().hex}"
    yield mark
    kill_all(mark)


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
def test_a_signal_ends_the_app_like_ctrl_q(tmp_home, marker, sig):
    app = start(tmp_home, marker)
    try:
        run_cell(app, b"answer = 6 * 7; print('ans', answer)", b"ans 42")
        run_cell(app, SLEEPER + b"print('sl', sleeper.pid)\r", b"sl ")
        assert any("sleep 300" in c for c in cmdlines(ours(marker)))
        before = len(app.text)
        t0 = time.monotonic()
        os.kill(app.pid, sig)
        assert wait_until(lambda: app.poll() is not None, 10, 0.02), "the app did not exit"
        took = time.monotonic() - t0
        after = bytes(app.text[before:])
    finally:
        app.close()
    assert app.returncode == 128 + sig
    assert took < 2.0, f"took {took:.2f} s to exit"
    # The terminal is given back: alternate screen left, mouse reporting off, cursor shown.
    for mode in (b"\x1b[?1049l", b"\x1b[?1000l", b"\x1b[?25h"):
        assert mode in after, f"{mode!r} not written on the way out"
    assert wait_until(lambda: not ours(marker), 3), cmdlines(ours(marker))
    history = json.loads((tmp_home / "state" / "repl_history.json").read_text())
    assert "answer = 6 * 7; print('ans', answer)" in history["entries"]
    progress = tmp_home / "data" / "progress.json"
    if progress.exists():
        json.loads(progress.read_text())


def test_a_dropped_connection_ends_the_app_and_everything_it_started(tmp_home, marker):
    """The SSH case proper: the terminal itself goes (the pty's master side closes), and
    the kernel sends the app SIGHUP; writes to the terminal now fail."""
    app = start(tmp_home, marker)
    run_cell(app, SLEEPER + b"print('sl', sleeper.pid)\r", b"sl ")
    t0 = time.monotonic()
    os.close(app.fd)
    exited = wait_until(lambda: app.poll() is not None, 10, 0.02)
    took = time.monotonic() - t0
    if not exited:
        os.kill(app.pid, signal.SIGKILL)
    assert exited and took < 2.0, f"took {took:.2f} s to exit"
    assert wait_until(lambda: not ours(marker), 3), cmdlines(ours(marker))


def _sigkill_leaves_nothing(app: PtyApp, marker: str) -> None:
    os.kill(app.pid, signal.SIGKILL)
    app.poll()
    t0 = time.monotonic()
    left = wait_until(lambda: not ours(marker), 10, 0.2)
    app.close()
    assert left, f"still running after 10 s: {cmdlines(ours(marker))}"
    assert time.monotonic() - t0 < 10


def test_sigkill_during_a_repl_model_run_leaves_no_kernel(tmp_home, marker):
    app = start(tmp_home, marker)
    run_cell(
        app,
        b"model = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 1)); "
        b"X = torch.randn(20000, 2); y = (X[:, 0] * X[:, 1] > 0).float()[:, None]; "
        b"print('ready', len(X))",
        b"ready 20000",
    )
    run_cell(app, SLEEPER + b"print('sl', sleeper.pid)\r", b"sl ")
    app.send_and_settle(F4, gap=0.3)
    seen = len(app.text)
    app.send(b"t")  # the REPL model: the default 800 epochs of 20,000 samples, minutes
    running = lambda: "▶ running".encode() in screen_text(bytes(app.text[seen:]))  # noqa: E731
    assert wait_until(running, 60), "the REPL-model run did not start"
    _sigkill_leaves_nothing(app, marker)


DDP_CELL = (
    b"import threading; from tui.training.parallel import DDPRunner; "
    b"from tui.training.config import TrainConfig; first = threading.Event(); "
    b"runner = DDPRunner(TrainConfig(steps=10**8), 2, on_report=lambda r: first.set()); "
    b"threading.Thread(target=runner.run, daemon=True).start(); print('ddp on')"
)


def test_sigkill_during_a_data_parallel_run_leaves_no_worker(tmp_home, marker):
    app = start(tmp_home, marker)
    run_cell(app, DDP_CELL, b"ddp on")
    run_cell(app, b"print('training', first.wait(90), len(runner.pids))", b"training True 2", 100)
    workers = [c for c in cmdlines(ours(marker)) if "multiprocessing" in c]
    assert len(workers) >= 2, cmdlines(ours(marker))
    _sigkill_leaves_nothing(app, marker)


# A cell's children that leave the kernel's process group: a daemon in a session of its
# own, and a double fork through setsid (its parent, the shell, is gone at once).
ORPHANS = (
    b"import os, subprocess; daemon = subprocess.Popen(['sleep', '300'], "
    b"start_new_session=True); os.system('setsid sleep 301 </dev/null >/dev/null 2>&1 &'); "
    b"print('orphans', daemon.pid)"
)
CTRL_N, CTRL_Q = b"\x0e", b"\x11"


def sleepers(marker: str) -> list[int]:
    """The two sleeps of ``ORPHANS`` (not the shell that started one of them)."""
    return [pid for pid in ours(marker) if cmdlines([pid]) in (["sleep 300 "], ["sleep 301 "])]


def session_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[3])


def test_children_in_sessions_of_their_own_end_on_restart_and_on_quit(tmp_home, marker):
    app = start(tmp_home, marker)
    try:
        run_cell(app, ORPHANS, b"orphans ")
        assert wait_until(lambda: len(sleepers(marker)) == 2, 10), cmdlines(ours(marker))
        kernel = next(p for p in ours(marker) if "tui.kernel.boot" in "".join(cmdlines([p])))
        # Both escaped the kernel's session, so killing its group alone leaves them.
        assert all(session_of(p) != session_of(kernel) for p in sleepers(marker)), [
            (p, session_of(p), cmdlines([p])) for p in [*sleepers(marker), kernel]
        ]

        app.send(CTRL_N)  # restart: the old kernel's orphans go with it
        assert wait_until(lambda: not sleepers(marker), 15), cmdlines(ours(marker))
        assert app.poll() is None, "the app ended on a restart"
        run_cell(app, b"print('back', 6 * 7)", b"back 42")

        run_cell(app, ORPHANS, b"orphans ")
        assert wait_until(lambda: len(sleepers(marker)) == 2, 10), cmdlines(ours(marker))
        app.send(CTRL_Q)
        assert wait_until(lambda: app.poll() is not None, 10, 0.02), "ctrl+q did not quit"
    finally:
        app.close()
    assert wait_until(lambda: not ours(marker), 5), cmdlines(ours(marker))
