"""Modal screens: the base that closes once (`Modal`), and a one-question modal where Enter says yes and Esc says no."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

R = TypeVar("R")


class Modal(ModalScreen[R]):
    """A second close is ignored. Keys typed behind the one that closed it (Enter on a
    choice, Escape) still reach it while it goes, and Textual would then pop the screen
    below it: with the main screen alone on the stack, the app crashed."""

    def dismiss(self, result: R | None = None) -> AwaitComplete:
        if self.app.screen is not self:
            return AwaitComplete.nothing()
        return super().dismiss(result)


class ConfirmScreen(Modal[bool]):
    """``title`` (bold) and ``details`` (one per line, e.g. the files that changed) are
    optional: a question that names what it is about reads better than one that hints."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 70; height: auto; border: thick $warning; background: $surface; padding: 1 2;
    }
    ConfirmScreen .title { text-style: bold; margin-bottom: 1; }
    ConfirmScreen .details { color: $warning; margin-top: 1; }
    ConfirmScreen .keys { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [
        Binding("enter", "answer(True)", "Yes", priority=True),
        Binding("escape", "answer(False)", "No"),
    ]

    def __init__(
        self,
        question: str,
        keys: str = "Enter: yes · Esc: no",
        title: str = "",
        details: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.question = question
        self.keys = keys
        self.title_text = title
        self.details = list(details)

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.title_text:
                yield Static(self.title_text, classes="title", markup=False)
            yield Static(self.question, markup=False)
            if self.details:
                yield Static("\n".join(self.details), classes="details", markup=False)
            yield Static(self.keys, classes="keys", markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
