"""History, errors that teach, and the output buffer: the REPL's helpers."""

from __future__ import annotations

import json

import pytest

from tui.core.capture import CappedText
from tui.core.history import History
from tui.core.session import Session


@pytest.fixture(scope="module")
def session() -> Session:
    return Session("cpu")


# -- history -------------------------------------------------------------------------------
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


# -- output cap ----------------------------------------------------------------------------
def test_capped_text_counts_what_it_drops():
    buf = CappedText(max_chars=1000, max_lines=10)
    for i in range(100):
        buf.write(f"line {i}\n")
    text = buf.getvalue()
    assert text.startswith("line 0\n") and "line 9\n" in text and "line 10" not in text
    assert "... 90 more lines" in text


# -- errors that teach ---------------------------------------------------------------------
def test_matmul_mismatch_lines_up_the_shapes(session):
    r = session.execute("a = torch.ones(2, 3)\nw = torch.ones(4, 5)\na @ w")
    assert "mat1 and mat2 shapes cannot be multiplied" in r.error
    assert "Shape check (matmul)" in r.error
    assert "a (mat1)" in r.error and "w (mat2)" in r.error
    assert "3 columns (dim 1)" in r.error and "4 rows (dim 0)" in r.error


def test_broadcast_mismatch_names_the_dimension(session):
    r = session.execute("p = torch.ones(2, 3)\nq = torch.ones(4)\np + q")
    assert "Shape check (broadcasting)" in r.error
    assert "At dimension 1 the sizes are 3 and 4" in r.error
    lines = r.error.split("Shape check")[1].splitlines()
    p_row = next(line for line in lines if line.strip().startswith("p "))
    q_row = next(line for line in lines if line.strip().startswith("q "))
    assert p_row.rstrip().endswith("3 ]") and q_row.rstrip().endswith("4 ]")
    assert lines[lines.index(q_row) + 1].strip() == "^"


def test_cat_mismatch_names_the_dimension(session):
    r = session.execute("u = torch.ones(2, 3)\nv = torch.ones(3, 3)\ntorch.cat([u, v], dim=1)")
    assert "Shape check (cat)" in r.error
    assert "dimension 0 disagrees" in r.error


def test_other_errors_get_no_shape_check(session):
    r = session.execute("torch.ones(2)[5]")
    assert r.error_type == "IndexError" and "Shape check" not in r.error
