"""The lesson pane with the keyboard alone: navigation, running blocks, exercises, progress."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.lessons.trust import TrustStore
from tui.ui.lessons.code_block import CodeBlock
from tui.ui.lessons.exercise_card import ExerciseCard
from tui.ui.lessons.lesson_pane import LessonPane
from tui.ui.lessons.picker import ChoiceList, LessonPicker
from tui.ui.lessons.prose import Prose, draw, parse_prose

from ..pilot_wait import wait_for

MINI = """---
id: "01-mini"
title: "Mini lesson"
concepts: [tensors]
why: "A tiny lesson."
prerequisites: [00-missing]
---

# Mini

See [the second lesson](02-second.md) and [a file outside](../outside.md).

## Make tensors

```python
a = torch.ones(3)
```

### Exercise: Three zeros

Make `z`, a tensor of three zeros.

> Hint: `torch.zeros(n)` makes n zeros.

```python check
assert z.shape == (3,), f"z has shape {tuple(z.shape)}, want (3,)"
assert bool((z == 0).all()), "z should be all zeros"
```

```python solution
z = torch.zeros(3)
```

## Second section

```python
b = a * 2
```

## Third section

Done.
"""

SECOND = """---
id: "02-second"
title: "Second lesson"
---
## Only

```python
c = 1
```
"""


@pytest.fixture
def lessons_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "01-mini.md").write_text(MINI)
    (folder / "02-second.md").write_text(SECOND)
    (folder / "03-broken.md").write_text("---\nid: [nope\n---\n")
    (tmp_path / "outside.md").write_text("---\nid: out\ntitle: Out\n---\n")
    # trusted, as a learner would: its checks run (untrusted ones: test_lesson_trust.py)
    TrustStore.load().trust(folder)
    return folder


def pane_of(app) -> LessonPane:
    return app.screen.query_one("#lessons", LessonPane)


async def kernel_text(app, code: str) -> str:
    """What ``code`` prints in the kernel (run beside the REPL, not through it)."""
    outcome = await app.kernel.execute(code, lambda out: None)
    return outcome.text().strip()


async def finished(pilot, app, source: str) -> object:
    """The outcome of the REPL's cell ``source``, once it has finished."""

    def done():
        cell = getattr(app, "last_cell", None)
        return cell if cell is not None and cell.source == source else None

    return await wait_for(pilot, done, 60, f"the cell {source!r}")


async def test_keyboard_navigation(lessons_dir, make_app):
    app = make_app(lessons_dirs=[lessons_dir])
    async with app.run_test(size=(160, 48)) as pilot:
        pane = pane_of(app)
        await wait_for(pilot, lambda: pane.lesson is not None, what="a lesson")
        assert pane.lesson.id == "01-mini" and pane.section == 0
        assert "Mini lesson" in str(pane.query_one("#lesson-header").render())
        # a click on a link in the prose opens the linked lesson
        intro = await wait_for(
            pilot,
            lambda: (
                pane.query(Prose)
                and pane.query(Prose).first().size.width
                and pane.query(Prose).first()
            ),
            what="the prose laid out",
        )
        rows = [row.plain for row in draw(parse_prose(intro.source), intro.size.width)]
        y = next(n for n, row in enumerate(rows) if "the second lesson" in row)
        await pilot.click(intro, offset=(rows[y].index("the second lesson") + 2, y))
        await wait_for(pilot, lambda: pane.lesson.id == "02-second", what="the linked lesson")
        await pilot.press("left_square_bracket")
        assert (pane.lesson.id, pane.section) == ("01-mini", 0)
        await pilot.press("n")
        assert pane.section == 1
        await pilot.press("n", "n")
        assert pane.section == 2, "n stops at the last section"
        await pilot.press("p")
        assert pane.section == 1
        await pilot.press("t")
        assert isinstance(app.screen, ChoiceList)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: pane.section == 2, what="the contents to jump")
        await pilot.press("right_square_bracket")
        assert pane.lesson.id == "02-second"
        await pilot.press("left_square_bracket")
        assert pane.lesson.id == "01-mini"
        await pilot.press("l")
        assert isinstance(app.screen, LessonPicker)
        table = app.screen.query_one("DataTable")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        ids = [r[4] for r in rows]
        assert ids.index("01-mini") < ids.index("02-second") < ids.index("03-broken")
        mini = rows[ids.index("01-mini")]
        assert mini[1] == "▶ Mini lesson" and mini[2].endswith("%")
        assert "00-missing (missing)" in mini[3]
        assert "needs: 00-missing (not found)" in str(
            app.screen.query_one("#picker-detail").render()
        )
        detail = str(app.screen.query_one("#picker-detail").render())
        assert "concepts: tensors" in detail and "next: Second lesson" in detail
        assert "broken" in rows[ids.index("03-broken")][1]
        table.move_cursor(row=ids.index("03-broken"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane.lesson.broken, what="the broken lesson")
        assert "YAML error" in str(pane.query_one("#lesson-body").query("Static").first().render())
        # links: to a lesson opens it in the app; a file outside the lesson folders does not
        await pilot.press("l")  # the broken file sorts last in the course; back to 01-mini
        app.screen.query_one("DataTable").move_cursor(row=ids.index("01-mini"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane.lesson.id == "01-mini", what="the picked lesson")
        assert (pane.lesson.id, pane.section) == ("01-mini", 0)
        await pane.follow_link("../outside.md")
        assert pane.lesson.id == "01-mini"
        await pilot.press("o")
        assert isinstance(app.screen, ChoiceList)
        await pilot.press("enter")  # the first link: 02-second.md
        await wait_for(pilot, lambda: pane.lesson.id == "02-second", what="the linked lesson")


async def test_blocks_run_in_the_repl_and_an_exercise_turns_green(lessons_dir, make_app):
    app = make_app(lessons_dirs=[lessons_dir])
    async with app.run_test(size=(160, 48)) as pilot:
        pane = pane_of(app)
        await wait_for(pilot, lambda: app.kernel.ready, 60, "the kernel")
        await wait_for(pilot, lambda: pane.exercises_for == "01-mini", what="SetExercises")
        block = pane.selected_widget()  # a section opens with its first block selected
        assert isinstance(block, CodeBlock) and block.has_class("-selected")
        await pilot.press("enter")
        await wait_for(pilot, lambda: block.state == "ok", 60, "the block to run")
        assert app.last_cell.tag == "lesson:01-mini/block-0"  # matched by its tag
        assert await kernel_text(app, "print(a.sum().item())") == "3.0"
        card = pane.query_one(ExerciseCard)
        await wait_for(pilot, lambda: card.result is not None, what="a check result")
        assert not card.result.passed
        repl = app.screen.query_one("#repl")
        repl.run_source("z = torch.ones(3)")
        await wait_for(pilot, lambda: "all zeros" in card.result.message, what="feedback")
        assert "✗" in str(card.query_one(".ex-status").render())
        repl.run_source("z = torch.zeros(3)")
        await wait_for(pilot, lambda: card.result.passed, what="the exercise to pass")
        assert "✓" in str(card.query_one(".ex-status").render())
        assert "three-zeros" in pane.progress.of("01-mini").passed
        # c checks now (SetExercises, then CheckNow), without a cell
        card.set_result(None)
        await pilot.press("c")
        await wait_for(pilot, lambda: card.result is not None and card.result.passed, what="c")
        await pilot.press("h")
        assert card.hints_shown == 1
        await pilot.press("s")
        assert not card.solution_shown, "the first s only asks"
        await pilot.press("s")
        assert card.solution_shown
        # the same code typed in the REPL is not the block: blocks match by tag only
        await pilot.press("n")
        second = pane.selected_widget()  # the new section's first block
        assert isinstance(second, CodeBlock) and second.block.index == 1
        repl.run_source("b = a * 2")
        await finished(pilot, app, "b = a * 2")
        assert second.state == ""
        # rebuild the REPL state up to the second section after losing it
        repl.run_source("del a, b")
        await finished(pilot, app, "del a, b")
        await pilot.press("a")
        await wait_for(pilot, lambda: second.state == "ok", 60, "run up to here")
        assert await kernel_text(app, "print(b.sum().item())") == "6.0"
        assert (pane.lesson.id, pane.section) == ("01-mini", 1)
        # a restarted kernel forgets the exercises: the pane tells the new one on Ready
        pane.checks.exercises_for = None
        await app.kernel.restart()
        await wait_for(pilot, lambda: pane.exercises_for == "01-mini", 90, "SetExercises again")
        await pilot.press("p")
        card = pane.query_one(ExerciseCard)
        repl.run_source("z = torch.zeros(3)")
        await wait_for(pilot, lambda: card.result is not None and card.result.passed, 60)
        await pilot.press("n")
        done = pane.progress.completion(pane.lesson)

    # the next day: the app reopens at the same lesson and section, with the progress kept
    again = make_app(lessons_dirs=[lessons_dir])
    async with again.run_test(size=(160, 48)) as pilot:
        pane = pane_of(again)
        await wait_for(pilot, lambda: pane.lesson is not None)
        assert (pane.lesson.id, pane.section) == ("01-mini", 1)
        assert pane.progress.completion(pane.lesson) == done > 0
        await pilot.press("p")
        status = str(pane.query_one(ExerciseCard).query_one(".ex-status").render())
        assert "passed before" in status
        await pilot.press("l")
        table = again.screen.query_one("DataTable")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert next(r for r in rows if r[4] == "01-mini")[2] == f"{done:.0%}"


async def test_a_due_review_opens_with_a_failing_check_and_moves_on_when_solved(
    lessons_dir, make_app
):
    """Solved two days ago: the picker offers it first; opening it clears z from the REPL
    (the check fails again), and solving it anew schedules the next review in 3 days."""
    import time

    from tui.lessons.progress import Progress
    from tui.lessons.review import DAY, Reviews

    progress = Progress.load()
    progress.of("01-mini").passed.add("three-zeros")
    progress.save()
    reviews = Reviews.load()
    reviews.solved("01-mini", "three-zeros", now=time.time() - 2 * DAY)
    reviews.save()
    app = make_app(lessons_dirs=[lessons_dir])
    async with app.run_test(size=(160, 48)) as pilot:
        pane = pane_of(app)
        await wait_for(pilot, lambda: app.kernel.ready, 60, "the kernel")
        await wait_for(pilot, lambda: pane.exercises_for is not None, what="SetExercises")
        await kernel_text(app, "z = torch.zeros(3)")  # the old answer is still there
        await pilot.press("l")
        assert isinstance(app.screen, LessonPicker)
        assert "1 review due" in str(app.screen.query_one(".modal-title").render())
        table = app.screen.query_one("DataTable")
        first = [str(c) for c in table.get_row_at(0)]
        assert first[:3] == ["↻", "Review: Three zeros", "due 1 day ago"]
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane.lesson.id == "01-mini", what="the review's lesson")
        card = pane.query_one(ExerciseCard)
        assert pane.selected_widget() is card
        cell = await finished(pilot, app, "%reset_selective -f ^(z)$")
        assert cell.tag == "review:01-mini/three-zeros"
        await wait_for(pilot, lambda: card.result is not None, what="the check")
        assert not card.result.passed, "the review starts from a failing check"
        app.screen.query_one("#repl").run_source("z = torch.zeros(3)")
        await wait_for(pilot, lambda: card.result.passed, what="the exercise to pass again")
        await wait_for(
            pilot, lambda: Reviews.load().cards[("01-mini", "three-zeros")].step == 1, what="save"
        )
        assert not pane.reviews.due(), "reviewed: not due again for 3 days"


async def test_enter_at_the_top_of_a_section_runs_its_first_block_and_a_missing_name_points_at_a(
    lessons_dir, make_app, monkeypatch
):
    app = make_app(lessons_dirs=[lessons_dir])
    notes: list[str] = []
    async with app.run_test(size=(160, 48)) as pilot:
        monkeypatch.setattr(app, "notify", lambda msg, **kw: notes.append(str(msg)))
        pane = pane_of(app)
        await wait_for(pilot, lambda: app.kernel.ready, 60, "the kernel")
        await wait_for(pilot, lambda: pane.lesson is not None, what="a lesson")
        await kernel_text(app, "a = None; del a")  # a fresh REPL: no a
        await pilot.press("f2", "n")  # "Second section": b = a * 2, which needs block 1's a
        await wait_for(pilot, lambda: pane.section == 1, what="the second section")
        block = pane.selected_widget()
        assert isinstance(block, CodeBlock) and block.has_class("-selected")
        await pilot.press("enter")
        await wait_for(pilot, lambda: block.state == "error", 60, "the block to fail")
        hint = next(n for n in notes if "press a" in n)
        assert hint.startswith("a is made by block 1 (line ")
        await pilot.press("a")
        await wait_for(pilot, lambda: block.state == "ok", 60, "run up to here")


async def test_a_dashboard_run_of_the_repl_model_rechecks_the_exercises(make_app):
    """08's Solve XOR: an untrained 8-wide net fails; t in the dashboard trains it and
    the check turns green without another cell."""
    app = make_app(lesson="08-pytorch-intro", device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = pane_of(app)
        await wait_for(pilot, lambda: app.kernel.ready, 60, "the kernel")
        await wait_for(pilot, lambda: pane.exercises_for == "08-pytorch-intro", what="exercises")
        lesson = pane.lesson
        xor = next(e for e in lesson.exercises if e.id == "solve-xor")
        await pane.show_section(xor.section)
        code = "\n".join(b.code for b in lesson.blocks if b.line < xor.line)
        code += "\ntorch.manual_seed(0)\nmodel = SimpleNet(2, 8, 1)\n"
        code += "optimizer = torch.optim.Adam(model.parameters(), lr=0.05)\n"
        repl = app.screen.query_one("#repl")
        repl.run_source(code)
        card = next(c for c in pane.query(ExerciseCard) if c.exercise.id == "solve-xor")
        await wait_for(pilot, lambda: card.result is not None, 90, "the check")
        assert not card.result.passed
        await pilot.press("f4", "t")
        await wait_for(pilot, lambda: card.result.passed, 90, "the check after training")


def repl_log_text(app) -> str:
    log = app.screen.query_one("#repl-log")
    return "\n".join(strip.text for strip in log.lines)


async def test_a_cell_that_changes_an_exercise_says_so_under_it_in_the_repl(lessons_dir, make_app):
    app = make_app(lessons_dirs=[lessons_dir])
    async with app.run_test(size=(160, 48)) as pilot:
        pane = pane_of(app)
        await wait_for(pilot, lambda: app.kernel.ready, 60, "the kernel")
        await wait_for(pilot, lambda: pane.exercises_for == "01-mini", what="SetExercises")
        repl = app.screen.query_one("#repl")
        repl.run_source("a = torch.ones(3)")
        await finished(pilot, app, "a = torch.ones(3)")
        assert "Three zeros" not in repl_log_text(app)  # not started: no news
        repl.run_source("z = torch.ones(3)")
        await wait_for(pilot, lambda: "✗ Three zeros: " in repl_log_text(app), what="✗ line")
        lines = repl_log_text(app).splitlines()
        cell = next(i for i, line in enumerate(lines) if "z = torch.ones(3)" in line)
        assert any("✗ Three zeros" in line for line in lines[cell + 1 :])  # under its cell
        repl.run_source("z = torch.zeros(3)")
        await wait_for(pilot, lambda: "✓ Three zeros" in repl_log_text(app), what="✓ line")
        count = repl_log_text(app).count("✓ Three zeros")
        repl.run_source("w = 1")
        await finished(pilot, app, "w = 1")
        assert repl_log_text(app).count("✓ Three zeros") == count  # unchanged: said once


async def test_after_a_restart_the_old_cards_are_marked_stale(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.kernel.ready, 60, "the kernel")
        inspector = app.screen.query_one("#repl-inspector")
        await wait_for(pilot, lambda: inspector.built, what="the inspector")
        repl = app.screen.query_one("#repl")
        repl.run_source("x = torch.ones(3)")
        await finished(pilot, app, "x = torch.ones(3)")
        await wait_for(pilot, lambda: inspector.query(".card"), what="x's card")
        await app.kernel.restart()
        await wait_for(pilot, lambda: inspector.query(".card.-stale"), what="a stale card")
        note = str(inspector.query_one("#cards-note").render())
        assert "not what the new kernel holds" in note
        await wait_for(pilot, lambda: app.kernel.ready, 90, "the new kernel")
        repl.run_source("y = torch.zeros(2)")
        await finished(pilot, app, "y = torch.zeros(2)")
        await wait_for(pilot, lambda: not inspector.query(".card.-stale"), what="fresh cards")


async def test_a_misspelt_fence_flag_is_said_as_the_lesson_opens(tmp_path, make_app):
    """A block whose flag the format does not know is shown, not run: the learner (or the
    lesson's author) is told which line, once, when the lesson opens."""
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "01-typo.md").write_text(
        '---\nid: "01-typo"\ntitle: "Typo"\n---\n## One\n\n```python chek\nx = 1\n```\n'
    )
    TrustStore.load().trust(folder)
    app = make_app(lessons_dirs=[folder], lesson="01-typo")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = pane_of(app)
        await wait_for(pilot, lambda: pane.lesson is not None, what="a lesson")
        said = lambda: [n.message for n in app._notifications if "chek" in n.message]  # noqa: E731
        await wait_for(pilot, lambda: said(), what="the warning")
        assert "01-typo.md:7" in said()[0]


async def test_a_renamed_lesson_opens_by_its_old_id_with_its_old_progress(tmp_path, make_app):
    """A lesson saying ``formerly: [old]``: ``--lesson old`` opens it, and what the learner
    did under the old id counts (saved under the new id on the first start)."""
    import json

    from tui.lessons.progress import Progress, progress_path

    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "18-new.md").write_text(
        '---\nid: "18-new"\ntitle: "New"\nformerly: ["09-old"]\n---\n## One\n\n## Two\n'
    )
    progress_path().parent.mkdir(parents=True, exist_ok=True)
    old = {"09-old": {"visited": ["one", "two"], "exercises_passed": ["e"]}}
    progress_path().write_text(json.dumps({"version": 1, "lessons": old}))
    app = make_app(lessons_dirs=[folder], lesson="09-old")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = pane_of(app)
        await wait_for(pilot, lambda: pane.lesson is not None, what="a lesson")
        assert pane.lesson.id == "18-new"
        assert pane.progress.of("18-new").passed == {"e"}
    assert "09-old" not in Progress.load().lessons and "18-new" in Progress.load().lessons


async def test_a_section_gone_back_to_comes_back_as_it_was_left(lessons_dir, make_app):
    """p after n shows the section kept, not built anew (a build lays the whole screen out
    two or three times): the hint shown is still there, only its own blocks are picked,
    and another lesson starts afresh."""
    app = make_app(lessons_dirs=[lessons_dir])
    async with app.run_test(size=(160, 48)) as pilot:
        pane = pane_of(app)
        await wait_for(pilot, lambda: pane.selected_widget() is not None, what="a lesson")
        first = pane.selected_widget()
        card = pane.body.cards()[0]
        await pilot.press("h")
        assert card.hints_shown == 1
        await pilot.press("n")
        await wait_for(pilot, lambda: pane.section == 1, what="the second section")
        assert first not in pane.body.selectables() and not first.region
        assert pane.body.cards() == []  # h and s act on this section's exercise: none
        await pilot.press("p")
        await wait_for(pilot, lambda: pane.section == 0, what="the first again")
        assert pane.selected_widget() is first and card.hints_shown == 1
        await wait_for(pilot, lambda: bool(first.region), what="the kept block on screen")
        await pilot.press("right_square_bracket", "left_square_bracket")
        await wait_for(pilot, lambda: pane.selected_widget() is not None, what="the lesson")
        assert pane.selected_widget() is not first and not first.is_attached


async def test_only_the_last_sections_are_kept(lessons_dir, make_app, monkeypatch):
    """Each widget kept costs every later frame a little: the oldest section goes."""
    from tui.ui.lessons.lesson_body import LessonBody

    monkeypatch.setattr(LessonBody, "KEPT", 2)
    app = make_app(lessons_dirs=[lessons_dir])
    async with app.run_test(size=(160, 48)) as pilot:
        pane = pane_of(app)
        await wait_for(pilot, lambda: pane.selected_widget() is not None, what="a lesson")
        first = pane.selected_widget()
        await pilot.press("n", "n")  # three sections seen, two kept: the first goes
        await wait_for(pilot, lambda: pane.section == 2, what="the third section")
        assert not first.is_attached
        await pilot.press("p")
        await wait_for(pilot, lambda: pane.section == 1, what="the second, kept")
        assert len(pane.body.children) == 2
