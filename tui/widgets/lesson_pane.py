"""The lesson pane: read a lesson section by section, send its code to the REPL, do its exercises.

Parsing, checks and progress live in ``tui.core``; this pane renders them and reacts to
keys. Exercise checks run on the session's exec thread (a post-run hook) after every
REPL cell; the results arrive with ``ReplPane.CellDone`` (forwarded by the main screen
to ``cell_done``) or, for an explicit re-check, as an ``ExercisesChecked`` message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from tui.core import state
from tui.core.exercises import CheckResult, ExerciseChecker, install
from tui.core.lessons import Block, Lesson, discover, resolve_link, section_links, slugify
from tui.core.progress import Progress
from tui.widgets.deferred import Deferred, after_build
from tui.widgets.lesson_parts import CodeBlock, ExerciseCard, LessonBody, header_text
from tui.widgets.pane import Pane

if TYPE_CHECKING:
    from textual.widgets import Markdown

HELP = """\
A lesson is read one **section** at a time. Its python blocks run in the REPL: select one
with **up/down** and press **Enter**; **a** runs every block of the lesson up to the selected
one (handy after a REPL reset). Exercises (✎) are checked after every REPL cell: write your
answer in the REPL (F3) and watch ✗ turn into ✓. **h** shows the next hint, **s** (twice)
the solution. **t** lists the sections, **l** all lessons with your progress, **o** the
links of this section (links to other lessons open here). Your place and progress are
saved, so the app reopens where you left off.
"""


@dataclass
class ExercisesChecked(Message):
    """Check results computed off the UI thread (posted from the exec thread)."""

    payload: dict[str, Any] | None


class LessonPane(Deferred, Pane):
    PLACEHOLDER = "loading lessons…"
    AREA = "lessons"
    PANE_TITLE = "Lessons"
    FKEY = "F2"
    HELP = HELP
    COMMANDS = [
        ("next section", "next_section", "Show the next section of the lesson (n)"),
        ("previous section", "prev_section", "Show the previous section (p)"),
        ("next lesson", "next_lesson", "Open the next lesson (] or N)"),
        ("previous lesson", "prev_lesson", "Open the previous lesson ([ or P)"),
        ("open picker", "picker", "Choose a lesson: completion and prerequisites (l)"),
        ("table of contents", "toc", "Jump to a section of this lesson (t)"),
        ("run selected block", "run_selected", "Send the selected code block to the REPL (Enter)"),
        (
            "run all blocks up to here",
            "run_to_here",
            "Rebuild the REPL state up to the selection (a)",
        ),
        ("next hint", "hint", "Show the next hint of the exercise (h)"),
        ("reveal solution", "solution", "Show the exercise's solution (s, twice)"),
        ("check exercises now", "check_now", "Run this lesson's exercise checks now (c)"),
        ("open a link", "links", "Follow a link of this section (o)"),
    ]
    BINDINGS = [
        Binding("n", "next_section", "Next §"),
        Binding("p", "prev_section", "Prev §"),
        Binding("right_square_bracket,N", "next_lesson", "Next lesson", key_display="]"),
        Binding("left_square_bracket,P", "prev_lesson", "Prev lesson", key_display="["),
        Binding("t", "toc", "Contents"),
        Binding("l", "picker", "Lessons"),
        Binding("a", "run_to_here", "Run up to here"),
        Binding("h", "hint", "Hint"),
        Binding("s", "solution", "Solution"),
        Binding("c", "check_now", "Check", show=False),
        Binding("o", "links", "Links", show=False),
        Binding("up,down", "noop", "Select code block / exercise", show=False),
    ]
    DEFAULT_CSS = """
    LessonPane #lesson-header { height: auto; max-height: 6; padding: 0 1; background: $boost; }
    LessonPane #lesson-keys { height: 1; color: $text-muted; padding: 0 1; }
    LessonPane .lesson-end { color: $text-muted; margin: 1 0; }
    LessonPane .lesson-broken { color: $error; margin: 1 0; }
    """

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.lessons: list[Lesson] = []
        self.lesson: Lesson | None = None
        self.section = 0
        self.progress = Progress()
        self.checker = ExerciseChecker()
        self.results: dict[str, CheckResult] = {}
        self.selected = -1
        self._session: Any = None
        self._pending: dict[str, Block] = {}
        self._queue: list[Block] = []
        self._confirm: tuple[str, float] | None = None
        self._attach_tries = 0
        self._save_failed = False

    def compose_body(self) -> ComposeResult:
        """After the first frame (see ``Deferred``), and the lessons are read only then."""
        yield Static("", id="lesson-header")
        yield LessonBody(id="lesson-body")
        yield Static(
            "n/p section · ↑↓ select · Enter run · a run up to here · t contents · l lessons",
            id="lesson-keys",
        )

    def default_focus_target(self) -> Widget | None:
        return self.query_one(LessonBody)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return True if self.built else None  # no lesson on screen yet: nothing to act on

    async def on_built(self) -> None:
        self.progress = Progress.load()
        self.lessons = discover(getattr(self.app, "lessons_dirs", []))
        signal = getattr(self.app, "torch_ready_signal", None)
        if signal is not None:
            signal.subscribe(self, self.on_torch_ready)
        lesson, section = self._start_place()
        await self.open_lesson(lesson, section)
        self._attach_session()

    def _start_place(self) -> tuple[Lesson | None, int]:
        wanted = getattr(self.app, "start_lesson", None)
        if wanted:
            found = self._find(wanted)
            if found is not None:
                return found, 0
            self.app.notify(
                f"no lesson {wanted!r}; see 'torch-tui lessons list'", severity="warning"
            )
        last = self._find(self.progress.last_lesson) if self.progress.last_lesson else None
        if last is not None:
            return last, self.progress.last_section
        ok = [ls for ls in self.lessons if not ls.broken]
        return (ok[0] if ok else (self.lessons[0] if self.lessons else None)), 0

    def _find(self, key: str) -> Lesson | None:
        for lesson in self.lessons:
            if lesson.id == key and not lesson.broken:
                return lesson
        for lesson in self.lessons:
            if key in (lesson.id, lesson.path.name, lesson.path.stem):
                return lesson
        return None

    # -- showing a lesson -----------------------------------------------------------------
    async def open_lesson(self, lesson: Lesson | None, section: int = 0) -> None:
        """Show ``lesson`` at ``section`` and make its exercises the ones checked."""
        if lesson is not self.lesson:
            self.results = {}
            self._pending.clear()
            self._queue.clear()
        self.lesson = lesson
        self.checker.lesson = lesson if lesson is not None and not lesson.broken else None
        count = len(lesson.sections) if lesson is not None else 0
        await self.show_section(max(0, min(section, count - 1)) if count else 0)
        # No checks here: opening a lesson runs none of its code. Checks run after the
        # learner's next REPL cell, or on c ("check exercises now").

    async def show_section(self, index: int) -> None:
        self.section = index
        lesson = self.lesson
        body = self.query_one(LessonBody)
        await body.remove_children()
        widgets = self._section_widgets()
        await body.mount_all(widgets)
        body.scroll_home(animate=False)
        self.selected = -1
        if lesson is not None and not lesson.broken and self.progress.visit(lesson, index):
            self._save()
        self._update_header()

    def _section_widgets(self) -> list[Widget]:
        lesson = self.lesson
        if lesson is None:
            return [Static("No lessons found.", classes="lesson-broken")]
        if lesson.broken:
            return [
                Static(
                    Text(f"This lesson could not be loaded:\n{lesson.error}"),
                    classes="lesson-broken",
                ),
                Static(
                    "Fix the file and restart, or press l to choose another lesson.",
                    classes="lesson-end",
                ),
            ]
        from textual.widgets import Markdown  # markdown-it: ~50 ms, not before frame 1

        mine = self.progress.of(lesson.id)
        widgets: list[Widget] = []
        if self.section == 0 and lesson.intro:
            widgets.append(Markdown(lesson.intro, open_links=False))
        if not lesson.sections:
            return widgets or [Static("This lesson is empty.", classes="lesson-end")]
        sec = lesson.sections[self.section]
        widgets.append(Markdown(f"## {sec.title}", open_links=False))

        def block_widget(block: Block) -> CodeBlock:
            widget = CodeBlock(block, f"block {block.index + 1} · line {block.line}")
            if block.index in mine.blocks_run:
                widget.state = "ok"
            return widget

        for kind, item in sec.items:
            if kind == "md":
                widgets.append(Markdown(item, open_links=False))
            elif kind == "block":
                widgets.append(block_widget(item))
            else:
                prompt: list[Widget] = [
                    Markdown(p, open_links=False) if k == "md" else block_widget(p)
                    for k, p in item.prompt
                ]
                card = ExerciseCard(item, prompt, passed_before=item.id in mine.passed)
                card.result = self.results.get(item.id)
                card.set_class(card.result is not None and card.result.passed, "-passed")
                widgets.append(card)
        if self.section + 1 < len(lesson.sections):
            nxt = lesson.sections[self.section + 1].title
            widgets.append(Static(f"— n: next section, “{nxt}” —", classes="lesson-end"))
        else:
            widgets.append(
                Static(
                    "— end of the lesson: ] opens the next lesson, l the list —",
                    classes="lesson-end",
                )
            )
        return widgets

    def _update_header(self) -> None:
        lesson = self.lesson
        pct = self.progress.completion(lesson) if lesson is not None else 0.0
        self.query_one("#lesson-header", Static).update(header_text(lesson, self.section, pct))
        if lesson is not None:
            self.border_subtitle = lesson.id

    # -- selection ------------------------------------------------------------------------
    def selectables(self) -> list[Widget]:
        return list(self.query_one(LessonBody).query("CodeBlock, ExerciseCard"))

    def selected_widget(self) -> Widget | None:
        items = self.selectables()
        return items[self.selected] if 0 <= self.selected < len(items) else None

    def action_noop(self) -> None:
        """Documents up/down in the help (LessonBody handles them)."""

    def action_select(self, step: int) -> None:
        body = self.query_one(LessonBody)
        items = self.selectables()
        new = self.selected + step if self.selected >= 0 else (0 if step > 0 else -1)
        if not items or new < 0 or new >= len(items):
            body.scroll_relative(y=3 * step, animate=False)
            if new < 0:
                self._select(-1, items)
            return
        self._select(new, items)

    def _select(self, index: int, items: list[Widget]) -> None:
        for n, widget in enumerate(items):
            widget.set_class(n == index, "-selected")
        self.selected = index
        if 0 <= index < len(items):
            self.query_one(LessonBody).scroll_to_widget(items[index], animate=False)

    # -- running code ---------------------------------------------------------------------
    def _repl(self) -> Any:
        try:
            repl = self.screen.query_one("#repl")
        except Exception:
            return None
        return repl if callable(getattr(repl, "run_source", None)) else None

    def action_run_selected(self) -> None:
        widget = self.selected_widget()
        if isinstance(widget, CodeBlock):
            self._send([widget.block])
        elif isinstance(widget, ExerciseCard):
            self.app.notify(
                "An exercise: write your answer in the REPL (F3). h: hint, s: solution",
                timeout=4,
            )
        else:
            self.app.notify("Select a code block with ↑/↓ first", timeout=3)

    def action_run_to_here(self) -> None:
        """Run every block of the lesson up to the selection (or to the end of this section)."""
        lesson = self.lesson
        if lesson is None or lesson.broken:
            return
        widget = self.selected_widget()
        if isinstance(widget, CodeBlock) and widget.block.index >= 0:
            limit = widget.block.line
        elif isinstance(widget, (CodeBlock, ExerciseCard)):
            card = widget if isinstance(widget, ExerciseCard) else widget.parent
            limit = card.exercise.line if isinstance(card, ExerciseCard) else 0
        else:
            sections = lesson.sections
            limit = sections[self.section + 1].line if self.section + 1 < len(sections) else 10**9
        blocks = [b for b in lesson.blocks if b.line <= limit]
        if not blocks:
            self.app.notify("No code blocks before this point", timeout=3)
            return
        self._send(blocks)
        self.app.notify(f"Running {len(blocks)} block(s) in the REPL…", timeout=3)

    def _send(self, blocks: list[Block]) -> None:
        if self._repl() is None:
            self.app.notify(
                "The REPL is not ready yet (torch is still loading)", severity="warning"
            )
            return
        self._queue = list(blocks)
        self._send_next()
        if self.screen.has_class("-narrow") and len(blocks) == 1:
            self.app.notify("Sent to the REPL: F3 shows it, F2 comes back", timeout=3)

    def _send_next(self) -> None:
        repl = self._repl()
        if not self._queue or repl is None:
            return
        block = self._queue.pop(0)
        self._pending[block.code.strip()] = block
        self._mark_block(block, "sent")
        repl.run_source(block.code)

    def _mark_block(self, block: Block, state_name: str) -> None:
        for widget in self.query(CodeBlock):
            if widget.block is block or (block.index >= 0 and widget.block.index == block.index):
                widget.set_state(state_name)

    @after_build
    def cell_done(self, record: Any) -> None:
        """A REPL cell finished: mark the block it came from and show exercise results."""
        self._attach_session()
        block = self._pending.pop((getattr(record, "source", "") or "").strip(), None)
        ok = bool(getattr(record, "ok", False))
        if block is not None:
            self._mark_block(block, "ok" if ok else "error")
            lesson = self.lesson
            if (
                ok
                and lesson is not None
                and block.index >= 0
                and self.progress.block_run(lesson, block.index)
            ):
                self._save()
                self._update_header()
            if ok:
                self._send_next()
            elif self._queue:
                self.app.notify(
                    f"Block at line {block.line} failed; stopped running the rest",
                    severity="warning",
                )
                self._queue.clear()
        extras = getattr(record, "extras", {}) or {}
        payload = extras.get("exercises")
        if isinstance(payload, dict):
            self._apply_results(payload)

    # -- exercises ------------------------------------------------------------------------
    def on_torch_ready(self, info: object = None) -> None:
        if not self._attach_session() and self._attach_tries == 0:
            self._attach_tries = 1
            self.set_interval(0.25, self._retry_attach, repeat=40, name="lesson-attach")

    def _retry_attach(self) -> None:
        self._attach_session()

    def _attach_session(self) -> bool:
        session = getattr(self.app, "session", None)
        if session is None:
            return False
        if session is not self._session:
            if not install(session, self.checker):
                return False
            self._session = session
        return True

    def _check_now(self) -> None:
        """Run the current lesson's checks on the exec thread; results come back as a message."""
        session = self._session
        if session is None or self.checker.lesson is None:
            return
        checker = self.checker

        def done(future: Any) -> None:
            try:
                payload = future.result()
            except BaseException:  # interrupted or failed: the next cell re-checks anyway
                return
            self.post_message(ExercisesChecked(payload))

        session.submit(checker.check, session.namespace).add_done_callback(done)

    def on_exercises_checked(self, message: ExercisesChecked) -> None:
        if message.payload:
            self._apply_results(message.payload)

    def _apply_results(self, payload: dict[str, Any]) -> None:
        lesson = self.lesson
        if lesson is None or payload.get("lesson") != lesson.id:
            return
        results = payload.get("results") or {}
        cards = {card.exercise.id: card for card in self.query(ExerciseCard)}
        changed = False
        for ex_id, result in results.items():
            if not isinstance(result, CheckResult):
                continue
            self.results[ex_id] = result
            if ex_id in cards:
                cards[ex_id].set_result(result)
            if result.passed and self.progress.exercise_passed(lesson, ex_id):
                changed = True
                title = next((e.title for e in lesson.exercises if e.id == ex_id), ex_id)
                self.app.notify(f"✓ Exercise passed: {title}", timeout=5)
        if changed:
            self._save()
            self._update_header()

    def action_check_now(self) -> None:
        if self._session is None:
            self.app.notify("Checks run once torch has loaded", timeout=3)
            return
        self._check_now()

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
        from tui.screens.lesson_picker import LessonPicker

        current = self.lesson.id if self.lesson else None

        async def chosen(key: str | None) -> None:
            if key is None:
                return
            if key.startswith("broken:"):
                await self.open_lesson(self.lessons[int(key.split(":", 1)[1])])
            else:
                found = self._find(key)
                if found is not None and found is not self.lesson:
                    mine = self.progress.last_lesson == found.id
                    await self.open_lesson(found, self.progress.last_section if mine else 0)

        self.app.push_screen(LessonPicker(self.lessons, self.progress, current), chosen)

    def action_toc(self) -> None:
        from tui.screens.lesson_picker import ChoiceList

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
        from tui.screens.lesson_picker import ChoiceList

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
                self.app.notify(f"External link, not opened here: {target}", timeout=6)
            else:
                self.app.notify(
                    f"Not a lesson, not opened: {target}", severity="warning", timeout=5
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
                self.app.notify(f"Progress not saved: {exc}", severity="warning", timeout=8)
