"""Trusting a lesson folder: checks stay off until the learner says so.

A lesson from ``--lessons-dir`` or the user's lessons folder may come from anyone, and
its ``check`` fences would run in the kernel after every REPL cell. Until its folder is
trusted (``tui.lessons.trust``), the pane sends the kernel no check code, each exercise
says why (``TrustNote``), and T (or c on an exercise) asks to trust the folder
(``FolderTrust.ask``, which posts ``FolderTrust.Trusted`` on yes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from tui.lessons.document import Lesson
from tui.lessons.library import default_dirs, load_lessons
from tui.lessons.trust import CHANGING, NEW, LessonFolders, Verdict, load_with_trust
from tui.platform import state
from tui.ui.common.plain import notify_plain


class TrustNote(Static):
    """On an exercise whose checks are off: why, and the key that turns them on."""

    DEFAULT_CSS = "TrustNote { color: $warning; height: auto; }"


class FolderTrust(Widget):
    """Which lessons may have their checks run: the folders as they were read, each
    trusted or not, and the question T asks. Draws nothing."""

    DEFAULT_CSS = "FolderTrust { display: none; }"

    @dataclass
    class Trusted(Message):
        """The learner trusted ``folder``, the folder of ``lesson``: its checks may run."""

        lesson: Lesson
        folder: str

    def __init__(self) -> None:
        super().__init__()
        #: Each lesson folder's digest as read; None until ``read_lessons``.
        self.folders: LessonFolders | None = None

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

    def untrusted(self, lessons: Iterable[Lesson]) -> dict[str, str]:
        """``{lesson id: reason}`` of every lesson whose checks are off (for the picker)."""
        out = {}
        for lesson in lessons:
            verdict = self.distrust_of(lesson)
            if verdict is not None:
                out[lesson.id] = verdict.reason()
        return out

    def note(self, lesson: Lesson | None) -> Text | None:
        """What each exercise of ``lesson`` says while its checks are off (None: on)."""
        verdict = self.distrust_of(lesson)
        if verdict is None:
            return None
        if verdict.status == CHANGING:
            return Text(f"⚠ checks off: {verdict.reason()}")
        return Text(f"⚠ checks off: {verdict.reason()} — press T to trust it")

    def ask(self, lesson: Lesson | None) -> None:
        """Ask to trust ``lesson``'s folder; on yes, trust it and post ``Trusted``."""
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
        if self.distrust_of(lesson) is None:
            self.post_message(self.Trusted(lesson, folder))
