"""The open lesson's exercises in the kernel: told on open and on every Ready, checked
after every cell (the results come in each ``CellPayload``) and on c (``CheckNow``).

``ExerciseChecks`` talks to the kernel and keeps the results and what changed; the
lesson pane decides which lesson's checks may run (trust) and shows the results.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from textual.message import Message
from textual.widget import Widget

from tui.lessons.document import Lesson
from tui.lessons.exercises import CHECK_TIME_LIMIT, CheckResult
from tui.protocol import messages as p
from tui.ui.common.plain import notify_plain
from tui.ui.common.session import Session

log = logging.getLogger(__name__)


def exercise_specs(lesson: Lesson | None) -> list[p.ExerciseSpec]:
    """What the kernel needs to check ``lesson``'s exercises (none for a broken one)."""
    if lesson is None or lesson.broken:
        return []
    return [p.ExerciseSpec(e.id, e.title, e.check, e.check_line or 1) for e in lesson.exercises]


def is_news(before: CheckResult | None, now: CheckResult) -> bool:
    """A result worth a line under the cell: a pass, or a message that changed (a first
    failing result is the exercise not started yet)."""
    if before is None:
        return now.passed
    return before.passed != now.passed or before.message != now.message


class ExerciseChecks(Widget):
    """The kernel's side of the exercises, and their latest results. Draws nothing."""

    DEFAULT_CSS = "ExerciseChecks { display: none; }"

    @dataclass
    class Checked(Message):
        """The kernel's answer to ``check_now``: every exercise's result, now."""

        checks: p.Checks

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        #: The latest result of each exercise of the open lesson, by exercise id.
        self.results: dict[str, CheckResult] = {}
        #: Exercises a running cell changed, said under it in the REPL once it is done.
        self.news: list[tuple[str, CheckResult]] = []
        #: The lesson whose exercises the kernel has acknowledged (None: not told yet).
        self.exercises_for: str | None = None

    @property
    def _kernel(self) -> Any:
        return self.session.kernel

    @property
    def kernel_ready(self) -> bool:
        kernel = self._kernel
        return kernel is not None and kernel.ready

    def reset(self) -> None:
        """Another lesson opened: no results yet."""
        self.results = {}

    def forget(self) -> None:
        """The kernel died: the next one knows no exercises."""
        self.exercises_for = None

    def tell(self, lesson_id: str, specs: list[p.ExerciseSpec]) -> None:
        """Make ``specs`` the exercises checked after every cell (once the kernel is up:
        else on its Ready)."""
        if not self.kernel_ready:
            return
        message = p.SetExercises(lesson=lesson_id, exercises=specs)
        self.run_worker(self._tell(message), group="lesson-exercises", exclusive=True)

    async def _tell(self, message: p.SetExercises) -> None:
        try:
            await self._kernel.agent(message)
        except Exception as exc:  # noqa: BLE001 - sent again on the next Ready
            log.warning("exercises not sent: %r", exc)
            return
        self.exercises_for = message.lesson

    def check_now(self, lesson_id: str, specs: list[p.ExerciseSpec]) -> None:
        """SetExercises then CheckNow; the answer comes as ``Checked``."""
        self.run_worker(self._check_now(lesson_id, specs), group="lesson-check", exclusive=True)

    async def _check_now(self, lesson_id: str, specs: list[p.ExerciseSpec]) -> None:
        kernel = self._kernel
        limit = 5.0 + (CHECK_TIME_LIMIT + 0.5) * len(specs)
        try:
            await kernel.agent(p.SetExercises(lesson=lesson_id, exercises=specs))
            checks = await kernel.agent(p.CheckNow(), timeout=limit)
        except Exception as exc:  # noqa: BLE001 - said in a notification
            log.warning("exercises not checked: %r", exc)
            notify_plain(
                self.app, f"Could not check: {exc or type(exc).__name__}", severity="warning"
            )
            return
        self.post_message(self.Checked(checks))

    def take(
        self, checks: p.Checks, lesson: Lesson, after_cell: bool = False
    ) -> list[tuple[CheckResult, CheckResult | None]]:
        """Keep ``checks`` (of ``lesson``) as the latest results; each result with the one
        before it. ``after_cell``: a cell's results (pushed with its payload, then again
        with its outcome), whose changes are kept in ``news`` to be said under that cell."""
        rows = []
        for row in checks.results:
            result = CheckResult(row.id, row.passed, row.message, row.line)
            before = self.results.get(row.id)
            if after_cell and is_news(before, result):
                title = next((e.title for e in lesson.exercises if e.id == row.id), row.id)
                self.news.append((title, result))
            self.results[row.id] = result
            rows.append((result, before))
        return rows

    def take_news(self) -> list[tuple[str, CheckResult]]:
        """(title, result) of each exercise the last cell changed, once."""
        news, self.news = self.news, []
        return news
