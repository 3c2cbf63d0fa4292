"""The one Textual message that carries kernel events (``tui.kernel``) into the UI."""

from __future__ import annotations

from textual.message import Message


class KernelEvent(Message):
    """A kernel event (Ready, Died, Pushed...) from the link of ``generation``."""

    def __init__(self, event: object, generation: int) -> None:
        super().__init__()
        self.event = event
        self.generation = generation
