"""Spaced review in the lesson pane: a solved exercise gets a card (``tui.lessons.review``),
due ones are offered in the picker, and one solved again after failing moves on.

Opening a due review (the pane's ``open_review``) takes its solution's names out of the
REPL, so its check fails again until the learner redoes it.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.widget import Widget

from tui.lessons import review
from tui.lessons.document import Lesson
from tui.lessons.progress import Progress
from tui.lessons.review import Card, Reviews
from tui.platform import state
from tui.ui.common.plain import notify_plain


class SpacedReview(Widget):
    """The review schedule, moved on by the check results it is told. Draws nothing."""

    DEFAULT_CSS = "SpacedReview { display: none; }"

    def __init__(self) -> None:
        super().__init__()
        self.reviews = Reviews()
        #: Exercises of the open lesson seen failing since it opened: a pass after one of
        #: those is a real solve (a pass straight away only means the names were there).
        self.failing_seen: set[str] = set()

    def load(self, progress: Progress, renamed: dict[str, str] | None = None) -> None:
        """Read the schedule (cards of a lesson's old id carried over to its new one);
        exercises passed before reviews existed start one now."""
        self.reviews = Reviews.load()
        self.failing_seen = set()
        changed = self.reviews.rename(renamed or {})
        for lesson_id, mine in progress.lessons.items():
            for exercise_id in sorted(mine.passed):
                if (lesson_id, exercise_id) not in self.reviews.cards:
                    changed |= self.reviews.solved(lesson_id, exercise_id)
        if changed:
            self.save()

    def reset(self) -> None:
        """Another lesson opened: none of its exercises seen failing yet."""
        self.failing_seen = set()

    def due(self, lessons: Iterable[Lesson]) -> list[Card]:
        """The reviews due now, of exercises that are still in ``lessons``."""
        known = {(ls.id, e.id) for ls in lessons if not ls.broken for e in ls.exercises}
        return self.reviews.due(known=known)

    def save(self) -> None:
        try:
            self.reviews.save()
        except state.StateError as exc:
            notify_plain(self.app, f"Reviews not saved: {exc}", severity="warning", timeout=8)

    def seen(self, lesson: Lesson, exercise_id: str, passed: bool, first: bool) -> None:
        """A check result (``first``: the exercise's first pass ever): schedule a first
        solve, or move a due review on."""
        if not passed:
            self.failing_seen.add(exercise_id)
            return
        due = self.reviews.is_due(lesson.id, exercise_id)
        if first or (due and exercise_id in self.failing_seen):
            self.failing_seen.discard(exercise_id)
            if self.reviews.solved(lesson.id, exercise_id):
                self.save()
                if due:
                    card = self.reviews.cards[(lesson.id, exercise_id)]
                    title = next((e.title for e in lesson.exercises if e.id == exercise_id), "")
                    after = review.when(card, card.solved)
                    notify_plain(
                        self.app, f"↻ Review done: {title}. Next review {after}", timeout=6
                    )
