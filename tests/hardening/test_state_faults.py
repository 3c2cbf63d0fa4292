"""State faults: corrupt files, a read-only state dir, two instances, a write cut half-way.

What the app promises: nothing the learner did is lost to a bad write (writes are atomic:
a temp file, fsync, then os.replace), a corrupt file is set aside and reported (never a
crash), and a state dir that cannot be written is reported while the app keeps running.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hardening.conftest import (
    SIZE,
    HardApp,
    lesson_pane,
    notes,
    ready,
    run_cell,
    still_usable,
    wait_until,
)
from tui.console.history import History
from tui.kernel import launch
from tui.lessons.progress import Progress, progress_path
from tui.platform import state

ROOT = Path(__file__).resolve().parents[2]


async def test_corrupt_progress_and_history_are_set_aside_with_a_warning(tmp_home):
    progress = progress_path()
    history = History().path
    progress.parent.mkdir(parents=True, exist_ok=True)
    history.parent.mkdir(parents=True, exist_ok=True)
    progress.write_text('{"last": {"lesson": "08-pytorch-int')  # cut off
    history.write_bytes(b"\xff\xfe not json at all")
    app = HardApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await wait_until(pilot, lambda: "progress.json was unreadable" in notes(app))
        await wait_until(pilot, lambda: "repl_history.json was unreadable" in notes(app))
        assert "kept as progress.json.corrupt-" in notes(app)
        assert list(progress.parent.glob("progress.json.corrupt-*"))
        assert list(history.parent.glob("repl_history.json.corrupt-*"))
        # still usable, and the next saves write valid files again
        await still_usable(pilot, app)
        pane = lesson_pane(app)
        before = pane.lesson
        await pane.action_next_lesson()
        assert pane.lesson is not before
        await wait_until(pilot, lambda: progress.exists(), what="progress saved again")
        assert json.loads(progress.read_text())["last"]["lesson"] == pane.lesson.id
        await wait_until(pilot, lambda: history.exists(), what="history saved again")
        assert "6 * 7" in json.loads(history.read_text())["entries"]


async def test_a_read_only_state_dir_is_reported_and_the_app_keeps_running(tmp_home, monkeypatch):
    real_mkstemp = state.tempfile.mkstemp

    def read_only(*args, **kw):
        if str(kw.get("dir", "")).startswith(str(tmp_home)):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_mkstemp(*args, **kw)

    monkeypatch.setattr(state.tempfile, "mkstemp", read_only)
    app = HardApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        pane = lesson_pane(app)
        await pilot.press("f2", "n")  # visiting a section saves progress
        await wait_until(pilot, lambda: "Progress not saved" in notes(app), what="the warning")
        assert "Read-only file system" in notes(app)
        assert notes(app).count("Progress not saved") == 1  # said once, not on every key
        await pilot.press("n", "p")
        await still_usable(pilot, app)
        before = pane.lesson
        await pilot.press("f2", "right_square_bracket")
        await wait_until(pilot, lambda: pane.lesson is not before, what="the next lesson")
        assert app.is_running
    assert not list(tmp_home.rglob("*.json"))


SECOND_INSTANCE = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from hardening.conftest import HardApp, ready, run_cell, lesson_pane

    async def main():
        app = HardApp()
        async with app.run_test(size=(160, 48)) as pilot:
            await ready(pilot, app)
            pane = lesson_pane(app)
            for i in range(6):
                await run_cell(pilot, app, f"second_{{i}} = {{i}}")
                await (pane.action_next_section() if i % 2 else pane.action_prev_section())
        print("second instance ok")

    asyncio.run(main())
    """
)


async def test_two_instances_at_once_both_run_and_files_stay_valid(tmp_home):
    script = SECOND_INSTANCE.format(tests=str(ROOT / "tests"))
    other = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "TORCH_TUI_HOME": str(tmp_home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        app = HardApp()
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            pane = lesson_pane(app)
            for i in range(6):
                await run_cell(pilot, app, f"first_{i} = {i}")
                await (pane.action_next_section() if i % 2 else pane.action_prev_section())
            await still_usable(pilot, app)
            out, _ = other.communicate(timeout=180)
    finally:
        if other.poll() is None:
            other.kill()
            other.wait()
    assert other.returncode == 0, out[-2000:]
    assert "second instance ok" in out
    history = json.loads(History().path.read_text())  # valid JSON, whoever wrote last
    assert any(e.startswith(("first_", "second_")) for e in history["entries"])
    assert json.loads(progress_path().read_text())["last"]["lesson"]
    assert not list(tmp_home.rglob("*.tmp"))  # no temp files left behind
    assert not list(tmp_home.rglob("*.corrupt-*"))


KILLED_WRITER = textwrap.dedent(
    """
    import sys
    from tui.platform import state
    path = sys.argv[1]
    big = {"entries": ["x" * 1000] * 20000}  # ~20 MB per write
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        big["n"] = n
        state.atomic_write_json(path, big)
    """
)


def test_a_write_killed_half_way_leaves_the_old_file(tmp_home):
    path = tmp_home / "data" / "progress.json"
    state.atomic_write_json(path, {"version": 1, "n": 0})
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", KILLED_WRITER, str(path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.3)  # mid-write: each write of ~20 MB takes longer than this
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = json.loads(path.read_text())  # the old file or a whole new one, never half
        assert "n" in data
    # the app reads it back fine (a whole file; leftover temp files are ignored)
    assert Progress.load(path).last_lesson is None


async def test_a_failed_save_keeps_the_old_progress(tmp_home, monkeypatch):
    path = progress_path()
    state.atomic_write_json(path, {"version": 1, "last": {"lesson": "07-neural-networks"}})
    app = HardApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        pane = lesson_pane(app)
        assert pane.lesson.id == "07-neural-networks"  # reopened where the learner was
        await pilot.pause()
        old = path.read_text()

        def disk_error(fd):
            raise OSError(errno.EIO, "Input/output error")

        monkeypatch.setattr(state.os, "fsync", disk_error)
        await pilot.press("f2", "right_square_bracket")
        await wait_until(pilot, lambda: "Progress not saved" in notes(app), what="the warning")
        assert path.read_text() == old  # the half-written temp file never replaced it
        assert not list(path.parent.glob("*.tmp"))
        monkeypatch.undo()
        await run_cell(pilot, app, "1")
        assert app.is_running


# -- no state file can block a start or a save (issue 23) ------------------------------
DEEP = "[" * 100_000


async def test_a_progress_file_nested_100000_deep_is_set_aside_at_start(tmp_home):
    progress = progress_path()
    progress.parent.mkdir(parents=True, exist_ok=True)
    progress.write_text(DEEP)
    app = HardApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        said = "progress.json was unreadable (nested too deep); kept as progress.json.corrupt-"
        await wait_until(pilot, lambda: said in notes(app), what="the warning")
        assert list(progress.parent.glob("progress.json.corrupt-*"))
        await pilot.press("f2", "n")  # visiting a section saves progress
        await wait_until(pilot, lambda: progress.exists(), what="progress saved again")
        assert json.loads(progress.read_text())["last"]["lesson"]
        await still_usable(pilot, app)


async def test_a_cell_that_writes_a_deep_progress_file_costs_no_save(tmp_home):
    """Merge-on-write reads the file first: what a cell left there is set aside, said at
    once, and the save goes on."""
    progress = progress_path()
    app = HardApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await pilot.press("f2", "n")
        await wait_until(pilot, lambda: progress.exists(), what="the first save")
        outcome = await run_cell(pilot, app, f"open({str(progress)!r}, 'w').write('[' * 100000)")
        assert outcome.ok
        await pilot.press("f2", "n")
        said = "progress.json was unreadable (nested too deep)"
        await wait_until(pilot, lambda: said in notes(app), what="the warning")
        await wait_until(pilot, lambda: progress.read_text().startswith("{"), what="the save")
        assert json.loads(progress.read_text())["last"]["lesson"] == lesson_pane(app).lesson.id
        assert "Progress not saved" not in notes(app)
        await still_usable(pilot, app)
    # and the next start reads it
    assert Progress.load().last_lesson


async def test_every_state_file_that_fails_to_load_is_set_aside_and_the_app_starts(tmp_home):
    """History a FIFO (a plain read would hang), review.json over 16 MB, dashboard.json
    binary, trust.json the wrong type: one start, four files set aside, four warnings."""
    from tui.lessons import review, trust
    from tui.training import settings as train_settings

    history = History().path
    files = {
        history: None,
        review.review_path(): None,
        train_settings.settings_path(): b"\x89PNG\r\n\x1a\n\x00\x00\xff",
        trust.store_path(): b'["a", "list"]',
    }
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is not None:
            path.write_bytes(content)
    os.mkfifo(history)
    with open(review.review_path(), "wb") as fh:
        fh.truncate(state.MAX_STATE_BYTES + 1)
    app = HardApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        for path, reason in (
            (history, "not a regular file"),
            (review.review_path(), "larger than 16 MB"),
            (train_settings.settings_path(), "not UTF-8"),
            (trust.store_path(), "expected a JSON dict"),
        ):
            said = f"{path.name} was unreadable ({reason})"
            await wait_until(pilot, lambda s=said: s in notes(app), what=said)
            assert list(path.parent.glob(f"{path.name}.corrupt-*")), path
        await still_usable(pilot, app)


@pytest.mark.fresh_kernel
async def test_a_first_run_whose_data_dir_cannot_be_made_starts_and_says_not_saved(
    tmp_path, monkeypatch
):
    """TORCH_TUI_HOME below a file: no folder can be made there (as root too). The
    kernel gets a temporary IPython folder, the app starts and says nothing is saved."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("TORCH_TUI_HOME", str(blocker / "home"))
    monkeypatch.setenv("TORCH_TUI_RUNTIME", str(tmp_path / "rt"))
    state.warnings.drain()
    app = HardApp()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            said = f"not saved: cannot create {blocker / 'home' / 'data'} (Not a directory)"
            await wait_until(pilot, lambda: said in notes(app), what="the warning")
            ipython = await run_cell(pilot, app, "get_ipython().ipython_dir")
            assert "torch-tui-ipython-" in ipython.text()
            await pilot.press("f2", "n")
            await wait_until(pilot, lambda: "Progress not saved" in notes(app), what="save")
            assert "Not a directory" in notes(app)
            await still_usable(pilot, app)
    finally:
        launch.release_runtime()
    assert not blocker.read_text()
