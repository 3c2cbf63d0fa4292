"""Two instances sharing one state dir: neither loses the other's history or progress."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from tui.console.history import History
from tui.lessons.progress import Progress


def test_two_histories_keep_both_sessions_cells(tmp_path: Path) -> None:
    path = tmp_path / "repl_history.json"
    first, second = History(path), History(path)
    first.add("a = 1")
    second.add("b = 2")
    first.add("a + 1")
    entries = json.loads(path.read_text())["entries"]
    assert entries == ["a = 1", "b = 2", "a + 1"]
    # Each session walks its own cells with up/down, as IPython does.
    assert second.entries == ["b = 2"]
    assert History(path).entries == entries


def _add_many(path: str, tag: str, n: int) -> None:
    history = History(Path(path))
    for i in range(n):
        history.add(f"{tag}{i}")


def test_histories_saved_at_once_from_two_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "repl_history.json"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_add_many, args=(str(path), tag, 40)) for tag in "xy"]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    entries = json.loads(path.read_text())["entries"]
    assert sorted(entries) == sorted([f"x{i}" for i in range(40)] + [f"y{i}" for i in range(40)])


def test_two_progresses_merge_per_lesson(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    first, second = Progress.load(path), Progress.load(path)
    first.of("07").passed.add("relu")
    first.of("07").visited.add("intro")
    first.save()
    second.of("07").passed.add("mlp")
    second.of("08").blocks_run.add(3)
    second.last_lesson = "08"
    second.save()
    data = json.loads(path.read_text())
    assert data["lessons"]["07"]["exercises_passed"] == ["mlp", "relu"]
    assert data["lessons"]["07"]["visited"] == ["intro"]
    assert data["lessons"]["08"]["blocks_run"] == [3]
    assert data["last"]["lesson"] == "08"  # the last writer's place
    first.save()  # the first instance again: keeps what the second saved
    again = Progress.load(path)
    assert again.of("08").blocks_run == {3}
    assert again.of("07").passed == {"mlp", "relu"}
