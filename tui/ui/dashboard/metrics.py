"""The run's figures and its progress bar, drawn by one widget.

Textual's ProgressBar is three widgets with a 1 Hz timer of its own. Each of its
refreshes was a frame of its own, and every frame re-renders the whole dashboard column
(~5 ms here): GIL time that a Python-bound training loop waits for. One widget, one
frame per metrics tick.
"""

from __future__ import annotations

import re

from rich.style import Style as RichStyle
from textual.content import Content
from textual.style import Style
from textual.widget import Widget

from tui.ui.common.plain import visible

#: Lines of figures above the bar (the figures are packed into at most this many).
TEXT_LINES = 3
BAR, HALF_BAR = "━", "╸"  # as Textual's own bar draws it
#: The figures' only markup: a bold label (``tui.runs.runbook.metrics_parts``).
_BOLD = re.compile(r"\[b\](.*?)\[/b\]", re.DOTALL)


def figures(text: str) -> Content:
    """The figures with their ``[b]label[/b]`` in bold and everything else literal: a
    run's label names the learner's class, which may hold any brackets at all."""
    parts: list[str | tuple[str, str]] = []
    at = 0
    for m in _BOLD.finditer(text):
        parts += [visible(text[at : m.start()]), (visible(m[1]), "bold")]
        at = m.end()
    parts.append(visible(text[at:]))
    return Content.assemble(*parts)


class TrainMetrics(Widget):
    """``TEXT_LINES`` lines of figures (``[b]loss[/b] 0.12  …``) above a progress bar."""

    COMPONENT_CLASSES = {"train-metrics--bar", "train-metrics--complete"}
    DEFAULT_CSS = f"""
    TrainMetrics {{ height: {TEXT_LINES + 1}; }}
    TrainMetrics > .train-metrics--bar {{ color: $primary; background: $surface; }}
    TrainMetrics > .train-metrics--complete {{ color: $success; background: $surface; }}
    """

    def __init__(self, text: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.text = text
        self.total = 1.0
        self.progress = 0.0

    def show(
        self,
        text: str | None = None,
        total: float | None = None,
        progress: float | None = None,
    ) -> None:
        """Change what is shown; repaints only when the text or the bar's drawing (in
        half cells) changed."""
        before = (self.text, self.bar_cells())
        if text is not None:
            self.text = text
        if total is not None:
            self.total = total
        if progress is not None:
            self.progress = progress
        if (self.text, self.bar_cells()) != before:
            self.refresh()

    @property
    def plain(self) -> str:
        """The figures as the user reads them (no markup)."""
        return figures(self.text).plain

    @property
    def fraction(self) -> float:
        return min(1.0, max(0.0, self.progress / self.total)) if self.total else 0.0

    def bar_cells(self) -> int:
        """How many half cells of the bar are filled."""
        return int(2 * self.size.width * self.fraction)

    def render(self) -> Content:
        """Textual's own Content: Rich renderables would go through a Console each frame."""
        lines = figures(self.text).split("\n")[:TEXT_LINES]
        lines += [Content("")] * (TEXT_LINES - len(lines))  # the bar stays on the last line
        width = self.size.width
        lines = [line.truncate(width, ellipsis=True) for line in lines]
        component = "train-metrics--complete" if self.fraction >= 1 else "train-metrics--bar"
        colours = self.get_component_rich_style(component)
        done, half = divmod(self.bar_cells(), 2)
        filled = BAR * done + (HALF_BAR if half else "")
        bar = Content.assemble(
            (filled, Style.from_rich_style(RichStyle.from_color(colours.color))),
            (
                BAR * (width - len(filled)),
                Style.from_rich_style(RichStyle.from_color(colours.bgcolor)),
            ),
        )
        return Content("\n").join([*lines, bar])
