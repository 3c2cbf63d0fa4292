"""A lesson folder the learner did not get with torch-tui runs no check until trusted (T)."""

from __future__ import annotations

from pathlib import Path

from tui.lessons.trust import TrustStore
from tui.ui.common.confirm import ConfirmScreen
from tui.ui.lessons.exercise_card import ExerciseCard
from tui.ui.lessons.picker import LessonPicker
from tui.ui.lessons.trust_note import TrustNote

from ..pilot_wait import wait_for
from .test_lesson_pane import finished, pane_of


def evil_lesson(folder: Path, marker: Path) -> Path:
    """A lesson whose hidden check writes ``marker``: it must not run unasked."""
    folder.mkdir()
    path = folder / "evil.md"
    path.write_text(
        f"""---
id: evil
title: A lesson from somewhere
---
## Only

### Exercise: The answer

Make `answer`, the answer.

```python check
open({str(marker)!r}, "w").close()
assert answer == 42, "answer should be 42"
```
"""
    )
    return path


def note_text(pane) -> str:
    return " ".join(str(n.render()) for n in pane.query(TrustNote))


async def test_checks_run_only_once_the_folder_is_trusted(tmp_path, make_app):
    folder, marker = tmp_path / "lessons", tmp_path / "MARKER"
    lesson_file = evil_lesson(folder, marker)
    app = make_app(lessons_dirs=[folder], lesson="evil")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = pane_of(app)
        await wait_for(pilot, lambda: app.kernel.ready, 60, "the kernel")
        await wait_for(pilot, lambda: pane.exercises_for == "evil", what="SetExercises")
        card = pane.query_one(ExerciseCard)
        assert "not trusted" in note_text(pane) and str(folder.resolve()) in note_text(pane)
        assert "press T" in note_text(pane) and "untrusted" in pane.border_subtitle
        # the picker says so too
        await pilot.press("l")
        picker = await wait_for(pilot, lambda: isinstance(app.screen, LessonPicker) and app.screen)
        table = picker.query_one("DataTable")
        titles = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert any("A lesson from somewhere" in t and "untrusted" in t for t in titles)
        await pilot.press("escape")
        # a REPL cell of the learner's own runs no check of this lesson
        repl = app.screen.query_one("#repl")
        repl.run_source("6*7")
        await finished(pilot, app, "6*7")
        await app.kernel.sync()
        assert not marker.exists(), "an untrusted lesson's check ran unasked"
        assert card.result is None
        # c asks to trust first; Esc keeps the checks off
        await pilot.press("f2", "c")
        confirm = await wait_for(
            pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen
        )
        assert str(folder.resolve()) in confirm.question
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        assert not marker.exists() and note_text(pane)
        # T, Enter: trusted; the checks go to the kernel and run now
        await pilot.press("T")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("enter")
        await wait_for(pilot, lambda: card.result is not None, 60, "the check to run")
        assert marker.exists() and "answer" in card.result.message
        assert not note_text(pane) and "untrusted" not in pane.border_subtitle
        repl.run_source("answer = 6*7")
        await wait_for(pilot, lambda: card.result.passed, 60, "the check after a cell")

    # the file changes: the next start asks again, naming the file
    lesson_file.write_text(lesson_file.read_text().replace("== 42", "== 43"))
    marker.unlink()
    again = make_app(lessons_dirs=[folder], lesson="evil")
    async with again.run_test(size=(160, 48)) as pilot:
        pane = pane_of(again)
        await wait_for(pilot, lambda: pane.query(TrustNote), what="the lesson, untrusted")
        assert "changed since you trusted" in note_text(pane) and "evil.md" in note_text(pane)
        await pilot.press("T")
        confirm = await wait_for(
            pilot, lambda: isinstance(again.screen, ConfirmScreen) and again.screen
        )
        assert "again" in confirm.title_text and "  evil.md" in confirm.details
        await pilot.press("escape")
        assert not marker.exists()


async def test_a_folder_trusted_before_checks_as_the_shipped_lessons(tmp_path, make_app):
    folder, marker = tmp_path / "lessons", tmp_path / "MARKER"
    evil_lesson(folder, marker)
    TrustStore.load().trust(folder)
    app = make_app(lessons_dirs=[folder], lesson="evil")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = pane_of(app)
        await wait_for(pilot, lambda: pane.border_subtitle == "evil", what="the lesson shown")
        assert not pane.query(TrustNote)
        assert "checks off" not in str(pane.query_one("#lesson-keys").render())
        await pilot.press("T")
        assert not isinstance(app.screen, ConfirmScreen), "nothing to trust"
