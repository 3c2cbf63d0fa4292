"""An exercise as drawn in a section: its prompt, the live ✓/✗ of its check, its hints
one by one and its solution, hidden until asked for.

The card owns what it shows (the result, the hints and the solution revealed, whether
its checks are off); the lesson view (``lesson_body``) tells it what changed.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from tui.lessons.document import Block, Exercise
from tui.lessons.exercises import CheckResult
from tui.ui.common.plain import visible
from tui.ui.lessons.code_block import CodeBlock
from tui.ui.lessons.prose import Prose
from tui.ui.lessons.trust_note import TrustNote


class ExerciseCard(Vertical):
    """An exercise: prompt, live ✓/✗ with the check's message, hints one by one, a hidden solution."""

    DEFAULT_CSS = """
    ExerciseCard { height: auto; border: round $warning 60%; padding: 0 1; margin: 0 0 1 0; }
    ExerciseCard.-selected { border: round $accent; background: $boost; }
    ExerciseCard.-passed { border: round $success; }
    ExerciseCard > .ex-title { text-style: bold; height: auto; }
    ExerciseCard > .ex-status { height: auto; color: $text-muted; }
    ExerciseCard.-passed > .ex-status { color: $success; }
    ExerciseCard.-failed > .ex-status { color: $warning; }
    ExerciseCard.-untrusted > .ex-status { display: none; }
    ExerciseCard > .ex-hint { height: auto; color: $text; background: $primary 15%; margin: 0; }
    ExerciseCard > .ex-keys { height: 1; color: $text-muted; }
    """

    def __init__(
        self,
        exercise: Exercise,
        prompt: list[Widget],
        passed_before: bool = False,
        result: CheckResult | None = None,
        untrusted: Text | None = None,
    ) -> None:
        """``untrusted``: why its checks are off (a ``TrustNote`` says it), None if on."""
        super().__init__()
        self.exercise = exercise
        self.prompt_widgets = prompt
        self.hints_shown = 0
        self.solution_shown = False
        self.result = result
        self.passed_before = passed_before
        self.set_class(result is not None and result.passed, "-passed")
        if untrusted is not None:
            self.add_class("-untrusted")
            self.prompt_widgets.append(TrustNote(untrusted))

    def compose(self) -> ComposeResult:
        yield Static(Text(f"✎ Exercise: {self.exercise.title}"), classes="ex-title")
        yield from self.prompt_widgets
        yield Static(self._status_text(), classes="ex-status")
        yield Static(self._keys_text(), classes="ex-keys")

    def _status_text(self) -> Text:
        result = self.result
        if result is None:
            if self.passed_before:
                return Text("✓ passed before; run your code again to re-check")
            return Text("○ not checked yet: it is checked after every REPL cell")
        if result.passed:
            return Text("✓ passed")
        text = Text(visible(f"✗ {result.message}"))  # the check's words, literal
        if self.passed_before:
            text.append("  (you passed this before)", style="dim")
        return text

    def _keys_text(self) -> str:
        ex = self.exercise
        parts = []
        if ex.hints:
            left = len(ex.hints) - self.hints_shown
            parts.append(f"h: hint ({left} left)" if left else "no more hints")
        if ex.solution is not None and not self.solution_shown:
            parts.append("s: show solution")
        return " · ".join(parts)

    def set_result(self, result: CheckResult | None) -> None:
        if result is not None and result == self.result:
            return  # checked again after a cell, unchanged: nothing to lay out again
        self.result = result
        if result is not None and result.passed:
            self.passed_before = True
        self.set_class(result is not None and result.passed, "-passed")
        self.set_class(result is not None and not result.passed, "-failed")
        self._show_status()

    def trusted(self) -> None:
        """Its folder was trusted: no note, and the status line is right again."""
        self.query(TrustNote).remove()
        self.remove_class("-untrusted")

    def on_mount(self) -> None:
        self._show_status()  # a result that came while the card was still mounting

    def _show_status(self) -> None:
        for status in self.query(".ex-status").results(Static):  # none while mounting
            status.update(self._status_text())

    async def show_hint(self) -> bool:
        """Reveal the next hint; False when there is none left."""
        if self.hints_shown >= len(self.exercise.hints):
            return False
        text = self.exercise.hints[self.hints_shown]
        self.hints_shown += 1
        hint = Prose(f"**Hint {self.hints_shown}:** {text}", classes="ex-hint")
        await self.mount(hint, before=self.query_one(".ex-status"))
        self.query_one(".ex-keys", Static).update(self._keys_text())
        return True

    async def show_solution(self, label: str) -> CodeBlock | None:
        """Reveal the solution as a runnable block (None: none, or shown already)."""
        ex = self.exercise
        if ex.solution is None or self.solution_shown:
            return None
        self.solution_shown = True
        block = Block(index=-1, code=ex.solution, line=ex.solution_line, section=ex.section)
        widget = CodeBlock(block, label, solution=True)
        await self.mount(widget, before=self.query_one(".ex-status"))
        self.query_one(".ex-keys", Static).update(self._keys_text())
        return widget
