"""A modal screen that closes once."""

from __future__ import annotations

from typing import TypeVar

from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen

R = TypeVar("R")


class Modal(ModalScreen[R]):
    """A second close is ignored. Keys typed behind the one that closed it (Enter on a
    choice, Escape) still reach it while it goes, and Textual would then pop the screen
    below it: with the main screen alone on the stack, the app crashed."""

    def dismiss(self, result: R | None = None) -> AwaitComplete:
        if self.app.screen is not self:
            return AwaitComplete.nothing()
        return super().dismiss(result)
