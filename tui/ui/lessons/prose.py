"""A lesson's prose: one chunk of markdown drawn by one widget.

Textual's ``Markdown`` widget builds a widget for every paragraph, list, item and bullet
(a section held ~60), and a section's first visit laid each out in two or three passes:
~65 ms of a step's CPU. ``Prose`` parses its chunk once (markdown-it, as the lesson
parser does) into blocks and draws them as one ``Content``, wrapped once per width.
It draws what lessons use: paragraphs, headings, bullet and ordered lists (nested),
quotes, fences (highlighted, wrapped like lesson code), tables and rules; inline code,
bold, italics and links (a click posts ``Prose.LinkClicked``). Styles are component
classes, so themes apply as they do to ``Markdown``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.content import Content, Span
from textual.geometry import Size
from textual.message import Message
from textual.style import Style
from textual.widget import Widget

from tui.ui.lessons.code_body import wrap_code

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

BULLETS = ("• ", "▪ ", "‣ ", "◦ ")
QUOTE = "▌ "
#: Columns between table cells.
CELL_GAP = 2


@dataclass(frozen=True)
class ProseBlock:
    """A block of the chunk: ``body`` wrapped to the width left by its prefixes.

    ``first`` leads its first row (a list item's bullet), ``rest`` the rows after;
    ``gap`` is the blank rows above it. A ``code`` body is drawn as lesson code is, a
    ``table`` from ``rows``, a ``rule`` as a line across; a ``title`` (an h1) is centred."""

    kind: str  # "text", "title" (centred), "code", "table", "rule"
    body: Content
    first: Content
    rest: Content
    gap: int = 0
    rows: tuple[tuple[Content, ...], ...] = ()


def _inline(token: Token) -> Content:
    """An inline token's children as styled text: whitespace runs read as one space."""
    parts: list[str] = []
    spans: list[Span] = []
    opened: list[tuple[str | Style, int]] = []
    at = 0

    def add(text: str) -> None:
        nonlocal at
        parts.append(text)
        at += len(text)

    for child in token.children or []:
        kind = child.type
        if kind in ("text", "html_inline"):
            add(re.sub(r"\s+", " ", child.content))
        elif kind == "softbreak":
            add(" ")
        elif kind == "hardbreak":
            add("\n")
        elif kind == "code_inline":
            spans.append(Span(at, at + len(child.content), ".prose--code"))
            add(child.content)
        elif kind in ("strong_open", "em_open", "s_open"):
            opened.append((f".prose--{kind.split('_')[0]}", at))
        elif kind == "link_open":
            href = str(child.attrs.get("href", ""))
            opened.append((".prose--link", at))
            opened.append((Style.from_meta({"@click": f"link({href!r})"}), at))
        elif kind == "link_close" and len(opened) >= 2:
            for _ in range(2):
                style, start = opened.pop()
                spans.append(Span(start, at, style))
        elif kind == "image":
            add(f"🖼 ({child.content or child.attrs.get('src', '')})")
        elif kind.endswith("_close") and opened:
            style, start = opened.pop()
            spans.append(Span(start, at, style))
    while opened:
        style, start = opened.pop()
        spans.append(Span(start, at, style))
    return Content("".join(parts), spans=spans)


@functools.lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


@functools.lru_cache(maxsize=512)
def parse_prose(source: str) -> tuple[ProseBlock, ...]:
    """The blocks of a chunk of markdown, in order (cached: chunks come back on every
    visit to their section)."""
    tokens = _parser().parse(source)
    blocks: list[ProseBlock] = []
    #: Open containers, outermost first: [kind, marker still to draw, width].
    stack: list[list[str | int]] = []
    numbers: list[int] = []
    pending_gap = 0  # blank rows owed to the next block (a list or quote opened)

    def prefixes() -> tuple[Content, Content]:
        first, rest = Content(""), Content("")
        for entry in stack:
            kind, marker, width = entry
            assert isinstance(marker, str) and isinstance(width, int)
            if kind == "quote":
                first += Content.styled(QUOTE, ".prose--quote")
                rest += Content.styled(QUOTE, ".prose--quote")
            elif marker:
                first += Content.styled(marker, ".prose--bullet")
                rest += Content(" " * width)
                entry[1] = ""
            else:
                first += Content(" " * width)
                rest += Content(" " * width)
        return first, rest

    def gap() -> int:
        return 1 if blocks and not stack else 0

    def add(kind: str, body: Content, rows: tuple[tuple[Content, ...], ...] = ()) -> None:
        nonlocal pending_gap
        first, rest = prefixes()
        blocks.append(ProseBlock(kind, body, first, rest, max(gap(), pending_gap), rows))
        pending_gap = 0

    depth = 0  # lists open, for the bullet's shape
    index = 0
    while index < len(tokens):
        token = tokens[index]
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            pending_gap = max(pending_gap, gap())
            numbers.append(int(token.attrs.get("start", 1) or 1) if "ordered" in kind else 0)
            depth += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            numbers.pop()
            depth -= 1
        elif kind == "list_item_open":
            if numbers and numbers[-1]:
                marker = f"{numbers[-1]}. "
                numbers[-1] += 1
            else:
                marker = BULLETS[(depth - 1) % len(BULLETS)]
            stack.append(["item", marker, len(marker)])
        elif kind == "blockquote_open":
            pending_gap = max(pending_gap, gap())
            stack.append(["quote", "", len(QUOTE)])
        elif kind in ("list_item_close", "blockquote_close"):
            stack.pop()
        elif kind == "heading_open":
            level = int(token.tag[1:])
            title = _inline(tokens[index + 1]).stylize(f".prose--h{min(level, 4)}")
            pending_gap = max(pending_gap, 2 if level <= 2 else 1)
            add("title" if level == 1 else "text", title)
            index += 2
        elif kind == "inline":
            add("text", _inline(token))
        elif kind in ("fence", "code_block"):
            from textual.highlight import highlight

            language = (token.info or "").split()[0] if token.info else ""
            code = token.content.rstrip("\n")
            body = highlight(code, language=language) if language else Content(code)
            add("code", body)
        elif kind == "hr":
            add("rule", Content(""))
        elif kind == "html_block":
            add("text", Content(token.content.rstrip("\n")))
        elif kind == "table_open":
            rows: list[tuple[Content, ...]] = []
            cells: list[Content] = []
            while tokens[index].type != "table_close":
                inner = tokens[index]
                if inner.type == "inline":
                    cells.append(_inline(inner))
                elif inner.type == "tr_close":
                    rows.append(tuple(cells))
                    cells = []
                index += 1
            add("table", Content(""), tuple(rows))
        index += 1
    return tuple(blocks)


def _table(rows: tuple[tuple[Content, ...], ...], width: int) -> list[Content]:
    """A table's rows at ``width``: columns as wide as their widest cell, the widest
    narrowed until they fit, cells wrapped within them; a rule under the header."""
    columns = max(len(row) for row in rows)
    widths = [
        max((len(row[n].plain) if n < len(row) else 0) for row in rows) for n in range(columns)
    ]
    room = max(columns * 3, width - CELL_GAP * (columns - 1))
    while sum(widths) > room:
        widest = max(range(columns), key=widths.__getitem__)
        widths[widest] = max(3, widths[widest] - max(1, (sum(widths) - room) // columns))
    out: list[Content] = []
    for number, row in enumerate(rows):
        wrapped = [
            (row[n] if n < len(row) else Content("")).wrap(widths[n]) for n in range(columns)
        ]
        for line in range(max(len(cell) for cell in wrapped)):
            pieces = [
                (cell[line] if line < len(cell) else Content("")).pad_right(
                    widths[n] - (len(cell[line].plain) if line < len(cell) else 0)
                )
                for n, cell in enumerate(wrapped)
            ]
            text = Content(" " * CELL_GAP).join(pieces).rstrip()
            out.append(text.stylize(".prose--th") if number == 0 else text)
        if number == 0:
            rule = Content(" " * CELL_GAP).join(Content("─" * w) for w in widths)
            out.append(rule.stylize(".prose--rule"))
    return out


def draw(blocks: tuple[ProseBlock, ...], width: int) -> list[Content]:
    """The rows ``blocks`` take at ``width`` columns (none wider: a pane too narrow for
    a block's indent or a table's columns cuts them)."""
    rows: list[Content] = []
    for block in blocks:
        rows.extend(Content("") for _ in range(block.gap))
        room = max(1, width - len(block.rest.plain))
        if block.kind == "code":
            lines = [
                line.pad_right(room - len(line.plain)).stylize(".prose--fence")
                for line in wrap_code(block.body, room)
            ]
        elif block.kind == "table":
            lines = _table(block.rows, room)
        elif block.kind == "title":
            lines = [
                line.pad_left((room - line.cell_length) // 2)
                for line in (line.rstrip() for line in block.body.wrap(room))
            ]
        elif block.kind == "rule":
            lines = [Content.styled("─" * room, ".prose--rule")]
        else:
            lines = block.body.wrap(room) if block.body.plain else [Content("")]
        for number, line in enumerate(lines):
            row = (block.first if number == 0 else block.rest) + line
            rows.append(row if row.cell_length <= width else row.truncate(width))
    return rows


class Prose(Widget):
    """A chunk of a lesson's markdown: one widget, wrapped once per width."""

    COMPONENT_CLASSES = {
        "prose--code",
        "prose--strong",
        "prose--em",
        "prose--s",
        "prose--link",
        "prose--bullet",
        "prose--quote",
        "prose--fence",
        "prose--rule",
        "prose--th",
        "prose--h1",
        "prose--h2",
        "prose--h3",
        "prose--h4",
    }
    DEFAULT_CSS = """
    Prose {
        height: auto;
        margin: 0 0 1 0;
        & > .prose--code { background: $warning 10%; color: $text-warning 95%; }
        &:light > .prose--code { background: $error 5%; color: $text-error 95%; }
        &:ansi > .prose--code { background: ansi_default; }
        & > .prose--strong { text-style: bold; }
        & > .prose--em { text-style: italic; }
        & > .prose--s { text-style: strike; }
        & > .prose--link { color: $text-accent; text-style: underline; }
        & > .prose--bullet { color: $text-primary; }
        & > .prose--quote { color: $text-primary 50%; }
        & > .prose--fence { background: black 10%; }
        &:light > .prose--fence { background: white 30%; }
        & > .prose--rule { color: $secondary; }
        & > .prose--th { text-style: bold; }
        & > .prose--h1 { color: $markdown-h1-color; text-style: $markdown-h1-text-style; }
        & > .prose--h2 { color: $markdown-h2-color; text-style: $markdown-h2-text-style; }
        & > .prose--h3 { color: $markdown-h3-color; text-style: $markdown-h3-text-style; }
        & > .prose--h4 { color: $markdown-h4-color; text-style: $markdown-h4-text-style; }
    }
    """

    @dataclass
    class LinkClicked(Message):
        """A link in the prose was clicked: ``href`` as written."""

        prose: Prose
        href: str

    def __init__(self, source: str, *, classes: str = "") -> None:
        super().__init__(classes=classes)
        self.source = source
        self._blocks = parse_prose(source)
        #: (width, the rows drawn at that width).
        self._drawn: tuple[int, Content, int] | None = None

    def _at(self, width: int) -> tuple[Content, int]:
        if self._drawn is None or self._drawn[0] != width:
            rows = draw(self._blocks, width)
            self._drawn = (width, Content("\n").join(rows), len(rows))
        return self._drawn[1], self._drawn[2]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._at(width)[1]

    def render(self) -> Content:
        return self._at(self.size.width)[0]

    def action_link(self, href: str) -> None:
        self.post_message(self.LinkClicked(self, href))
