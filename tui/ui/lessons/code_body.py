"""A lesson block's code, wrapped so a wrapped line never looks like a line of code.

A long line (often a trailing comment) continues on the next row behind a ``↪`` mark,
under its comment's ``#`` or indented like its code; a plain soft wrap put ``input`` at column 0,
where it read as a statement.
"""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget

MARK = "↪ "


def _cuts(text: str, width: int, indent: int) -> list[int]:
    """Where to cut one line: at the last space that fits, else at the width."""
    cuts: list[int] = []
    start, room = 0, width
    while len(text) - start > room:
        end = start + room
        space = text.rfind(" ", start + room // 2, end)
        cut = space + 1 if space > start else end
        cuts.append(cut)
        start = cut
        room = max(1, width - indent - len(MARK))
    return cuts


def _indent(text: str, width: int) -> int:
    """A trailing comment continues under its ``#``, other lines under their first
    character, as long as that leaves 20 columns a row."""
    comment = text.find(" # ") + 1
    if 0 < comment <= width - 20 and text[:comment].strip():
        return comment
    return min(len(text) - len(text.lstrip(" ")), width // 2)


def wrap_code(code: Content, width: int) -> list[Content]:
    """The rows ``code`` takes at ``width`` columns, continuations marked."""
    rows: list[Content] = []
    width = max(width, len(MARK) + 2)
    for line in code.split("\n", allow_blank=True):
        text = line.plain
        if len(text) <= width:
            rows.append(line)
            continue
        indent = _indent(text, width)
        pieces = line.divide(_cuts(text, width, indent))
        rows.append(pieces[0].rstrip())
        lead = Content(" " * indent) + Content.styled(MARK, "dim")
        rows.extend(lead + piece for piece in pieces[1:])
    return rows


class CodeBody(Widget):
    """The code of one block, re-wrapped at whatever width the lesson pane has."""

    DEFAULT_CSS = "CodeBody { height: auto; }"

    def __init__(self, code: Content | str, classes: str = "") -> None:
        super().__init__(classes=classes)
        self._set_code(code)

    def _set_code(self, code: Content | str) -> None:
        self.code = Content(code) if isinstance(code, str) else code
        self._widest = max((len(line) for line in self.code.plain.split("\n")), default=0)
        #: (width, the code as drawn at that width): splitting highlighted code into
        #: lines and joining them again took ~5 ms a draw, and a step draws it twice.
        self._drawn: tuple[int, Content] | None = None

    def update(self, code: Content | str) -> None:
        self._set_code(code)
        self.refresh(layout=True)

    def _at(self, width: int) -> Content:
        if self._widest <= width:
            return self.code  # nothing to wrap
        if self._drawn is None or self._drawn[0] != width:
            self._drawn = (width, Content("\n").join(wrap_code(self.code, width)))
        return self._drawn[1]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self._widest <= width:
            return self.code.plain.count("\n") + 1
        return self._at(width).plain.count("\n") + 1

    def render(self) -> Content:
        return self._at(self.size.width)
