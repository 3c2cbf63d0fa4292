"""Security: nothing runs unasked, YAML tags are refused, no network, exports stay in the data
dir, and ``serve`` binds loopback unless told otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hardening.conftest import (
    SIZE,
    HardApp,
    dashboard,
    lesson_pane,
    notes,
    ready,
    run_cell,
    static_text,
    wait_until,
)
from tui.cli import main as cli_main
from tui.lessons.document import parse_lesson
from tui.lessons.library import load_lessons
from tui.platform import state


def trap_lesson(folder: Path, markers: Path) -> Path:
    """A lesson whose every piece of code, if run, leaves a marker file behind."""

    def touch(name: str) -> str:
        return f"open({str(markers / name)!r}, 'w').close()"

    text = f"""---
id: trap
title: A lesson that must not run by itself
concepts: [tensors]
why: each code piece leaves a marker when it runs
---
Intro.

## Blocks

```python
{touch("block")}
```

```python norun
{touch("norun")}
```

### Exercise: trap
Do it.
> Hint: {touch("hint")}
```python check
{touch("check")}
```
```python solution
{touch("solution")}
```

## More

```py
{touch("block2")}
```
"""
    path = folder / "trap.md"
    path.write_text(text)
    return path


def markers_made(markers: Path) -> list[str]:
    return sorted(p.name for p in markers.iterdir())


async def test_lesson_code_runs_only_when_the_learner_asks(tmp_path, capsys):
    folder, markers = tmp_path / "lessons", tmp_path / "markers"
    folder.mkdir()
    markers.mkdir()
    trap_lesson(folder, markers)
    # listing and checking the front matter run nothing
    assert cli_main(["lessons", "list", "--lessons-dir", str(folder)]) == 0
    assert "trap" in capsys.readouterr().out
    assert not load_lessons([folder])[0].broken
    assert markers_made(markers) == []
    # opening, reading every section, the contents and the picker run nothing
    app = HardApp(lessons_dirs=[folder], lesson="trap")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        pane = lesson_pane(app)
        await wait_until(pilot, lambda: pane.lesson is not None and pane.lesson.id == "trap")
        await pilot.press("f2", "n", "p", "h")
        await pilot.press("t", "escape", "l", "escape")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await app.kernel.sync()  # the kernel's queue has drained
        assert markers_made(markers) == [], "lesson code ran without being asked"
        # the learner asks: Enter on the first block runs that block (and only it)
        await pilot.press("f2", "enter")  # a section opens with its first block selected
        await wait_until(pilot, lambda: (markers / "block").exists(), what="the block to run")
        assert "norun" not in markers_made(markers)
        assert "solution" not in markers_made(markers)


def test_yaml_tags_are_refused_and_never_run(tmp_path, capsys):
    marker = tmp_path / "pwned"
    evil = [
        f"!!python/object/apply:os.system ['touch {marker}']",
        f"!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
        "!!python/name:os.system",
        f"!custom {marker}",
    ]
    for n, tag in enumerate(evil):
        lesson = parse_lesson(f"---\nid: e{n}\ntitle: t\nx: {tag}\n---\n## S\n")
        assert lesson.broken and "YAML" in lesson.error, lesson.error
        assert "refused" in lesson.error or "unknown YAML tag" in lesson.error
        assert "\n" not in lesson.error
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "evil.md").write_text(f"---\nid: evil\ntitle: t\nx: {evil[0]}\n---\n## S\n")
    code = cli_main(["lessons", "list", "--lessons-dir", str(folder)])
    out = capsys.readouterr()
    assert code in (0, 1) and "Traceback" not in out.out + out.err
    assert "evil" in out.out and "refused" in out.out
    assert not marker.exists()


async def test_the_app_opens_no_network_connection(no_network, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # anything written outside the data dir would show up here
    app = HardApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await run_cell(pilot, app, "x = torch.randn(3, 4)\nx @ x.T")
        pane = lesson_pane(app)
        await pilot.press("f2", "n", "right_square_bracket", "f1", "escape")
        board = dashboard(app)
        board.query_one("#cfg-steps").value = "300"
        await pilot.press("f5")
        await wait_until(pilot, lambda: board.current and board.current.state == "done", 120)
        await pilot.press("f4", "e")
        message = board.query_one("#dash-message")
        await wait_until(pilot, lambda: "Exported to" in static_text(message), what="export")
        said = static_text(message).split("Exported to", 1)[1]
        exported = Path(said.split(": python train.py", 1)[0].strip())
        assert exported.is_relative_to(state.data_dir() / "runs")
        assert sorted(p.name for p in exported.iterdir()) == [
            "config.json",
            "history.csv",
            "model.pt",
            "train.py",
        ]
        app.action_devices()
        await app.workers.wait_for_complete()
        assert pane.lesson is not None
    assert no_network.attempts == [], f"the app tried the network: {no_network.attempts}"
    assert os.listdir(tmp_path) == [] or set(os.listdir(tmp_path)) <= {"home"}
    assert "Run exported to" in notes(app)


def test_the_guard_itself_blocks_a_connection(no_network):
    import socket

    with socket.socket() as s, pytest.raises(OSError, match="network access blocked"):
        s.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed
    assert no_network.attempts


def test_serve_binds_loopback_by_default():
    from tui.cli import build_parser
    from tui.cli.serve import LOOPBACK, how_to_reach

    args = build_parser().parse_args(["serve"])
    assert args.host == "127.0.0.1" and args.host in LOOPBACK
    text = how_to_reach(args.host, args.port, "http://localhost:8000/?token=abc")
    assert "loopback only" in text and "ssh -L" in text
    assert "?token=abc" in text  # the URL to open is the login
    # the end-to-end check (it answers HTTP on 127.0.0.1 and listens nowhere else) is
    # tests/test_serve.py::test_serve_answers_http_on_loopback_only
