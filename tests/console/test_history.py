"""The REPL's history: kept across runs, capped, searched, and set aside when corrupt."""

from __future__ import annotations

import json

from tui.console.history import History


def test_history_persists_across_runs(tmp_path):
    path = tmp_path / "h.json"
    h = History(path)
    h.add("x = 1")
    h.add("x = 1")  # an immediate repeat is not stored twice
    h.add("   ")
    h.add("y = 2\n")
    again = History(path)
    assert again.entries == ["x = 1", "y = 2"]


def test_history_is_capped(tmp_path):
    h = History(tmp_path / "h.json", cap=1000)
    for i in range(1010):
        h.add(f"cell {i}", save=False)
    h.save()
    again = History(tmp_path / "h.json", cap=1000)
    assert len(again) == 1000
    assert again.entries[0] == "cell 10" and again.entries[-1] == "cell 1009"


def test_history_default_path_is_under_the_state_home(tmp_home):
    h = History()
    h.add("z = 3")
    assert h.path.is_relative_to(tmp_home)
    assert json.loads(h.path.read_text())["entries"] == ["z = 3"]


def test_corrupt_history_is_set_aside_not_raised(tmp_path):
    path = tmp_path / "h.json"
    path.write_text("{not json")
    assert History(path).entries == []
    assert any(p.name.startswith("h.json.corrupt-") for p in tmp_path.iterdir())


def test_reverse_search_finds_newest_first(tmp_path):
    h = History(tmp_path / "h.json")
    for s in ["a = torch.ones(3)", "print(a)", "b = torch.zeros(2)", "a.sum()"]:
        h.add(s, save=False)
    assert h.search("torch") == 2
    assert h.search("torch", before=2) == 0
    assert h.search("nothing") is None
