"""A lesson's runnable python block, as drawn in a section: its label says whether it ran.

Only renders what ``tui.lessons.document`` parsed; the lesson view (``lesson_body``)
selects it and sends its code. Highlighting (pygments) is imported where first used:
the lesson pane imports this module before the first frame, which draws none.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui.lessons.document import Block
from tui.ui.lessons.code_body import CodeBody


class CodeBlock(Vertical):
    """A runnable python block: selectable, sent to the REPL with Enter."""

    DEFAULT_CSS = """
    CodeBlock { height: auto; margin: 0 0 1 0; border-left: outer $panel; padding: 0 0 0 1; }
    CodeBlock.-selected { border-left: outer $accent; background: $boost; }
    CodeBlock > .code-label { color: $text-muted; height: 1; }
    CodeBlock.-selected > .code-label { color: $accent; text-style: bold; }
    CodeBlock > .code-body { height: auto; }
    """

    def __init__(self, block: Block, label: str, solution: bool = False) -> None:
        super().__init__(classes="-solution" if solution else "")
        self.block = block
        self.label = label
        self.state = ""  # "", "sent", "ok", "error"

    #: Lines drawn; a longer block shows its head (it still runs whole). Redrawing a
    #: 10,000-line block on every selection change froze the UI for seconds.
    MAX_SHOWN_LINES = 300

    def compose(self) -> ComposeResult:
        yield Static(self._label_text(), classes="code-label")
        lines = self.block.code.split("\n")
        shown = "\n".join(lines[: self.MAX_SHOWN_LINES])
        if CodeBlock._lexer_ready:
            from textual.highlight import highlight

            yield CodeBody(highlight(shown, language="python"), classes="code-body")
        else:  # pygments builds its Python lexer in ~60 ms: plain text for frame 1
            yield CodeBody(shown, classes="code-body")
            self._unhighlighted = shown
        if len(lines) > self.MAX_SHOWN_LINES:
            more = len(lines) - self.MAX_SHOWN_LINES
            yield Static(
                f"… {more:,} more lines (Enter runs the whole block)", classes="code-label"
            )

    _lexer_ready: ClassVar[bool] = False
    _unhighlighted: str | None = None

    def on_resize(self) -> None:
        """Laid out, so painted in the same frame: the lexer is built after the section's
        first screen, not before it. (A section mounts in a batch, where Textual runs
        after-refresh callbacks before it paints; a block in a hidden section waits for
        its section to be shown.)"""
        if self._unhighlighted is not None:
            self._highlight()

    def _highlight(self) -> None:
        from textual.highlight import highlight

        CodeBlock._lexer_ready = True
        if self.is_attached and self._unhighlighted is not None:
            code, self._unhighlighted = self._unhighlighted, None
            self.query_one(".code-body", CodeBody).update(highlight(code, language="python"))

    def _label_text(self) -> str:
        mark = {"sent": "… running", "ok": "✓ ran", "error": "✗ failed"}.get(self.state, "")
        return f"▶ {self.label}  {mark}".rstrip()

    def set_state(self, state: str) -> None:
        self.state = state
        if self.is_mounted:
            self.query_one(".code-label", Static).update(self._label_text())
