"""Safe Rich renderables for the REPL log: the echoed input, notes, and ``clean``.

Nothing a user prints reaches the terminal raw: ANSI/OSC escape sequences are removed,
a carriage return keeps only what the terminal would show last, bells go, and every
other control character is drawn as its visible Unicode symbol (U+2400 block). The
text is then handed to Rich as plain ``Text`` (no markup parsing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from tui.platform.text import strip_escapes, visible

if TYPE_CHECKING:
    from tui.console.outputs import PictureOut


# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other ESC-x pairs, and 8-bit CSI.
def clean(text: str) -> str:
    """Text safe to draw: no escape sequences, no control characters, tabs expanded."""
    text = strip_escapes(text)
    text = text.replace("\x07", "").replace("\r\n", "\n")
    if "\r" in text:
        lines = []
        for line in text.split("\n"):
            parts = [p for p in line.split("\r") if p]
            lines.append(parts[-1] if parts else "")
        text = "\n".join(lines)
    text = text.expandtabs(4)
    return visible(text)


def _prompt(label: str, style: str, body: RenderableType) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_row(Text(label, style=style), body)
    return grid


class Result:
    """A cell's value beside its ``Out[n]:`` label when each of its lines fits there,
    else under it at the log's whole width (as IPython puts a multi-line repr): the
    kernel prints as wide as the log, so a tensor's row is never wrapped again. Decided
    each time it is drawn, so again after a resize."""

    def __init__(self, label: str, style: str, body: Text) -> None:
        self.label = Text(label, style=style)
        self.body = body
        self.widest = max((cell_len(line) for line in body.plain.split("\n")), default=0)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.label.cell_len + 1 + self.widest <= options.max_width:
            yield _prompt(self.label.plain, str(self.label.style), self.body)
        else:
            yield self.label
            yield self.body

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.label.cell_len, self.label.cell_len + 1 + self.widest)


#: The echo of a long cell shows its first lines only: highlighting 10,000 lines on the
#: UI thread took seconds (the cell itself still runs whole).
MAX_ECHO_LINES = 200


class EchoedCode:
    """A cell's source, wrapped like a lesson's code (``wrap_code``) at the width it is
    drawn at: a long line goes on behind a dim ``↪``, a trailing comment behind its
    ``#``, so the rest of a line never reads as output. Drawn again after a resize."""

    def __init__(self, code: Text) -> None:
        from textual.content import Content

        self.code = Content.from_rich_text(code)
        self.widest = max((len(line) for line in code.plain.split("\n")), default=0)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from textual.style import Style

        from tui.ui.lessons.code_body import wrap_code

        for row in wrap_code(self.code, options.max_width):
            yield from row.render_segments(Style(), "\n")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(min(self.widest, 8), self.widest)


def render_input(number: int | str, source: str) -> RenderableType:
    lines = [line.rstrip() for line in source.rstrip().split("\n")]
    from rich.syntax import Syntax  # pygments: ~25 ms, not before the first frame

    shown = clean("\n".join(lines[:MAX_ECHO_LINES]))
    syntax = Syntax(shown, "python", theme="ansi_dark", background_color="default")
    highlighted = syntax.highlight(shown)
    highlighted.rstrip()  # the newline pygments ends with
    code = EchoedCode(highlighted)
    if len(lines) > MAX_ECHO_LINES:
        more = Text(f"... {len(lines) - MAX_ECHO_LINES:,} more lines not echoed", style="dim")
        return _prompt(f"In [{number}]:", "bold green", Group(code, more))
    return _prompt(f"In [{number}]:", "bold green", code)


def render_note(text: str, style: str = "dim") -> RenderableType:
    return Text(clean(text), style=style)


class Drawn(Group):
    """A picture and its caption, with the width it is drawn at (the log renders it at
    that width, or its own if narrower: then the picture is cropped, never wrapped)."""

    def __init__(self, *renderables: RenderableType, width: int) -> None:
        super().__init__(*renderables)
        self.width = width


def render_picture(out: PictureOut) -> Drawn:
    """A picture in half-blocks (never wrapped: a narrower log crops it) over one dim
    caption line: the output's own text (``Out[n]:`` for a result) and its legend."""
    from tui.ui.common.halfblock import legend_text, picture_text

    caption = Text(no_wrap=True, overflow="ellipsis", style="dim")
    if out.number:
        caption.append(f"Out[{out.number}]: ")
    first = clean(out.text.strip().split("\n")[0]) if out.text.strip() else ""
    caption.append(first)
    legend = [line for line in legend_text(out.picture).split("\n") if line.plain.strip()]
    if legend:
        if first:
            caption.append("  ")
        caption.append_text(Text(" · ").join(legend))
    width = max(out.picture.width, caption.cell_len)
    return Drawn(picture_text(out.picture), caption, width=width)
