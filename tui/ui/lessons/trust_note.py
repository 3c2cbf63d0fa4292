"""Trusting a lesson folder from the lesson pane: checks stay off until the learner says so.

A lesson from ``--lessons-dir`` or the user's lessons folder may come from anyone, and
its ``check`` fences would run in the kernel after every REPL cell. Until its folder is
trusted (``tui.lessons.trust``), the pane sends the kernel no check code, each exercise says
why, and T (or c on an exercise) asks to trust the folder. A mixin of ``LessonPane``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import Static

from tui.lessons.document import Lesson
from tui.lessons.library import default_dirs, load_lessons
from tui.lessons.trust import CHANGING, NEW, LessonFolders, Verdict, load_with_trust
from tui.platform import state
from tui.protocol import messages as p
from tui.ui.common.plain import notify_plain, plain
from tui.ui.lessons.actions import exercise_specs
from tui.ui.lessons.parts import ExerciseCard

#: The pane's key line; an untrusted lesson's starts with what T does.
KEYS = "n/p section · ↑↓ select · Enter run · a run up to here · t contents · l lessons"
#: The "not checked yet" line of an exercise is wrong while checks are off.
TRUST_CSS = "LessonPane ExerciseCard.-untrusted > .ex-status { display: none; }"


class TrustNote(Static):
    """On an exercise whose checks are off: why, and the key that turns them on."""

    DEFAULT_CSS = "TrustNote { color: $warning; height: auto; }"


class LessonTrust:
    """Which lessons may have their checks run, and the T key that trusts a folder."""

    if TYPE_CHECKING:  # provided by LessonPane and Widget
        app: Any
        lesson: Lesson | None
        lessons: list[Lesson]
        border_subtitle: Any

        def query(self, selector: Any) -> Any: ...
        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...
        def refresh_bindings(self) -> None: ...
        def _send_exercises(self) -> None: ...
        def action_check_now(self) -> None: ...

    folders: LessonFolders | None = None

    def read_lessons(self, extra_dirs: Iterable[Path]) -> list[Lesson]:
        """Every lesson (as ``discover``), with each folder's digest as it was read."""
        lessons, self.folders = load_with_trust(default_dirs(extra_dirs), load_lessons)
        return lessons

    def distrust_of(self, lesson: Lesson | None) -> Verdict | None:
        """Why ``lesson``'s checks are off, or None when they may run (or it has none)."""
        if lesson is None or lesson.broken or not lesson.exercises:
            return None
        if self.folders is None:  # lessons not read through load_lessons: nothing vouches
            return Verdict(str(lesson.path.parent), NEW)
        verdict = self.folders.verdict(lesson)
        return None if verdict.trusted else verdict

    def checked_specs(self, lesson: Lesson | None) -> list[p.ExerciseSpec]:
        """The check code the kernel may run: none for a lesson whose folder is untrusted."""
        return [] if self.distrust_of(lesson) is not None else exercise_specs(lesson)

    def untrusted_lessons(self) -> dict[str, str]:
        """``{lesson id: reason}`` of every lesson whose checks are off (for the picker)."""
        out = {}
        for lesson in self.lessons:
            verdict = self.distrust_of(lesson)
            if verdict is not None:
                out[lesson.id] = verdict.reason()
        return out

    def _note_text(self, verdict: Verdict) -> Text:
        if verdict.status == CHANGING:
            return Text(f"⚠ checks off: {verdict.reason()}")
        return Text(f"⚠ checks off: {verdict.reason()} — press T to trust it")

    def mark_untrusted(self, card: ExerciseCard) -> None:
        """Before ``card`` mounts: say on it why it is not checked."""
        verdict = self.distrust_of(self.lesson)
        if verdict is not None:
            card.add_class("-untrusted")
            card.prompt_widgets.append(TrustNote(self._note_text(verdict)))

    def show_trust_state(self) -> None:
        """The key line and the border say when this lesson's checks are off."""
        lesson = self.lesson
        untrusted = self.distrust_of(lesson) is not None
        keys = ("checks off · T trust folder · " if untrusted else "") + KEYS
        self.query_one("#lesson-keys", Static).update(keys)
        if lesson is not None:
            # a lesson's id is its file's name: literal
            self.border_subtitle = plain(f"{lesson.id} · untrusted" if untrusted else lesson.id)
        self.refresh_bindings()

    def action_trust(self) -> None:
        """Ask to trust the current lesson's folder; on yes, send and run its checks."""
        lesson = self.lesson
        verdict = self.distrust_of(lesson)
        if lesson is None or verdict is None:
            self.app.notify("This lesson's checks already run: nothing to trust", timeout=3)
            return
        if verdict.status == CHANGING or self.folders is None:
            notify_plain(self.app, verdict.reason(), severity="warning", timeout=8)
            return
        from tui.ui.common.confirm import ConfirmScreen

        details: list[str] = []
        if verdict.changed:
            details = ["Changed since you trusted it:", *[f"  {n}" for n in verdict.changed]]
        question = (
            f"{verdict.folder}\n\nIts lessons' exercise checks will run in your REPL's kernel "
            "after every cell, as the shipped lessons' do. A check is code: trust a folder "
            "only if you trust whoever wrote it."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._trust(lesson, verdict.folder)

        title = (
            "Trust this lesson folder again?" if verdict.changed else "Trust this lesson folder?"
        )
        keys = "Enter: trust and check now · Esc: keep checks off"
        self.app.push_screen(ConfirmScreen(question, keys, title, details), answered)

    def _trust(self, lesson: Lesson, folder: str) -> None:
        assert self.folders is not None
        try:
            self.folders.trust(lesson)
        except state.StateError as exc:
            notify_plain(self.app, f"Trusted until you quit, not saved: {exc}", severity="warning")
        if self.distrust_of(lesson) is not None or lesson is not self.lesson:
            return
        for note in self.query(TrustNote):
            note.remove()
        for card in self.query(ExerciseCard):
            card.remove_class("-untrusted")
        self.show_trust_state()
        notify_plain(self.app, f"Trusted: {folder}; its checks run now", timeout=4)
        self._send_exercises()
        self.action_check_now()
