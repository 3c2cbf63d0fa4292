"""What the lesson pane does besides running code: the exercise checks in the kernel,
hints and solutions, moving between sections and lessons, the contents, the picker and
links. Mixins of ``LessonPane`` (``tui.ui.lessons.lesson_pane``), which holds the state.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widget import Widget

from tui.lessons.document import Lesson, resolve_link, section_links, slugify
from tui.lessons.exercises import CHECK_TIME_LIMIT, CheckResult
from tui.protocol import messages as p
from tui.ui.common import kernel_messages as km
from tui.ui.common.plain import notify_plain
from tui.ui.lessons.parts import ExerciseCard, LessonBody

if TYPE_CHECKING:
    from textual.widgets import Markdown

    from tui.lessons.progress import Progress
    from tui.lessons.review import Reviews


def exercise_specs(lesson: Lesson | None) -> list[p.ExerciseSpec]:
    """What the kernel needs to check ``lesson``'s exercises (none for a broken one)."""
    if lesson is None or lesson.broken:
        return []
    return [p.ExerciseSpec(e.id, e.title, e.check, e.check_line or 1) for e in lesson.exercises]


def _news(before: CheckResult | None, now: CheckResult) -> bool:
    """A result worth a line under the cell: a pass, or a message that changed (a first
    failing result is the exercise not started yet)."""
    if before is None:
        return now.passed
    return before.passed != now.passed or before.message != now.message


class LessonChecks:
    """The lesson's exercises in the kernel: sent on open and on Ready, checked after
    every cell (the results come in each ``CellPayload``) and on c (``CheckNow``).
    Only a trusted lesson's check code is sent (``LessonTrust.checked_specs``)."""

    if TYPE_CHECKING:  # provided by LessonPane and Widget
        app: Any
        lesson: Lesson | None
        progress: Progress
        reviews: Reviews
        results: dict[str, CheckResult]
        section: int
        display: bool
        exercises_for: str | None
        _pending: dict[str, Any]
        _queue: list[Any]

        def query(self, selector: Any) -> Any: ...
        def log(self, *args: Any) -> None: ...
        def run_worker(self, work: Any, **kw: Any) -> Any: ...
        def _mark_block(self, tag: str, state_name: str) -> None: ...
        def _save(self) -> None: ...
        def _update_header(self) -> None: ...
        def checked_specs(self, lesson: Lesson | None) -> list[p.ExerciseSpec]: ...
        def distrust_of(self, lesson: Lesson | None) -> Any: ...
        def action_trust(self) -> None: ...

        check_news: list[tuple[str, CheckResult]]

        def check_seen(
            self, lesson: Lesson, exercise_id: str, passed: bool, first: bool
        ) -> None: ...

    # -- the kernel -----------------------------------------------------------------------
    def on_kernel_ready(self, message: km.KernelReady) -> None:
        """A (re)started kernel knows no exercises, so tell it this lesson's."""
        self._send_exercises()

    def on_kernel_died(self, message: km.KernelDied) -> None:
        self.exercises_for = None
        for tag in list(self._pending):
            self._mark_block(tag, "error")
        self._pending.clear()
        self._queue.clear()

    def on_cell_payload_arrived(self, message: km.CellPayloadArrived) -> None:
        """Every cell's payload carries the checks (typed cells too)."""
        if message.payload.checks is not None:
            self._apply_checks(message.payload.checks, after_cell=True)

    @property
    def _kernel(self) -> Any:
        return self.session.kernel

    def _send_exercises(self) -> None:
        kernel = self._kernel
        if kernel is None or not kernel.ready:
            return  # sent on the Ready event
        lesson = self.lesson
        message = p.SetExercises(
            lesson=lesson.id if lesson is not None else "", exercises=self.checked_specs(lesson)
        )
        self.run_worker(self._tell_exercises(message), group="lesson-exercises", exclusive=True)

    async def _tell_exercises(self, message: p.SetExercises) -> None:
        try:
            await self._kernel.agent(message)
        except Exception as exc:  # noqa: BLE001 - sent again on the next Ready
            self.log(f"exercises not sent: {exc!r}")
            return
        self.exercises_for = message.lesson

    def action_check_now(self) -> None:
        lesson = self.lesson
        if lesson is None or lesson.broken or not lesson.exercises:
            self.app.notify("No exercises in this lesson", timeout=3)
            return
        if self.distrust_of(lesson) is not None:
            self.action_trust()  # checks off until the folder is trusted: ask first
            return
        kernel = self._kernel
        if kernel is None or not kernel.ready:
            self.app.notify("Checks run once the kernel is ready", timeout=3)
            return
        self.run_worker(self._check_now(lesson), group="lesson-check", exclusive=True)

    def recheck(self) -> None:
        """Check again without being asked (the dashboard changed the REPL's objects);
        quiet when there is nothing to check or the kernel is not ready."""
        lesson = self.lesson
        kernel = self._kernel
        if lesson is None or lesson.broken or not lesson.exercises:
            return
        if self.distrust_of(lesson) is not None or kernel is None or not kernel.ready:
            return
        self.run_worker(self._check_now(lesson), group="lesson-check", exclusive=True)

    async def _check_now(self, lesson: Lesson) -> None:
        """SetExercises then CheckNow: the checks of ``lesson`` against the namespace now."""
        kernel = self._kernel
        limit = 5.0 + (CHECK_TIME_LIMIT + 0.5) * len(lesson.exercises)
        try:
            specs = self.checked_specs(lesson)
            await kernel.agent(p.SetExercises(lesson=lesson.id, exercises=specs))
            checks = await kernel.agent(p.CheckNow(), timeout=limit)
        except Exception as exc:  # noqa: BLE001 - said in a notification
            notify_plain(
                self.app, f"Could not check: {exc or type(exc).__name__}", severity="warning"
            )
            return
        self._apply_checks(checks)

    def _apply_checks(self, checks: p.Checks, after_cell: bool = False) -> None:
        """Show check results on their exercise cards; ``after_cell``: a cell's results
        (pushed with its payload, then again with its outcome), whose changes are kept in
        ``check_news`` to be said under that cell once it is done."""
        lesson = self.lesson
        if lesson is None or checks.lesson != lesson.id or self.distrust_of(lesson) is not None:
            return  # the checks of a lesson no longer shown (or not trusted: stale)
        cards = {card.exercise.id: card for card in self.query(ExerciseCard)}
        changed = False
        for row in checks.results:
            result = CheckResult(row.id, row.passed, row.message, row.line)
            before = self.results.get(row.id)
            self._say_if_hidden(lesson, result, before)
            if after_cell and _news(before, result):
                title = next((e.title for e in lesson.exercises if e.id == row.id), row.id)
                self.check_news.append((title, result))
            self.results[row.id] = result
            if row.id in cards:
                cards[row.id].set_result(result)
            first = result.passed and self.progress.exercise_passed(lesson, row.id)
            self.check_seen(lesson, row.id, result.passed, first)
            if first:
                changed = True
                title = next((e.title for e in lesson.exercises if e.id == row.id), row.id)
                notify_plain(self.app, f"✓ Exercise passed: {title}", timeout=5)
        if changed:
            self._save()
            self._update_header()

    def _say_if_hidden(
        self, lesson: Lesson, result: CheckResult, before: CheckResult | None
    ) -> None:
        """The lesson pane is behind another tab (80x24): a change in the current
        section's exercise reaches the learner as a notification, not only on its card."""
        if self.display or before is None or before.message == result.message:
            return  # a first result is the exercise not started yet: no news
        exercise = next((e for e in lesson.exercises if e.id == result.exercise_id), None)
        if exercise is None or exercise.section != self.section:
            return
        if result.passed:
            if exercise.id in self.progress.of(lesson.id).passed:
                notify_plain(self.app, f"✓ {exercise.title}", timeout=5)
            return  # a first pass has its own notification
        notify_plain(
            self.app,
            f"✗ {exercise.title}: {result.message} (F2 shows the lesson)",
            severity="warning",
            timeout=6,
        )


class LessonActions:
    """Hint, solution and navigation actions of the lesson pane (a Textual widget)."""

    if TYPE_CHECKING:  # provided by LessonPane and Widget
        app: Any
        lesson: Lesson | None
        lessons: list[Lesson]
        section: int
        progress: Progress
        reviews: Reviews
        _confirm: tuple[str, float] | None

        def query(self, selector: Any) -> Any: ...
        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...
        def selected_widget(self) -> Widget | None: ...
        def selectables(self) -> list[Widget]: ...
        def _select(self, index: int, items: list[Widget]) -> None: ...
        async def show_section(self, index: int) -> None: ...
        async def open_lesson(self, lesson: Lesson | None, section: int = 0) -> None: ...
        def _find(self, key: str) -> Lesson | None: ...
        def untrusted_lessons(self) -> dict[str, str]: ...
        def known_exercises(self) -> set[tuple[str, str]]: ...
        async def open_review(self, lesson_id: str, exercise_id: str) -> None: ...

    # -- exercises: hints and the solution -----------------------------------------------
    def _target_card(self) -> ExerciseCard | None:
        widget = self.selected_widget()
        while widget is not None and not isinstance(widget, ExerciseCard):
            widget = widget.parent if isinstance(widget.parent, Widget) else None
        if isinstance(widget, ExerciseCard):
            return widget
        cards = list(self.query(ExerciseCard))
        for card in cards:
            if not (card.result and card.result.passed):
                return card
        return cards[0] if cards else None

    async def action_hint(self) -> None:
        card = self._target_card()
        if card is None:
            self.app.notify("No exercise in this section", timeout=3)
            return
        if not card.exercise.hints:
            self.app.notify("This exercise has no hints", timeout=3)
        elif not await card.show_hint():
            self.app.notify("No more hints: s shows the solution", timeout=3)
        self.query_one(LessonBody).scroll_to_widget(card, animate=False)

    async def action_solution(self) -> None:
        card = self._target_card()
        if card is None:
            self.app.notify("No exercise in this section", timeout=3)
            return
        ex = card.exercise
        if ex.solution is None:
            self.app.notify("This exercise has no solution written down", timeout=3)
            return
        if card.solution_shown:
            return
        now = time.monotonic()
        if self._confirm is None or self._confirm[0] != ex.id or now - self._confirm[1] > 5:
            self._confirm = (ex.id, now)
            self.app.notify("Press s again to show the solution (h gives a hint first)", timeout=4)
            return
        self._confirm = None
        widget = await card.show_solution(f"solution · line {ex.solution_line} · Enter runs it")
        if widget is not None:
            items = self.selectables()
            self._select(items.index(widget), items)

    # -- navigation -----------------------------------------------------------------------
    async def action_next_section(self) -> None:
        lesson = self.lesson
        if lesson is None or lesson.broken:
            return
        if self.section + 1 < len(lesson.sections):
            await self.show_section(self.section + 1)
        else:
            self.app.notify("End of the lesson: ] opens the next one", timeout=3)

    async def action_prev_section(self) -> None:
        if self.lesson is not None and self.section > 0:
            await self.show_section(self.section - 1)

    async def _step_lesson(self, step: int) -> None:
        if not self.lessons:
            return
        index = self.lessons.index(self.lesson) if self.lesson in self.lessons else -1
        new = index + step
        if 0 <= new < len(self.lessons):
            await self.open_lesson(self.lessons[new])
        else:
            self.app.notify("No more lessons that way", timeout=3)

    async def action_next_lesson(self) -> None:
        await self._step_lesson(1)

    async def action_prev_lesson(self) -> None:
        await self._step_lesson(-1)

    def action_picker(self) -> None:
        from tui.ui.lessons.picker import LessonPicker

        current = self.lesson.id if self.lesson else None

        async def chosen(key: str | None) -> None:
            if key is None:
                return
            if key.startswith("review:"):
                lesson_id, _, exercise_id = key.removeprefix("review:").partition("\n")
                await self.open_review(lesson_id, exercise_id)
            elif key.startswith("broken:"):
                await self.open_lesson(self.lessons[int(key.split(":", 1)[1])])
            else:
                found = self._find(key)
                if found is not None and found is not self.lesson:
                    mine = self.progress.last_lesson == found.id
                    await self.open_lesson(found, self.progress.last_section if mine else 0)

        untrusted = self.untrusted_lessons()
        due = self.reviews.due(known=self.known_exercises())
        picker = LessonPicker(self.lessons, self.progress, current, untrusted, due)
        self.app.push_screen(picker, chosen)

    def action_toc(self) -> None:
        from tui.ui.lessons.picker import ChoiceList

        lesson = self.lesson
        if lesson is None or lesson.broken or not lesson.sections:
            return
        visited = self.progress.of(lesson.id).visited
        choices: list[Text | str] = []
        for sec in lesson.sections:
            line = Text("✓ " if sec.slug in visited else "  ", style="green")
            line.append(f"{sec.index + 1}. {sec.title}")
            exercises = [e for e in lesson.exercises if e.section == sec.index]
            if exercises:
                line.append(f"   ✎ {len(exercises)}", style="dim")
            choices.append(line)

        async def chosen(index: int | None) -> None:
            if index is not None:
                await self.show_section(index)

        self.app.push_screen(
            ChoiceList(
                f"{lesson.title}: contents", choices, self.section, "Enter jumps, Esc closes"
            ),
            chosen,
        )

    def action_links(self) -> None:
        from tui.ui.lessons.picker import ChoiceList

        lesson = self.lesson
        if lesson is None or lesson.broken or not lesson.sections:
            return
        links = section_links(lesson.sections[self.section])
        if self.section == 0:
            links = [*lesson.intro_links(), *links]
        if not links:
            self.app.notify("No links in this section", timeout=3)
            return
        choices = [f"{text}  →  {target}" for text, target in links]

        async def chosen(index: int | None) -> None:
            if index is not None:
                await self.follow_link(links[index][1])

        self.app.push_screen(
            ChoiceList("Links in this section", choices, 0, "Enter follows, Esc closes"), chosen
        )

    async def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        await self.follow_link(event.href)

    async def follow_link(self, target: str) -> None:
        """Open a linked lesson (or section); anything outside the lessons is not opened."""
        lesson = self.lesson
        if lesson is None:
            return
        anchor = target.split("#", 1)[1] if "#" in target else ""
        if target.startswith("#"):
            other: Lesson | None = lesson
        else:
            other = resolve_link(lesson, target, self.lessons)
        if other is None:
            if "://" in target:
                notify_plain(self.app, f"External link, not opened here: {target}", timeout=6)
            else:
                notify_plain(
                    self.app, f"Not a lesson, not opened: {target}", severity="warning", timeout=5
                )
            return
        section = 0
        if anchor:
            wanted = slugify(anchor)
            section = next((s.index for s in other.sections if s.slug == wanted), 0)
        if other is lesson:
            await self.show_section(section)
        else:
            await self.open_lesson(other, section)
