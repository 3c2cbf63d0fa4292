"""The lesson pane (placeholder until the lessons issue lands)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Markdown

from tui.widgets.pane import Pane


class LessonPane(Pane):
    AREA = "lessons"
    PANE_TITLE = "Lessons"
    FKEY = "F2"
    HELP = "Lessons: markdown lessons whose code runs in the REPL."

    def compose(self) -> ComposeResult:
        md = Markdown("# Lessons\n\nLessons appear here.", id="lesson-body")
        md.can_focus = True
        yield md
