"""A one-question modal: Enter says yes, Esc says no."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 70; height: auto; border: thick $warning; background: $surface; padding: 1 2;
    }
    ConfirmScreen .keys { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [
        Binding("enter", "answer(True)", "Yes", priority=True),
        Binding("escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, keys: str = "Enter: yes · Esc: no") -> None:
        super().__init__()
        self.question = question
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, markup=False)
            yield Static(self.keys, classes="keys", markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
