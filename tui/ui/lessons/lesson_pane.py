"""The lesson pane: read a lesson section by section, send its code to the REPL, do its exercises.

Parsing, checks and progress live in ``tui.lessons``; the pane is built from parts that
own their state, and routes between them and the rest of the app:

- ``LessonBody`` (``lesson_body``), the lesson view: the section, its code blocks and
  ``ExerciseCard``\\ s, the selection, the blocks sent. It posts ``LessonBody.RunCode``,
  which the pane hands on as ``RunBlock`` (the main screen gives it to
  ``ReplPane.run_source`` with the block's tag); the outcome comes back to ``cell_done``.
- ``ExerciseChecks`` (``checks``): the lesson's exercises in the kernel (``SetExercises``
  when a lesson opens and whenever a kernel is ready), their latest results, from each
  cell's ``CellPayload`` and from ``CheckNow`` (c), which it posts as ``Checked``.
- ``FolderTrust`` (``trust_note``): a lesson from outside the shipped curriculum sends
  no check code until its folder is trusted (T); it posts ``Trusted`` on yes.
- ``SpacedReview`` (``spaced_review``): the review schedule the check results move on.

The pane itself holds where the learner is (the lessons, the lesson, the section, the
progress) and the navigation: sections, lessons, the picker, contents and links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from tui.lessons import review
from tui.lessons.course import next_lesson
from tui.lessons.document import Lesson, resolve_link, section_links, slugify
from tui.lessons.exercises import CheckResult
from tui.lessons.library import find_lesson, renames
from tui.lessons.progress import LessonProgress, Progress
from tui.lessons.review import Reviews
from tui.platform import state
from tui.protocol import messages as p
from tui.ui.common import kernel_messages as km
from tui.ui.common.deferred import after_build
from tui.ui.common.keys import bindings
from tui.ui.common.pane import Pane
from tui.ui.common.plain import notify_plain, plain
from tui.ui.common.session import Session
from tui.ui.lessons.checks import ExerciseChecks, exercise_specs
from tui.ui.lessons.lesson_body import LessonBody, Page
from tui.ui.lessons.lesson_keys import COMMANDS, HELP, KEY_LINE, KEYS, PANE_KEYS
from tui.ui.lessons.spaced_review import SpacedReview
from tui.ui.lessons.trust_note import FolderTrust

if TYPE_CHECKING:
    from tui.ui.lessons.prose import Prose


def header_text(lesson: Lesson | None, section: int, completion: float) -> Text:
    """Title, section position, why and concepts: what the lesson is for, at a glance."""
    text = Text()
    if lesson is None:
        text.append("No lessons found", style="bold")
        text.append(
            "\nPut lesson files in lessons/, pass --lessons-dir DIR, or add them to your folder."
        )
        return text
    if lesson.broken:
        text.append(f"{lesson.id}  ", style="bold")
        text.append("⚠ broken lesson\n", style="bold red")
        text.append(lesson.error or "", style="red")
        return text
    text.append(lesson.title, style="bold")
    count = len(lesson.sections)
    if count:
        text.append(f"   §{section + 1}/{count}", style="dim")
    text.append(f"   {completion:.0%} done", style="dim")
    if lesson.why:
        text.append(f"\n{lesson.why}", style="italic")
    if lesson.concepts:
        text.append("\n")
        for concept in lesson.concepts:
            text.append(f" {concept} ", style="reverse")
            text.append(" ")
    return text


class LessonPane(Pane):
    """Where the learner is in the course; composed of the parts above, between which it
    routes (parts are told by method calls, and answer with messages)."""

    @dataclass
    class RunBlock(Message):
        """Run ``code`` in the REPL as if typed; its outcome comes back tagged ``block_id``."""

        block_id: str
        code: str

    @dataclass
    class CheckChanged(Message):
        """A cell changed an exercise's result: said under that cell in the REPL."""

        title: str
        passed: bool
        text: str

    PLACEHOLDER = "loading lessons…"
    AREA = "lessons"
    PANE_TITLE = "Lessons"
    FKEY = "F2"
    HELP = HELP
    KEYS = KEYS
    COMMANDS = COMMANDS
    BINDINGS = bindings(PANE_KEYS)
    DEFAULT_CSS = """
    LessonPane #lesson-header { height: auto; max-height: 6; padding: 0 1; background: $boost; }
    LessonPane #lesson-keys { height: 1; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, session: Session, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.session = session
        self.lessons: list[Lesson] = []
        self.lesson: Lesson | None = None
        self.section = 0
        self.progress = Progress()
        self._save_failed = False
        #: The parts, mounted after the first frame (``compose_body``).
        self.body = LessonBody(id="lesson-body")
        self.checks = ExerciseChecks(session)
        self.trust = FolderTrust()
        self.review = SpacedReview()

    def compose_body(self) -> ComposeResult:
        """After the first frame (see ``Deferred``), and the lessons are read only then."""
        yield Static("", id="lesson-header")
        yield self.body
        yield Static(KEY_LINE, id="lesson-keys")
        yield self.checks
        yield self.trust
        yield self.review

    # -- what the parts hold, as the rest of the app asks for it -----------------------------
    @property
    def results(self) -> dict[str, CheckResult]:
        """The latest check result of each exercise of the open lesson."""
        return self.checks.results

    @property
    def exercises_for(self) -> str | None:
        """The lesson whose exercises the kernel has acknowledged (None: not told yet)."""
        return self.checks.exercises_for

    @property
    def reviews(self) -> Reviews:
        return self.review.reviews

    def selected_widget(self) -> Widget | None:
        return self.body.selected_widget()

    def default_focus_target(self) -> Widget | None:
        return self.body

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.built:
            return None  # no lesson on screen yet: nothing to act on
        return self.trust.distrust_of(self.lesson) is not None if action == "trust" else True

    async def on_built(self) -> None:
        self.progress = Progress.load()
        self.lessons = self.trust.read_lessons(self.session.lessons_dirs)
        renamed = renames(self.lessons)  # lessons that had another id: their progress too
        if self.progress.rename(renamed):
            self._save()
        self.review.load(self.progress, renamed)
        lesson, section = self._start_place()
        await self.open_lesson(lesson, section)

    def _start_place(self) -> tuple[Lesson | None, int]:
        wanted = self.session.start_lesson
        if wanted:
            found = self._find(wanted)
            if found is not None:
                return found, 0
            notify_plain(
                self.app, f"no lesson {wanted!r}; see 'torch-tui lessons list'", severity="warning"
            )
        last = self._find(self.progress.last_lesson) if self.progress.last_lesson else None
        if last is not None:
            return last, self.progress.last_section
        ok = [ls for ls in self.lessons if not ls.broken]
        return (ok[0] if ok else (self.lessons[0] if self.lessons else None)), 0

    def _find(self, key: str) -> Lesson | None:
        return find_lesson(key, self.lessons)

    # -- showing a lesson -----------------------------------------------------------------
    async def open_lesson(self, lesson: Lesson | None, section: int = 0) -> None:
        """Show ``lesson`` at ``section`` and make its exercises the ones checked."""
        changed = lesson is not self.lesson
        if changed:
            self.checks.reset()
            self.review.reset()
            self.body.forget_runs()
        self.lesson = lesson
        if changed:
            self._tell_exercises()
            self._say_warnings(lesson)
        count = len(lesson.sections) if lesson is not None else 0
        await self.show_section(max(0, min(section, count - 1)) if count else 0)
        # No checks here: opening a lesson runs none of its code. Checks run after the
        # learner's next REPL cell, or on c ("check exercises now").

    def _say_warnings(self, lesson: Lesson | None) -> None:
        """What the lesson's file does that the format does not know (a misspelt fence
        flag: its block is shown, not run), said once as the lesson opens."""
        if lesson is None or not lesson.warnings:
            return
        more = len(lesson.warnings) - 1
        text = lesson.warnings[0] + (f" (and {more} more: torch-tui lessons list)" if more else "")
        notify_plain(self.app, text, title="This lesson's file", severity="warning", timeout=10)

    async def show_section(self, index: int) -> None:
        self.section = index
        lesson = self.lesson
        ok = lesson is not None and not lesson.broken
        # one batch: the section and the header it changes are laid out and painted
        # together (the header's new "§n/N" was a second layout of the whole screen)
        with self.app.batch_update():
            await self.body.show(
                Page(
                    lesson,
                    index,
                    done=self.progress.of(lesson.id) if ok and lesson else LessonProgress(),
                    results=self.checks.results,
                    untrusted=self.trust.note(lesson),
                    following=next_lesson(lesson, self.lessons) if ok and lesson else None,
                )
            )
            visited = ok and lesson is not None and self.progress.visit(lesson, index)
            self._update_header()
        if visited:
            self._save()

    def _update_header(self) -> None:
        lesson = self.lesson
        pct = self.progress.completion(lesson) if lesson is not None else 0.0
        self.query_one("#lesson-header", Static).update(header_text(lesson, self.section, pct))
        self._show_trust_state()

    def _show_trust_state(self) -> None:
        """The key line and the border say when this lesson's checks are off."""
        lesson = self.lesson
        untrusted = self.trust.distrust_of(lesson) is not None
        keys = ("checks off · T trust folder · " if untrusted else "") + KEY_LINE
        self.query_one("#lesson-keys", Static).update(keys)
        if lesson is not None:
            # a lesson's id is its file's name: literal
            self.border_subtitle = plain(f"{lesson.id} · untrusted" if untrusted else lesson.id)
        self.refresh_bindings()

    # -- running code (the lesson view sends, the REPL runs) ------------------------------
    def on_lesson_body_run_code(self, message: LessonBody.RunCode) -> None:
        message.stop()
        self.post_message(self.RunBlock(message.tag, message.code))

    def action_run_selected(self) -> None:
        self.body.action_run_selected()

    def action_run_to_here(self) -> None:
        self.body.run_to_here()

    @after_build
    def cell_done(self, outcome: Any) -> None:
        """A REPL cell finished: mark the block it came from (by its tag), show its checks."""
        payload = getattr(outcome, "payload", None)
        if isinstance(payload, p.CellPayload) and payload.checks is not None:
            self._take_checks(payload.checks, after_cell=True)
        for title, result in self.checks.take_news():  # under the cell, now it is shown
            self.post_message(self.CheckChanged(title, result.passed, result.message))
        block = self.body.block_done(outcome)
        lesson = self.lesson
        tag = getattr(outcome, "tag", "") or ""
        if (
            block is not None
            and lesson is not None
            and tag.startswith(f"lesson:{lesson.id}/")
            and block.index >= 0
            and self.progress.block_run(lesson, block.index)
        ):
            self._save()
            self._update_header()

    # -- the exercises' checks ------------------------------------------------------------
    def _specs(self, lesson: Lesson | None) -> list[p.ExerciseSpec]:
        """The check code the kernel may run: none for a lesson whose folder is untrusted."""
        return [] if self.trust.distrust_of(lesson) is not None else exercise_specs(lesson)

    def _tell_exercises(self) -> None:
        lesson = self.lesson
        self.checks.tell(lesson.id if lesson is not None else "", self._specs(lesson))

    def on_kernel_ready(self, message: km.KernelReady) -> None:
        """A (re)started kernel knows no exercises, so tell it this lesson's."""
        if self.built:
            self._tell_exercises()

    def on_kernel_died(self, message: km.KernelDied) -> None:
        if self.built:
            self.checks.forget()
            self.body.stop_runs()

    def on_cell_payload_arrived(self, message: km.CellPayloadArrived) -> None:
        """Every cell's payload carries the checks (typed cells too)."""
        if self.built and message.payload.checks is not None:
            self._take_checks(message.payload.checks, after_cell=True)

    def on_exercise_checks_checked(self, message: ExerciseChecks.Checked) -> None:
        message.stop()
        self._take_checks(message.checks)

    def action_check_now(self) -> None:
        lesson = self.lesson
        if lesson is None or lesson.broken or not lesson.exercises:
            self.app.notify("No exercises in this lesson", timeout=3)
            return
        if self.trust.distrust_of(lesson) is not None:
            self.action_trust()  # checks off until the folder is trusted: ask first
            return
        if not self.checks.kernel_ready:
            self.app.notify("Checks run once the kernel is ready", timeout=3)
            return
        self.checks.check_now(lesson.id, self._specs(lesson))

    def recheck(self) -> None:
        """Check again without being asked (the dashboard changed the REPL's objects);
        quiet when there is nothing to check or the kernel is not ready."""
        lesson = self.lesson
        if lesson is None or lesson.broken or not lesson.exercises or not self.built:
            return
        if self.trust.distrust_of(lesson) is not None or not self.checks.kernel_ready:
            return
        self.checks.check_now(lesson.id, self._specs(lesson))

    def _take_checks(self, checks: p.Checks, after_cell: bool = False) -> None:
        """Show check results on their exercise cards, count first passes, move reviews on."""
        lesson = self.lesson
        if lesson is None or checks.lesson != lesson.id:
            return  # the checks of a lesson no longer shown
        if self.trust.distrust_of(lesson) is not None:
            return  # not trusted: stale
        changed = False
        for result, before in self.checks.take(checks, lesson, after_cell):
            exercise_id = result.exercise_id
            self._say_if_hidden(lesson, result, before)
            self.body.show_result(result)
            first = result.passed and self.progress.exercise_passed(lesson, exercise_id)
            self.review.seen(lesson, exercise_id, result.passed, first)
            if first:
                changed = True
                titles = (e.title for e in lesson.exercises if e.id == exercise_id)
                title = next(titles, exercise_id)
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

    # -- trust ----------------------------------------------------------------------------
    def action_trust(self) -> None:
        """Ask to trust the current lesson's folder; on yes its checks are sent and run."""
        self.trust.ask(self.lesson)

    def on_folder_trust_trusted(self, message: FolderTrust.Trusted) -> None:
        message.stop()
        if message.lesson is not self.lesson:
            return
        self.body.trusted()
        self._show_trust_state()
        notify_plain(self.app, f"Trusted: {message.folder}; its checks run now", timeout=4)
        self._tell_exercises()
        self.action_check_now()

    # -- exercises: hints, the solution, a review -----------------------------------------
    async def action_hint(self) -> None:
        await self.body.hint()

    async def action_solution(self) -> None:
        await self.body.solution()

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
        self.body.select_exercise(exercise.id)
        names = review.bound_names(exercise.solution or "")
        if names:
            tag = f"review:{lesson.id}/{exercise.id}"
            self.post_message(self.RunBlock(tag, review.forget_cell(names)))
        gone = f" ({', '.join(names)} cleared from the REPL)" if names else ""
        notify_plain(
            self.app,
            f"↻ Review: {exercise.title}{gone}. Press a to rebuild the lesson up to here, "
            "then solve it again in the REPL",
            timeout=10,
        )

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

        untrusted = self.trust.untrusted(self.lessons)
        due = self.review.due(self.lessons)
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
        choices: list[Text | str] = [f"{text}  →  {target}" for text, target in links]

        async def chosen(index: int | None) -> None:
            if index is not None:
                await self.follow_link(links[index][1])

        self.app.push_screen(
            ChoiceList("Links in this section", choices, 0, "Enter follows, Esc closes"), chosen
        )

    async def on_prose_link_clicked(self, event: Prose.LinkClicked) -> None:
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
            if other is None:  # a link to a lesson by the id or file name it had before
                path = target.split("#", 1)[0].removeprefix("lesson:")
                old = path.removesuffix(".md").rsplit("/", 1)[-1]
                if old in renames(self.lessons):
                    other = find_lesson(old, self.lessons)
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

    # -- saving ---------------------------------------------------------------------------
    def _save(self) -> None:
        try:
            self.progress.save()
        except state.StateError as exc:
            if not self._save_failed:
                self._save_failed = True
                self.app.notify(
                    f"Progress not saved: {exc}", severity="warning", timeout=8, markup=False
                )
        # A file found unloadable while saving (set aside, the save went on) is said now.
        for warning in state.warnings.drain():
            self.app.notify(warning, severity="warning", timeout=8, markup=False)
