"""Modal lists for the lesson pane: the lesson picker, the table of contents, and links."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from tui.core.lessons import Lesson, prerequisites_status
from tui.core.progress import Progress

_MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 90%; max-width: 130; height: auto; max-height: 85%;
    border: thick $accent; background: $surface; padding: 0 1;
}}
{name} .modal-title {{ text-style: bold; height: 1; }}
{name} .modal-help {{ color: $text-muted; height: auto; }}
"""


class LessonPicker(ModalScreen[str | None]):
    """Every lesson: id, title, concepts, completion, prerequisites done or missing, and
    whether its checks are off (``untrusted``: ``{lesson id: reason}``)."""

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
    ) -> None:
        super().__init__()
        self.lessons = lessons
        self.progress = progress
        self.current = current
        self.untrusted = untrusted or {}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Lessons: Enter opens, Esc closes", classes="modal-title")
            yield DataTable(id="picker-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="picker-detail")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("id", "title", "concepts", "done", "prerequisites")
        done_ids = {ls.id for ls in self.lessons if self.progress.is_done(ls.id, self.lessons)}
        for lesson in self.lessons:
            table.add_row(*self._row(lesson, done_ids), key=str(id(lesson)))
        for row, lesson in enumerate(self.lessons):
            if lesson.id == self.current:
                table.move_cursor(row=row)
        table.focus()
        self._show_detail(table.cursor_row)

    def _row(self, lesson: Lesson, done_ids: set[str]) -> list[Text]:
        if lesson.broken:
            return [
                Text(lesson.id),
                Text("⚠ broken", style="bold red"),
                Text(""),
                Text("-"),
                Text(_shorten(lesson.error or "", 60), style="red"),
            ]
        prereqs = Text()
        for n, (pid, exists) in enumerate(prerequisites_status(lesson, self.lessons)):
            if n:
                prereqs.append(", ")
            if not exists:
                prereqs.append(f"{pid} (missing)", style="dim italic")
            elif pid in done_ids:
                prereqs.append(f"✓ {pid}", style="green")
            else:
                prereqs.append(f"○ {pid}", style="yellow")
        pct = self.progress.completion(lesson)
        title = Text(lesson.title, style="bold" if lesson.id == self.current else "")
        if lesson.id in self.untrusted:
            title.append("  ⚠ untrusted", style="yellow")
        return [
            Text(lesson.id),
            title,
            Text(_shorten(", ".join(lesson.concepts), 36)),
            Text(f"{pct:.0%}", justify="right"),
            prereqs or Text("-"),
        ]

    def _show_detail(self, row: int) -> None:
        if not 0 <= row < len(self.lessons):
            return
        lesson = self.lessons[row]
        detail = self.query_one("#picker-detail", Static)
        if lesson.broken:
            detail.update(Text(f"broken: {lesson.error}", style="red"))
        elif lesson.id in self.untrusted:
            reason = f"checks off: {self.untrusted[lesson.id]} (open it and press T)"
            detail.update(Text(f"{lesson.path}\n{lesson.why}\n{reason}"))
        else:
            detail.update(Text(f"{lesson.path}\n{lesson.why}"))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        row = event.cursor_row
        if 0 <= row < len(self.lessons):
            self.dismiss(self.lessons[row].id if not self.lessons[row].broken else f"broken:{row}")


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class ChoiceList(ModalScreen[int | None]):
    """A titled list of choices (table of contents, links); Enter picks, Esc closes."""

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
            yield Static(self.title_text, classes="modal-title")
            yield OptionList(*[Option(c) for c in self.choices], id="choices")
            if self.help_text:
                yield Static(self.help_text, classes="modal-help")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.choices:
            options.highlighted = max(0, min(self.current, len(self.choices) - 1))
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)
