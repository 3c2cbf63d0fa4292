"""Spaced review in the lesson pane: solved exercises get a card (``tui.lessons.review``),
due ones are offered in the picker, and opening one takes its solution's names out of
the REPL so its check fails again until the learner redoes it (``a`` rebuilds the
lesson's own state up to the exercise). A Mixin of ``LessonPane``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui.lessons import review
from tui.lessons.review import Reviews
from tui.platform import state
from tui.ui.common.plain import notify_plain
from tui.ui.lessons.parts import ExerciseCard

if TYPE_CHECKING:
    from textual.widget import Widget

    from tui.lessons.document import Lesson
    from tui.lessons.progress import Progress


class LessonReview:
    if TYPE_CHECKING:  # provided by LessonPane and Widget
        app: Any
        lesson: Lesson | None
        lessons: list[Lesson]
        progress: Progress

        def query(self, selector: Any) -> Any: ...
        def post_message(self, message: Any) -> bool: ...
        def call_after_refresh(self, callback: Any, *args: Any) -> bool: ...
        def selectables(self) -> list[Widget]: ...
        def _select(self, index: int, items: list[Widget]) -> None: ...
        def _find(self, key: str) -> Lesson | None: ...
        async def open_lesson(self, lesson: Lesson | None, section: int = 0) -> None: ...

    reviews: Reviews
    #: Exercises of the open lesson seen failing since it opened: a pass after one of
    #: those is a real solve (a pass straight away only means the names were there).
    failing_seen: set[str]

    def load_reviews(self) -> None:
        """Read the schedule; exercises passed before reviews existed start one now."""
        self.reviews = Reviews.load()
        self.failing_seen = set()
        changed = False
        for lesson_id, mine in self.progress.lessons.items():
            for exercise_id in sorted(mine.passed):
                if (lesson_id, exercise_id) not in self.reviews.cards:
                    changed |= self.reviews.solved(lesson_id, exercise_id)
        if changed:
            self.save_reviews()

    def known_exercises(self) -> set[tuple[str, str]]:
        return {(ls.id, e.id) for ls in self.lessons if not ls.broken for e in ls.exercises}

    def save_reviews(self) -> None:
        try:
            self.reviews.save()
        except state.StateError as exc:
            notify_plain(self.app, f"Reviews not saved: {exc}", severity="warning", timeout=8)

    def check_seen(self, lesson: Lesson, exercise_id: str, passed: bool, first: bool) -> None:
        """A check result: schedule a first solve, or move a due review on."""
        if not passed:
            self.failing_seen.add(exercise_id)
            return
        due = self.reviews.is_due(lesson.id, exercise_id)
        if first or (due and exercise_id in self.failing_seen):
            self.failing_seen.discard(exercise_id)
            if self.reviews.solved(lesson.id, exercise_id):
                self.save_reviews()
                if due:
                    card = self.reviews.cards[(lesson.id, exercise_id)]
                    title = next((e.title for e in lesson.exercises if e.id == exercise_id), "")
                    after = review.when(card, card.solved)
                    notify_plain(
                        self.app, f"↻ Review done: {title}. Next review {after}", timeout=6
                    )

    async def open_review(self, lesson_id: str, exercise_id: str) -> None:
        """Open the exercise, take its solution's names out of the REPL, offer ``a``."""
        lesson = self._find(lesson_id)
        exercise = (
            next((e for e in lesson.exercises if e.id == exercise_id), None) if lesson else None
        )
        if lesson is None or exercise is None:
            self.app.notify("That exercise is no longer in the lessons", severity="warning")
            return
        await self.open_lesson(lesson, exercise.section)
        items = self.selectables()
        card = next(
            (w for w in items if isinstance(w, ExerciseCard) and w.exercise is exercise), None
        )
        if card is not None:  # selected now, scrolled to once the section is laid out
            self._select(items.index(card), items)
            self.call_after_refresh(self._select, items.index(card), items)
        names = review.bound_names(exercise.solution or "")
        if names:
            from tui.ui.lessons.lesson_pane import LessonPane

            self.post_message(
                LessonPane.RunBlock(f"review:{lesson.id}/{exercise.id}", review.forget_cell(names))
            )
        gone = f" ({', '.join(names)} cleared from the REPL)" if names else ""
        notify_plain(
            self.app,
            f"↻ Review: {exercise.title}{gone}. Press a to rebuild the lesson up to here, "
            "then solve it again in the REPL",
            timeout=10,
        )

    def hint_missing_name(self, lesson: Lesson | None, block: Any, outcome: Any) -> None:
        """A block failed with NameError for a name an earlier block of this lesson makes
        (after a restart, say): say which block, and point at ``a``."""
        import re

        if lesson is None or getattr(outcome, "error_name", "") != "NameError":
            return
        found = re.search(r"name '(\w+)' is not defined", getattr(outcome, "error_value", ""))
        if found is None:
            return
        name = found.group(1)
        maker = next(
            (
                b
                for b in reversed(lesson.blocks)
                if b.line < block.line and name in review.bound_names(b.code)
            ),
            None,
        )
        if maker is not None:
            notify_plain(
                self.app,
                f"{name} is made by block {maker.index + 1} (line {maker.line}), which has not "
                "run in this REPL: press a to run the blocks up to here",
                severity="warning",
                timeout=10,
            )
