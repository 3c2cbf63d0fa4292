"""The REPL pane (placeholder until the REPL issue lands)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import RichLog, TextArea

from tui.widgets.pane import Pane


class ReplPane(Pane):
    AREA = "repl"
    PANE_TITLE = "REPL"
    FKEY = "F3"
    HELP = "REPL: Python with torch, nn, F, np and device preloaded."

    def compose(self) -> ComposeResult:
        yield RichLog(id="repl-log")
        yield TextArea(id="repl-input", language=None)

    def default_focus_target(self):
        return self.query_one("#repl-input")
