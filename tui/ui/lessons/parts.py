"""The pieces a lesson section is drawn with: code blocks, exercise cards, the header.

These widgets only render what ``tui.lessons.document`` parsed; the pane decides what to do.
Markdown (markdown-it) and highlighting (pygments) are imported where first used: the
lesson pane imports this module before the first frame, which draws neither.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tui.lessons.document import Block, Exercise, Lesson
from tui.lessons.exercises import CheckResult
from tui.ui.common.plain import visible
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

    def on_mount(self) -> None:
        if self._unhighlighted is not None:
            self.call_after_refresh(self._highlight)

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
    ExerciseCard > .ex-hint { height: auto; color: $text; background: $primary 15%; margin: 0; }
    ExerciseCard > .ex-hint MarkdownParagraph { margin: 0; }
    ExerciseCard > .ex-keys { height: 1; color: $text-muted; }
    ExerciseCard Markdown { margin: 0; padding: 0; }
    """

    def __init__(self, exercise: Exercise, prompt: list, passed_before: bool = False) -> None:
        super().__init__()
        self.exercise = exercise
        self.prompt_widgets = prompt
        self.hints_shown = 0
        self.solution_shown = False
        self.result: CheckResult | None = None
        self.passed_before = passed_before

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
        self.result = result
        if result is not None and result.passed:
            self.passed_before = True
        self.set_class(result is not None and result.passed, "-passed")
        self.set_class(result is not None and not result.passed, "-failed")
        self._show_status()

    def on_mount(self) -> None:
        self._show_status()  # a result that came while the card was still mounting

    def _show_status(self) -> None:
        for status in self.query(".ex-status"):  # none yet while the card mounts
            status.update(self._status_text())

    async def show_hint(self) -> bool:
        """Reveal the next hint; False when there is none left."""
        if self.hints_shown >= len(self.exercise.hints):
            return False
        from textual.widgets import Markdown

        text = self.exercise.hints[self.hints_shown]
        self.hints_shown += 1
        hint = Markdown(f"**Hint {self.hints_shown}:** {text}", classes="ex-hint", open_links=False)
        await self.mount(hint, before=self.query_one(".ex-status"))
        self.query_one(".ex-keys", Static).update(self._keys_text())
        return True

    async def show_solution(self, label: str) -> CodeBlock | None:
        ex = self.exercise
        if ex.solution is None or self.solution_shown:
            return None
        self.solution_shown = True
        block = Block(index=-1, code=ex.solution, line=ex.solution_line, section=ex.section)
        widget = CodeBlock(block, label, solution=True)
        await self.mount(widget, before=self.query_one(".ex-status"))
        self.query_one(".ex-keys", Static).update(self._keys_text())
        return widget


class LessonBody(VerticalScroll, can_focus=True):
    """The scrolling section view; up/down pick a code block instead of scrolling."""

    DEFAULT_CSS = """
    LessonBody { height: 1fr; padding: 0 1; }
    LessonBody > Markdown { margin: 0; padding: 0; }
    """

    BINDINGS = [
        Binding("down,j", "select(1)", "Next block", show=False),
        Binding("up,k", "select(-1)", "Prev block", show=False),
        Binding("enter,r", "run_selected", "Run block"),
    ]

    def watch_has_focus(self, has_focus: bool) -> None:
        """No restyle on focus: Textual restyles the focused widget's whole subtree (the
        section's ~20 Markdown widgets and the scrollbars, all repainted then), ~15 ms of
        each pane switch, and no rule styles the body or anything in it on its focus.
        (A ``LessonBody:focus`` rule would need ``update_node_styles()`` here.)"""

    def _pane(self):
        from tui.ui.lessons.lesson_pane import LessonPane

        return next(a for a in self.ancestors if isinstance(a, LessonPane))

    def action_select(self, step: int) -> None:
        self._pane().action_select(step)

    def action_run_selected(self) -> None:
        self._pane().action_run_selected()


def header_text(lesson: Lesson | None, section: int, completion: float) -> Text:
    """Title, section position, why and concepts: what the lesson is for, at a glance."""
    text = Text()
    if lesson is None:
        text.append("No lessons found", style="bold")
        text.append(
            "\nPut lesson files in lessons/, pass --lessons-dir DIR, or add them to your folder."
        )
        return text
    if lesson.broken:
        text.append(f"{lesson.id}  ", style="bold")
        text.append("⚠ broken lesson\n", style="bold red")
        text.append(lesson.error or "", style="red")
        return text
    text.append(lesson.title, style="bold")
    count = len(lesson.sections)
    if count:
        text.append(f"   §{section + 1}/{count}", style="dim")
    text.append(f"   {completion:.0%} done", style="dim")
    if lesson.why:
        text.append(f"\n{lesson.why}", style="italic")
    if lesson.concepts:
        text.append("\n")
        for concept in lesson.concepts:
            text.append(f" {concept} ", style="reverse")
            text.append(" ")
    return text
