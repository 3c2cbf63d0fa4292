"""Spaced review: the schedule a learner sees, saved and merged like the rest of the state."""

from __future__ import annotations

from tui.lessons.review import DAY, INTERVALS, Reviews, bound_names, forget_cell, when

T0 = 1_700_000_000.0


def test_a_solve_comes_back_after_1_3_7_and_21_days_then_is_learned():
    r = Reviews()
    assert r.solved("08", "xor", now=T0)
    assert not r.due(now=T0 + 0.9 * DAY)
    now = T0
    for days in INTERVALS:
        now += days * DAY
        assert [c.exercise for c in r.due(now=now)] == ["xor"], days
        assert r.solved("08", "xor", now=now)
    card = r.cards[("08", "xor")]
    assert card.learned and not r.due(now=now + 365 * DAY) and when(card, now) == "learned"


def test_solving_again_before_it_is_due_changes_nothing():
    r = Reviews()
    r.solved("08", "xor", now=T0)
    assert not r.solved("08", "xor", now=T0 + 3600)
    assert r.cards[("08", "xor")].step == 0


def test_due_lists_the_longest_waiting_first_and_only_known_exercises():
    r = Reviews()
    r.solved("a", "late", now=T0)
    r.solved("b", "later", now=T0 + DAY)
    r.solved("c", "gone", now=T0)
    due = r.due(now=T0 + 5 * DAY, known={("a", "late"), ("b", "later")})
    assert [c.exercise for c in due] == ["late", "later"]
    assert when(due[0], T0 + 5 * DAY) == "due 4 days ago"
    assert when(r.cards[("a", "late")], T0 + 0.5 * DAY) == "due tomorrow"


def test_two_instances_keep_the_card_further_on(tmp_path):
    path = tmp_path / "review.json"
    one, two = Reviews(path=path), Reviews(path=path)
    one.solved("08", "xor", now=T0)
    one.save()
    two.solved("08", "xor", now=T0)
    two.solved("08", "xor", now=T0 + 2 * DAY)  # reviewed: one step on
    two.solved("07", "relu", now=T0)
    two.save()
    one.solved("07", "mae", now=T0)
    one.save()
    back = Reviews.load(path)
    assert back.cards[("08", "xor")].step == 1
    assert set(back.cards) == {("08", "xor"), ("07", "relu"), ("07", "mae")}


def test_a_corrupt_file_starts_fresh(tmp_path):
    path = tmp_path / "review.json"
    path.write_text("{not json")
    assert Reviews.load(path).cards == {}
    path.write_text(
        '{"lessons": {"08": {"xor": {"step": "x"}, "ok": {"step": 1, "due": 1, "solved": 0}}}}'
    )
    assert list(Reviews.load(path).cards) == [("08", "ok")]


def test_bound_names_are_what_the_solution_binds():
    code = (
        "import math\n"
        "model = nn.Linear(2, 1)\n"
        "W1, (b1, _tmp) = 1, (2, 3)\n"
        "def my_relu(t):\n    inner = 1\n    return t\n"
        "for step in range(3):\n    loss = step\n"
        "with torch.no_grad():\n    total = 0\n"
        "model.weight.zero_()\n"
    )
    assert bound_names(code) == ["model", "W1", "b1", "my_relu", "step", "loss", "total"]
    assert bound_names("def (:") == []
    assert forget_cell(["W1", "b1"]) == "%reset_selective -f ^(W1|b1)$"
