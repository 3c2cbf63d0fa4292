"""The lesson view: one section of a lesson, its code blocks and exercise cards, the
selection among them, and the blocks sent to the REPL.

The pane says which section to show (a ``Page``); the view draws it and owns what
happens inside: ↑/↓ select, Enter sends the selected block, ``run_to_here`` the blocks
before it, one at a time, stopping at a failure. A block to run is posted as
``LessonBody.RunCode`` (the pane hands it on as ``LessonPane.RunBlock``); its outcome
comes back to ``block_done``, matched by its tag (``block_tag``).
Prose is drawn by ``Prose``: one widget per chunk of markdown, not a widget per paragraph.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from tui.lessons import review
from tui.lessons.document import Block, Lesson
from tui.lessons.exercises import CheckResult
from tui.lessons.progress import LessonProgress
from tui.ui.common.keys import bindings
from tui.ui.common.plain import notify_plain, plain
from tui.ui.lessons.code_block import CodeBlock
from tui.ui.lessons.exercise_card import ExerciseCard
from tui.ui.lessons.lesson_keys import BODY_KEYS
from tui.ui.lessons.prose import Prose


def block_tag(lesson: Lesson, block: Block, exercise_id: str | None = None) -> str:
    """The stable id of a block, sent as its cell's tag: ``lesson:<id>/block-<n>``, or
    ``lesson:<id>/solution-<exercise>`` for a revealed solution."""
    if block.index < 0 and exercise_id is not None:
        return f"lesson:{lesson.id}/solution-{exercise_id}"
    return f"lesson:{lesson.id}/block-{block.index}"


def missing_name_hint(lesson: Lesson, block: Block, outcome: Any) -> str | None:
    """A block failed with NameError for a name an earlier block of ``lesson`` makes
    (after a restart, say): which block, and what ``a`` does. None otherwise."""
    if getattr(outcome, "error_name", "") != "NameError":
        return None
    found = re.search(r"name '(\w+)' is not defined", getattr(outcome, "error_value", ""))
    if found is None:
        return None
    name = found.group(1)
    maker = next(
        (
            b
            for b in reversed(lesson.blocks)
            if b.line < block.line and name in review.bound_names(b.code)
        ),
        None,
    )
    if maker is None:
        return None
    return (
        f"{name} is made by block {maker.index + 1} (line {maker.line}), which has not "
        "run in this REPL: press a to run the blocks up to here"
    )


@dataclass
class Page:
    """What the view shows: a section of ``lesson``, with the learner's progress in it."""

    lesson: Lesson | None
    section: int = 0
    #: Blocks run and exercises passed before (``Progress.of``).
    done: LessonProgress = field(default_factory=LessonProgress)
    #: The latest check result of each exercise, by id.
    results: dict[str, CheckResult] = field(default_factory=dict)
    #: Why the lesson's checks are off (said on each exercise); None when they run.
    untrusted: Text | None = None
    #: The lesson after this one in the course, named at the end of the last section.
    following: Lesson | None = None


class SectionView(Vertical):
    """One section's widgets. Kept, hidden, while its lesson stays open: going back to a
    section shows it again without building its markdown anew (a build lays the whole
    screen out two or three times), with the hints and results it showed."""

    DEFAULT_CSS = """
    SectionView { height: auto; }
    SectionView > .lesson-end { color: $text-muted; margin: 1 0; }
    SectionView > .lesson-broken { color: $error; margin: 1 0; }
    """


class LessonBody(VerticalScroll, can_focus=True):
    """The scrolling section view; up/down pick a code block instead of scrolling."""

    DEFAULT_CSS = """
    LessonBody { height: 1fr; padding: 0 1; }
    """

    BINDINGS = bindings(BODY_KEYS)
    #: Sections kept at most, the one on screen included: enough to step back and forth.
    #: Every widget kept makes each later frame a little dearer (a cell's Enter cost
    #: ~16 ms more with a whole lesson kept), so the oldest goes.
    KEPT = 3

    @dataclass
    class RunCode(Message):
        """Run ``code`` in the REPL as if typed; its outcome comes back tagged ``tag``."""

        tag: str
        code: str

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.page = Page(None)
        #: The index of the selected block or card among ``selectables()``; -1: none.
        self.selected = -1
        #: Blocks sent to the REPL and not finished yet, by tag.
        self._pending: dict[str, Block] = {}
        #: Blocks of "run up to here" still to send (one at a time, stopping at a failure).
        self._queue: list[tuple[str, Block]] = []
        #: The exercise whose solution was asked for, and when: a second s shows it.
        self._confirm: tuple[str, float] | None = None
        #: The sections of ``_views_of`` kept, by index, the latest shown last; the one on
        #: screen.
        self._views: OrderedDict[int, SectionView] = OrderedDict()
        self._views_of: Lesson | None = None
        self._shown: SectionView | None = None

    def watch_has_focus(self, has_focus: bool) -> None:
        """No restyle on focus: Textual restyles the focused widget's whole subtree (the
        section's widgets and the scrollbars, all repainted then), ~15 ms of
        each pane switch, and no rule styles the body or anything in it on its focus.
        (A ``LessonBody:focus`` rule would need ``update_node_styles()`` here.)"""

    # -- showing a section ----------------------------------------------------------------
    async def show(self, page: Page) -> None:
        """Draw ``page``, its first block selected (marked, not scrolled to): a section
        of the open lesson shown before comes back as it was left."""
        self.page = page
        lesson = page.lesson
        keep = lesson is not None and not lesson.broken
        with self.app.batch_update():
            if lesson is not self._views_of or not keep:
                self._views.clear()
                self._shown = None
                self._views_of = lesson if keep else None
                await self.remove_children()
            view = self._views.get(page.section)
            if self._shown is not None and self._shown is not view:
                self._shown.display = False
            if view is None:
                view = SectionView(*self._widgets())
                if keep:
                    self._views[page.section] = view
                await self.mount(view)
            else:
                view.display = True
                self._views.move_to_end(page.section)
            self._shown = view
            while len(self._views) > self.KEPT:
                _, oldest = self._views.popitem(last=False)
                await oldest.remove()
            self.scroll_home(animate=False)
        self.selected = -1
        items = self.selectables()
        first = next((n for n, w in enumerate(items) if isinstance(w, CodeBlock)), -1)
        if first >= 0:
            self._select(first, items, scroll=False)

    def _widgets(self) -> list[Widget]:
        page, lesson = self.page, self.page.lesson
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
        widgets: list[Widget] = []
        if page.section == 0 and lesson.intro:
            widgets.append(Prose(lesson.intro))
        if not lesson.sections:
            return widgets or [Static("This lesson is empty.", classes="lesson-end")]
        sec = lesson.sections[page.section]
        widgets.append(Prose(f"## {sec.title}"))

        def block_widget(block: Block) -> CodeBlock:
            widget = CodeBlock(block, f"block {block.index + 1} · line {block.line}")
            if block.index in page.done.blocks_run:
                widget.state = "ok"
            return widget

        for kind, item in sec.items:
            if kind == "md":
                widgets.append(Prose(item))
            elif kind == "block":
                widgets.append(block_widget(item))
            else:
                prompt: list[Widget] = [
                    Prose(p) if k == "md" else block_widget(p) for k, p in item.prompt
                ]
                widgets.append(
                    ExerciseCard(
                        item,
                        prompt,
                        passed_before=item.id in page.done.passed,
                        result=page.results.get(item.id),
                        untrusted=page.untrusted,
                    )
                )
        if page.section + 1 < len(lesson.sections):
            nxt = lesson.sections[page.section + 1].title
            widgets.append(Static(plain(f"— n: next section, “{nxt}” —"), classes="lesson-end"))
        else:
            nxt = f"“{page.following.title}”" if page.following else "the next lesson"
            end = f"— end of the lesson: ] opens {nxt}, l the course —"
            widgets.append(Static(plain(end), classes="lesson-end"))
        return widgets

    def cards(self) -> list[ExerciseCard]:
        """The exercises of the section on screen."""
        return list(self._shown.query(ExerciseCard)) if self._shown is not None else []

    def show_result(self, result: CheckResult) -> None:
        """A check result, on its exercise's card in any section built (shown or kept)."""
        for card in self.query(ExerciseCard):
            if card.exercise.id == result.exercise_id:
                card.set_result(result)

    def trusted(self) -> None:
        """The lesson's folder was trusted: no card says its checks are off."""
        for card in self.query(ExerciseCard):
            card.trusted()

    # -- selection ------------------------------------------------------------------------
    def selectables(self) -> list[Widget]:
        """The blocks and exercises of the section on screen, in order."""
        if self._shown is None:
            return []
        return list(self._shown.query("CodeBlock, ExerciseCard"))

    def selected_widget(self) -> Widget | None:
        items = self.selectables()
        return items[self.selected] if 0 <= self.selected < len(items) else None

    def action_select(self, step: int) -> None:
        items = self.selectables()
        new = self.selected + step if self.selected >= 0 else (0 if step > 0 else -1)
        if not items or new < 0 or new >= len(items):
            self.scroll_relative(y=3 * step, animate=False)
            if new < 0:
                self._select(-1, items)
            return
        self._select(new, items)

    def _select(self, index: int, items: list[Widget], scroll: bool = True) -> None:
        for n, widget in enumerate(items):
            widget.set_class(n == index, "-selected")
        self.selected = index
        if scroll and 0 <= index < len(items):
            self.scroll_to_widget(items[index], animate=False)

    def select_widget(self, widget: Widget) -> None:
        items = self.selectables()
        if widget in items:
            self._select(items.index(widget), items)

    def select_exercise(self, exercise_id: str) -> None:
        """Select the card of ``exercise_id``: now, and scrolled to once laid out."""
        items = self.selectables()
        card = next(
            (w for w in items if isinstance(w, ExerciseCard) and w.exercise.id == exercise_id),
            None,
        )
        if card is not None:
            self._select(items.index(card), items)
            self.call_after_refresh(self._select, items.index(card), items)

    # -- exercises: hints and the solution -----------------------------------------------
    def target_card(self) -> ExerciseCard | None:
        """The selected exercise (or the one around the selected block), else the
        section's first one not passed, else its first."""
        widget = self.selected_widget()
        while widget is not None and not isinstance(widget, ExerciseCard):
            widget = widget.parent if isinstance(widget.parent, Widget) else None
        if isinstance(widget, ExerciseCard):
            return widget
        cards = self.cards()
        for card in cards:
            if not (card.result and card.result.passed):
                return card
        return cards[0] if cards else None

    async def hint(self) -> None:
        card = self.target_card()
        if card is None:
            self.app.notify("No exercise in this section", timeout=3)
            return
        if not card.exercise.hints:
            self.app.notify("This exercise has no hints", timeout=3)
        elif not await card.show_hint():
            self.app.notify("No more hints: s shows the solution", timeout=3)
        self.scroll_to_widget(card, animate=False)

    async def solution(self) -> None:
        """Show the exercise's solution on the second ask within 5 s, and select it."""
        card = self.target_card()
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
            self.select_widget(widget)

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

    def run_to_here(self) -> None:
        """Run every block of the lesson up to the selection (or to the end of this section)."""
        lesson = self.page.lesson
        if lesson is None or lesson.broken:
            return
        widget = self.selected_widget()
        if isinstance(widget, CodeBlock) and widget.block.index >= 0:
            limit = widget.block.line
        elif isinstance(widget, (CodeBlock, ExerciseCard)):
            card = widget if isinstance(widget, ExerciseCard) else widget.parent
            limit = card.exercise.line if isinstance(card, ExerciseCard) else 0
        else:
            sections, section = lesson.sections, self.page.section
            limit = sections[section + 1].line if section + 1 < len(sections) else 10**9
        blocks = [b for b in lesson.blocks if b.line <= limit]
        if not blocks:
            self.app.notify("No code blocks before this point", timeout=3)
            return
        self._queue = [(block_tag(lesson, b), b) for b in blocks]
        self._send_next()
        self.app.notify(f"Running {len(blocks)} block(s) in the REPL…", timeout=3)

    def _send(self, widgets: list[CodeBlock]) -> None:
        if self.page.lesson is None:
            return
        self._queue = [(self._tag_of(w), w.block) for w in widgets]
        self._send_next()
        if self.screen.has_class("-narrow") and len(widgets) == 1:
            self.app.notify("Sent to the REPL: F3 shows it, F2 comes back", timeout=3)

    def _tag_of(self, widget: CodeBlock) -> str:
        assert self.page.lesson is not None
        card = widget.parent
        exercise_id = card.exercise.id if isinstance(card, ExerciseCard) else None
        return block_tag(self.page.lesson, widget.block, exercise_id)

    def _send_next(self) -> None:
        if not self._queue:
            return
        tag, block = self._queue.pop(0)
        self._pending[tag] = block
        self._mark_block(tag, "sent")
        self.post_message(self.RunCode(tag, block.code))

    def _mark_block(self, tag: str, state_name: str) -> None:
        for widget in self.query(CodeBlock):
            if self._tag_of(widget) == tag:
                widget.set_state(state_name)

    def block_done(self, outcome: Any) -> Block | None:
        """A REPL cell finished: if it was one of these blocks (by its tag), mark it and
        go on with the blocks queued, or stop them at a failure. The block, if it ran fine."""
        tag = getattr(outcome, "tag", None)
        block = self._pending.pop(tag, None) if tag else None
        if tag is None or block is None:
            return None
        status = getattr(outcome, "status", "")
        self._mark_block(tag, "ok" if status == "ok" else "error")
        if status == "ok":
            self._send_next()
            return block
        lesson = self.page.lesson
        hint = missing_name_hint(lesson, block, outcome) if lesson is not None else None
        if hint is not None:
            notify_plain(self.app, hint, severity="warning", timeout=10)
        if self._queue:
            why = "the kernel ended" if status == "died" else "it failed"
            self.app.notify(
                f"Block at line {block.line}: {why}; stopped running the rest",
                severity="warning",
            )
            self._queue.clear()
        return None

    def stop_runs(self) -> None:
        """The kernel died: the blocks sent never finish."""
        for tag in list(self._pending):
            self._mark_block(tag, "error")
        self.forget_runs()

    def forget_runs(self) -> None:
        """Another lesson opened: nothing sent or queued is this view's any more."""
        self._pending.clear()
        self._queue.clear()
