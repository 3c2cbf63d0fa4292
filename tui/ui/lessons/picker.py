"""Modal lists for the lesson pane: the lesson picker, the table of contents, and links."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from tui.lessons import review
from tui.lessons.course import places
from tui.lessons.document import Lesson
from tui.lessons.progress import Progress
from tui.lessons.review import Card
from tui.ui.common.confirm import Modal
from tui.ui.common.plain import plain, plain_cell

_MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 90%; max-width: 130; height: auto; max-height: 85%;
    border: thick $accent; background: $surface; padding: 0 1;
}}
{name} .modal-title {{ text-style: bold; height: 1; }}
{name} .modal-help {{ color: $text-muted; height: auto; }}
"""


class LessonPicker(Modal[str | None]):
    """The course in order: reviews due first, then every lesson with its place, completion,
    prerequisites done or missing, and whether its checks are off (``untrusted``:
    ``{lesson id: reason}``). Dismisses with a lesson id, ``review:<lesson>\\n<exercise>``
    or ``broken:<row>``."""

    DEFAULT_CSS = (
        _MODAL_CSS.format(name="LessonPicker")
        + """
    LessonPicker DataTable { height: auto; max-height: 24; }
    LessonPicker #picker-detail { height: auto; min-height: 2; color: $text-muted; }
    """
    )
    BINDINGS = [Binding("escape,q,l", "dismiss(None)", "Close")]

    def __init__(
        self,
        lessons: list[Lesson],
        progress: Progress,
        current: str | None,
        untrusted: dict[str, str] | None = None,
        due: list[Card] | None = None,
    ) -> None:
        super().__init__()
        self.lessons = lessons
        self.progress = progress
        self.current = current
        self.untrusted = untrusted or {}
        by_id = {ls.id: ls for ls in lessons if not ls.broken}
        self.due = [c for c in due or [] if c.lesson in by_id]
        self.rows: list[Lesson | Card] = [*self.due, *lessons]
        self.places = places(lessons, lambda lid: progress.is_done(lid, lessons))

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title(), classes="modal-title")
            yield DataTable(id="picker-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="picker-detail")

    def _title(self) -> str:
        done = sum(self.progress.is_done(ls.id, self.lessons) for ls in self.lessons)
        course = f"Course: {len(self.places)} lessons, {done} done"
        if self.due:
            course += f", {len(self.due)} review{'s' * (len(self.due) > 1)} due"
        return course + " · Enter opens, Esc closes"

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("#", "lesson", "done", "needs", "id")
        now = time.time()
        for card in self.due:
            table.add_row(*self._review_row(card, now))
        for lesson in self.lessons:
            table.add_row(*self._row(lesson))
        start = len(self.due) if self.due else 0
        for row, item in enumerate(self.rows):
            if isinstance(item, Lesson) and item.id == self.current and not self.due:
                start = row
        table.move_cursor(row=start if not self.due else 0)
        table.focus()
        self._show_detail(table.cursor_row)

    def _review_row(self, card: Card, now: float) -> list[Text]:
        lesson = next(ls for ls in self.lessons if ls.id == card.lesson and not ls.broken)
        title = next((e.title for e in lesson.exercises if e.id == card.exercise), card.exercise)
        return [
            Text("↻", style="bold magenta"),
            Text(f"Review: {title}", style="magenta"),
            Text(review.when(card, now), style="magenta"),
            Text(f"from {lesson.title}"),
            plain_cell(lesson.id),
        ]

    def _row(self, lesson: Lesson) -> list[Text]:
        if lesson.broken:
            return [
                Text(""),
                Text("⚠ broken", style="bold red"),
                Text("-"),
                Text(_shorten(lesson.error or "", 60), style="red"),
                plain_cell(lesson.id),
            ]
        place = self.places[lesson.id]
        needs = Text()
        for n, (pid, how) in enumerate(place.needs):
            if n:
                needs.append(", ")
            if how == "missing":
                needs.append(f"{pid} (missing)", style="dim italic")
            elif how == "done":  # by place in the course: narrow; the detail names them
                needs.append(f"✓ #{self.places[pid].number}", style="green")
            else:
                needs.append(f"○ #{self.places[pid].number}", style="yellow")
        here = lesson.id == self.current
        title = Text(("▶ " if here else "") + lesson.title, style="bold" if here else "")
        if lesson.id in self.untrusted:
            title.append("  ⚠ untrusted", style="yellow")
        pct = self.progress.completion(lesson)
        return [
            Text(str(place.number), justify="right"),
            title,
            Text(f"{pct:.0%}", justify="right", style="green" if pct >= 0.999 else ""),
            needs or Text("-"),
            plain_cell(lesson.id),
        ]

    def _show_detail(self, row: int) -> None:
        if not 0 <= row < len(self.rows):
            return
        item = self.rows[row]
        detail = self.query_one("#picker-detail", Static)
        if isinstance(item, Card):
            detail.update(
                Text(
                    "Enter opens the exercise and clears its answer from the REPL, so its "
                    "check fails again; a rebuilds the lesson up to it, then solve it anew. "
                    f"Solved {review.when_solved(item, time.time())}."
                )
            )
            return
        lesson = item
        if lesson.broken:
            detail.update(Text(f"broken: {lesson.error}", style="red"))
            return
        place = self.places[lesson.id]
        lines = [lesson.why or lesson.title]
        if lesson.concepts:
            lines.append("concepts: " + ", ".join(lesson.concepts))
        if place.needs:
            marks = {"done": "✓ done", "open": "○ not done", "missing": "not found"}
            needs = ", ".join(f"{pid} ({marks[how]})" for pid, how in place.needs)
            hint = "" if place.ready else "; you can still open it"
            lines.append(f"needs: {needs}{hint}")
        following = next((ls for ls in self.lessons if ls.id == place.next_id), None)
        lines.append(f"next: {following.title}" if following else "the last lesson of the course")
        if lesson.id in self.untrusted:
            lines.append(f"checks off: {self.untrusted[lesson.id]} (open it and press T)")
        lines.append(str(lesson.path))
        detail.update(plain_cell("\n".join(lines)))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        row = event.cursor_row
        if not 0 <= row < len(self.rows):
            return
        item = self.rows[row]
        if isinstance(item, Card):
            self.dismiss(f"review:{item.lesson}\n{item.exercise}")
        elif item.broken:
            self.dismiss(f"broken:{self.lessons.index(item)}")
        else:
            self.dismiss(item.id)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class ChoiceList(Modal[int | None]):
    """A titled list of choices (table of contents, links); Enter picks, Esc closes.

    The title and ``str`` choices are shown as they are: they come from lesson files."""

    DEFAULT_CSS = (
        _MODAL_CSS.format(name="ChoiceList")
        + """
    ChoiceList OptionList { height: auto; max-height: 30; }
    """
    )
    BINDINGS = [Binding("escape,q", "dismiss(None)", "Close")]

    def __init__(
        self, title: str, choices: list[Text | str], current: int = 0, help: str = ""
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.current = current
        self.help_text = help

    def compose(self) -> ComposeResult:
        with Vertical():
            # a lesson's title, its sections and links: literal text, never markup
            yield Static(plain(self.title_text), classes="modal-title")
            literal = [plain(c) if isinstance(c, str) else c for c in self.choices]
            yield OptionList(*[Option(c) for c in literal], id="choices")
            if self.help_text:
                yield Static(self.help_text, classes="modal-help")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.choices:
            options.highlighted = max(0, min(self.current, len(self.choices) - 1))
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)
