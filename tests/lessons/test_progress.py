"""Exercise checks (feedback, isolation, time limit) and saved progress."""

from __future__ import annotations

import gc
import json
import time
import weakref

from tui.lessons.document import Exercise, parse_lesson
from tui.lessons.exercises import run_check
from tui.lessons.progress import Progress, progress_path

LESSON = """---
id: p
title: P
---
## One
```python
a = 1
```
### Exercise: Set b
```python check
assert b == 2, f"b is {b}, want 2"
```
```python solution
b = 2
```
## Two
```python
c = 3
```
"""


def exercise(check: str) -> Exercise:
    return Exercise(id="e", title="E", line=1, section=0, check=check, check_line=2)


def test_a_passing_and_a_failing_check_with_its_message():
    ex = exercise('assert x == 3, f"x is {x}, want 3"')
    assert run_check(ex, {"x": 3}).passed
    result = run_check(ex, {"x": 4})
    assert not result.passed and result.message == "x is 4, want 3"


def test_a_bare_assert_shows_the_failing_line_and_a_missing_name_says_not_yet():
    assert (
        run_check(exercise("assert x > 1\nassert x > 5"), {"x": 3}).message
        == "failed: assert x > 5"
    )
    assert run_check(exercise("assert y"), {}).message.startswith("not yet:")


def test_a_check_does_not_change_the_learners_namespace():
    ns = {"x": 1}
    result = run_check(exercise("x = 99\nleaked = True\nassert x == 99"), ns)
    assert result.passed
    assert ns == {"x": 1}


def test_a_check_keeps_none_of_the_learners_objects_alive():
    """A check that defines a class (lesson 07's ``Calls_``) made its copy of the
    namespace a cycle: a learner's 2 GB tensor stayed in memory after ``del`` until the
    kernel's collector ran, seconds later. Passing or failing, nothing is kept."""

    class Big:
        pass

    for last in ("assert big", "assert not big"):
        check = "class K_:\n    def f(self):\n        return 1\n" + last
        big = Big()
        alive = weakref.ref(big)
        gc.disable()  # no collection may hide a cycle
        try:
            run_check(exercise(check), {"big": big})
            del big
            assert alive() is None, check
        finally:
            gc.enable()


def test_a_check_that_loops_forever_is_stopped():
    start = time.monotonic()
    result = run_check(exercise("while True:\n    pass"), {}, time_limit=0.3)
    assert time.monotonic() - start < 2
    assert not result.passed and "longer than 0.3 s" in result.message


def test_a_check_that_swallows_exceptions_is_still_stopped():
    code = "while True:\n    try:\n        pass\n    except Exception:\n        pass"
    assert "longer than" in run_check(exercise(code), {}, time_limit=0.3).message


def test_the_agent_checks_the_exercises_it_was_given():
    from types import SimpleNamespace

    from tui.agent.after_cell import CellWatcher
    from tui.protocol import messages as p

    ns: dict = {}
    cells = CellWatcher(ns)
    assert cells.check() is None  # no exercises set
    lesson = parse_lesson(LESSON)
    cells.lesson = lesson.id
    cells.exercises = [
        p.ExerciseSpec(e.id, e.title, e.check, e.check_line) for e in lesson.exercises
    ]
    ns["b"] = 2
    checks = cells.check()
    assert checks.lesson == "p"
    assert [(r.id, r.passed) for r in checks.results] == [("set-b", True)]
    ns["b"] = 3
    cells.before()
    payload = cells.after(SimpleNamespace(execution_count=1, result=None, error_in_exec=None))
    assert not payload.checks.results[0].passed  # checked after every cell
    assert "b" in ns and ns["b"] == 3  # a check changes nothing


def test_progress_round_trip_and_completion(tmp_home):
    lesson = parse_lesson(LESSON)
    progress = Progress.load()
    assert progress.completion(lesson) == 0
    progress.visit(lesson, 0)
    assert progress.completion(lesson) == 0, "only opened: a lesson not started is at 0%"
    progress.visit(lesson, 1)
    progress.block_run(lesson, 0)
    progress.exercise_passed(lesson, "set-b")
    progress.save()
    again = Progress.load()
    assert (again.last_lesson, again.last_section) == ("p", 1)
    # 2 sections + 2 blocks + 1 exercise; visited 2, ran 1, passed 1
    assert again.completion(lesson) == 4 / 5
    assert json.loads(progress_path().read_text())["lessons"]["p"]["exercises_passed"] == ["set-b"]


def test_a_corrupt_progress_file_is_set_aside_not_a_crash(tmp_home):
    path = progress_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    progress = Progress.load()
    assert progress.lessons == {} and progress.last_lesson is None
    assert list(path.parent.glob("progress.json.corrupt-*"))


def test_a_guard_for_a_missing_name_reads_not_yet_and_a_wrong_value_reads_failed():
    """``assert "w2" in globals(), "..."`` is how a check says what to make first: an
    exercise not started is "not yet" (as a NameError would be), not answered wrong."""
    guard = exercise('assert "w2" in globals() and isinstance(w2, int), "make w2, an int"')
    assert run_check(guard, {}).message == "not yet: make w2, an int"
    wrong = run_check(guard, {"w2": "two"})
    assert not wrong.passed and wrong.message == "make w2, an int"
    loop = exercise('for _name in ("a", "b"):\n    assert _name in globals(), f"make {_name}"')
    assert run_check(loop, {"a": 1}).message == "not yet: make b"
    assert run_check(loop, {"a": 1, "b": 2}).passed
