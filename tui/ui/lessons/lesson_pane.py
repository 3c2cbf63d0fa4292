"""The lesson pane: read a lesson section by section, send its code to the REPL, do its exercises.

Parsing, checks and progress live in ``tui.core``; this pane renders them and reacts to
keys. It never calls the REPL: running a block posts ``RunBlock`` (the main screen hands
it to ``ReplPane.run_source`` with the block's id as the cell's tag) and the outcome comes
back to ``cell_done``, matched by that tag. The kernel checks the lesson's exercises after
every cell (``SetExercises``, sent when a lesson opens and whenever a kernel is ready);
the results arrive in each cell's ``CellPayload`` and as the reply to ``CheckNow`` (c).
A lesson from outside the shipped curriculum sends no check code until its folder is
trusted (T; ``tui.ui.lessons.trust_note``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from tui.lessons.course import next_lesson
from tui.lessons.document import Block, Lesson
from tui.lessons.exercises import CheckResult
from tui.lessons.progress import Progress
from tui.lessons.review import Reviews
from tui.platform import state
from tui.protocol import messages as p
from tui.ui.common.deferred import Deferred, after_build
from tui.ui.common.pane import Pane
from tui.ui.common.plain import notify_plain, plain
from tui.ui.common.session import Session
from tui.ui.lessons.actions import LessonActions, LessonChecks
from tui.ui.lessons.lesson_keys import COMMANDS, HELP, block_tag
from tui.ui.lessons.parts import CodeBlock, ExerciseCard, LessonBody, header_text
from tui.ui.lessons.review_card import LessonReview
from tui.ui.lessons.trust_note import KEYS, TRUST_CSS, LessonTrust


class LessonPane(LessonTrust, LessonChecks, LessonReview, LessonActions, Deferred, Pane):
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
    COMMANDS = COMMANDS
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
        Binding("T", "trust", "Trust folder"),
        Binding("up,down", "noop", "Select code block / exercise", show=False),
    ]
    DEFAULT_CSS = (
        """
    LessonPane #lesson-header { height: auto; max-height: 6; padding: 0 1; background: $boost; }
    LessonPane #lesson-keys { height: 1; color: $text-muted; padding: 0 1; }
    LessonPane .lesson-end { color: $text-muted; margin: 1 0; }
    LessonPane .lesson-broken { color: $error; margin: 1 0; }
    """
        + TRUST_CSS
    )

    def __init__(self, session: Session, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.session = session
        self.lessons: list[Lesson] = []
        self.lesson: Lesson | None = None
        self.section = 0
        self.progress = Progress()
        self.reviews = Reviews()
        self.failing_seen: set[str] = set()
        self.results: dict[str, CheckResult] = {}
        #: Exercises a running cell changed, said under it in the REPL once it is done.
        self.check_news: list[tuple[str, CheckResult]] = []
        #: The lesson whose exercises the kernel has acknowledged (None: not told yet).
        self.exercises_for: str | None = None
        self.selected = -1
        #: Blocks sent to the REPL and not finished yet, by tag.
        self._pending: dict[str, Block] = {}
        #: Blocks of "run up to here" still to send (one at a time, stopping at a failure).
        self._queue: list[tuple[str, Block]] = []
        self._confirm: tuple[str, float] | None = None
        self._save_failed = False

    def compose_body(self) -> ComposeResult:
        """After the first frame (see ``Deferred``), and the lessons are read only then."""
        yield Static("", id="lesson-header")
        yield LessonBody(id="lesson-body")
        yield Static(KEYS, id="lesson-keys")

    def default_focus_target(self) -> Widget | None:
        return self.query_one(LessonBody)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.built:
            return None  # no lesson on screen yet: nothing to act on
        return self.distrust_of(self.lesson) is not None if action == "trust" else True

    async def on_built(self) -> None:
        self.progress = Progress.load()
        self.lessons = self.read_lessons(self.session.lessons_dirs)
        self.load_reviews()
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
            self.failing_seen = set()
            self._pending.clear()
            self._queue.clear()
        changed = lesson is not self.lesson
        self.lesson = lesson
        if changed:
            self._send_exercises()
        count = len(lesson.sections) if lesson is not None else 0
        await self.show_section(max(0, min(section, count - 1)) if count else 0)
        # No checks here: opening a lesson runs none of its code. Checks run after the
        # learner's next REPL cell, or on c ("check exercises now").

    async def show_section(self, index: int) -> None:
        self.section = index
        lesson = self.lesson
        body = self.query_one(LessonBody)
        widgets = self._section_widgets()
        with self.app.batch_update():
            await body.remove_children()
            await body.mount_all(widgets)
            body.scroll_home(animate=False)
        self.selected = -1
        items = self.selectables()  # the first block is selected (marked, not scrolled to)
        first = next((n for n, w in enumerate(items) if isinstance(w, CodeBlock)), -1)
        if first >= 0:
            self._select(first, items, scroll=False)
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
                self.mark_untrusted(card)
                card.result = self.results.get(item.id)
                card.set_class(card.result is not None and card.result.passed, "-passed")
                widgets.append(card)
        if self.section + 1 < len(lesson.sections):
            nxt = lesson.sections[self.section + 1].title
            widgets.append(Static(plain(f"— n: next section, “{nxt}” —"), classes="lesson-end"))
        else:
            following = next_lesson(lesson, self.lessons)
            nxt = f"“{following.title}”" if following else "the next lesson"
            end = f"— end of the lesson: ] opens {nxt}, l the course —"
            widgets.append(Static(plain(end), classes="lesson-end"))
        return widgets

    def _update_header(self) -> None:
        lesson = self.lesson
        pct = self.progress.completion(lesson) if lesson is not None else 0.0
        self.query_one("#lesson-header", Static).update(header_text(lesson, self.section, pct))
        self.show_trust_state()

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

    def _select(self, index: int, items: list[Widget], scroll: bool = True) -> None:
        for n, widget in enumerate(items):
            widget.set_class(n == index, "-selected")
        self.selected = index
        if scroll and 0 <= index < len(items):
            self.query_one(LessonBody).scroll_to_widget(items[index], animate=False)

    # -- running code ---------------------------------------------------------------------
    def action_run_selected(self) -> None:
        widget = self.selected_widget()
        if isinstance(widget, CodeBlock):
            self._send([widget])
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
        self._queue = [(block_tag(lesson, b), b) for b in blocks]
        self._send_next()
        self.app.notify(f"Running {len(blocks)} block(s) in the REPL…", timeout=3)

    def _send(self, widgets: list[CodeBlock]) -> None:
        lesson = self.lesson
        if lesson is None:
            return
        self._queue = [(self._tag_of(w), w.block) for w in widgets]
        self._send_next()
        if self.screen.has_class("-narrow") and len(widgets) == 1:
            self.app.notify("Sent to the REPL: F3 shows it, F2 comes back", timeout=3)

    def _tag_of(self, widget: CodeBlock) -> str:
        assert self.lesson is not None
        card = widget.parent
        exercise_id = card.exercise.id if isinstance(card, ExerciseCard) else None
        return block_tag(self.lesson, widget.block, exercise_id)

    def _send_next(self) -> None:
        if not self._queue:
            return
        tag, block = self._queue.pop(0)
        self._pending[tag] = block
        self._mark_block(tag, "sent")
        self.post_message(self.RunBlock(tag, block.code))

    def _mark_block(self, tag: str, state_name: str) -> None:
        for widget in self.query(CodeBlock):
            if self._tag_of(widget) == tag:
                widget.set_state(state_name)

    @after_build
    def cell_done(self, outcome: Any) -> None:
        """A REPL cell finished: mark the block it came from (by its tag), show its checks."""
        payload = getattr(outcome, "payload", None)
        if isinstance(payload, p.CellPayload) and payload.checks is not None:
            self._apply_checks(payload.checks, after_cell=True)
        news, self.check_news = self.check_news, []
        for title, result in news:  # said under the cell, now that its output is shown
            self.post_message(self.CheckChanged(title, result.passed, result.message))
        tag = getattr(outcome, "tag", None)
        block = self._pending.pop(tag, None) if tag else None
        if block is None:
            return
        ok = getattr(outcome, "status", "") == "ok"
        self._mark_block(tag, "ok" if ok else "error")
        lesson = self.lesson
        if (
            ok
            and lesson is not None
            and tag.startswith(f"lesson:{lesson.id}/")
            and block.index >= 0
            and self.progress.block_run(lesson, block.index)
        ):
            self._save()
            self._update_header()
        if ok:
            self._send_next()
            return
        self.hint_missing_name(lesson, block, outcome)
        if self._queue:
            why = "the kernel ended" if getattr(outcome, "status", "") == "died" else "it failed"
            self.app.notify(
                f"Block at line {block.line}: {why}; stopped running the rest",
                severity="warning",
            )
            self._queue.clear()

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
