"""Writing one cell's outputs into the REPL log as they arrive, safely and capped.

Stream text is written line by line (a partial last line waits for its end or for the
cell's end), a carriage return keeps what a terminal would show last, and only colour
(SGR) escapes survive: every other control sequence is removed, so nothing a cell
prints can move the cursor or repaint the UI. A cell's log lines are capped; the rest
is counted and said in one line. A picture is drawn in half-blocks, or (``pictures``
off: ``--low-bandwidth``) left as its placeholder, handed to ``on_hidden`` for a key to
draw later.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rich.text import Text

from tui.console import outputs as cells
from tui.ui.repl import log_render as render

MAX_LINES = 2_000
MAX_LINE_CHARS = 5_000

_SGR = re.compile(r"\x1b\[[0-9;]*m")


def ansi_text(text: str, style: str = "") -> Text:
    """Colour kept, everything else made safe (see ``repl_render.clean``)."""
    keep: list[str] = []

    def stash(m: re.Match) -> str:
        keep.append(m.group(0))
        return f"\ue000{len(keep) - 1}\ue001"

    marked = _SGR.sub(stash, text)
    safe = render.clean(marked)
    restored = re.sub(r"\ue000(\d+)\ue001", lambda m: keep[int(m.group(1))], safe)
    out = Text.from_ansi(restored, style=style)
    out.end = ""
    return out


#: A traceback longer than this shows its first and last lines (the error is at the end).
TRACEBACK_LINES = 80


def _fold(text: str) -> str:
    lines = text.split("\n")
    if len(lines) <= TRACEBACK_LINES:
        return text
    half = TRACEBACK_LINES // 2
    skipped = len(lines) - 2 * half
    return "\n".join(
        [*lines[:half], f"... {skipped:,} traceback lines skipped ...", *lines[-half:]]
    )


class CellWriter:
    """One running cell's share of the log."""

    def __init__(
        self,
        log: Any,
        pictures: bool = True,
        on_hidden: Callable[[cells.PictureOut], None] | None = None,
        key: str = "",
    ) -> None:
        self.log = log
        self.pictures = pictures
        self.on_hidden = on_hidden
        #: The key that draws a hidden picture, as its placeholder names it.
        self.key = key
        self.lines = 0
        self.dropped = 0
        self._partial: dict[str, str] = {"stdout": "", "stderr": ""}

    def _write(self, renderable: Any, lines: int = 1) -> None:
        if self.lines >= MAX_LINES:
            self.dropped += lines
            return
        self.lines += lines
        self.log.write(renderable)

    def _text_lines(self, text: str, style: str = "") -> None:
        for line in text.split("\n"):
            if self.lines >= MAX_LINES:
                self.dropped += 1
                continue
            if len(line) > MAX_LINE_CHARS:
                line = line[:MAX_LINE_CHARS] + f"… ({len(line) - MAX_LINE_CHARS:,} more chars)"
            self._write(ansi_text(line, style))

    def stream(self, name: str, text: str) -> None:
        buf = self._partial.get(name, "") + text
        head, sep, tail = buf.rpartition("\n")
        self._partial[name] = tail
        if sep:
            self._text_lines(head, "red" if name == "stderr" else "")

    def flush(self) -> None:
        for name, rest in self._partial.items():
            if rest:
                self._text_lines(rest, "red" if name == "stderr" else "")
        self._partial = {"stdout": "", "stderr": ""}

    def output(self, out: cells.Output) -> None:
        if isinstance(out, cells.Stream):
            self.stream(out.name, out.text)
            return
        self.flush()
        if isinstance(out, cells.Result):
            body = ansi_text(out.text)
            n = out.text.count("\n") + 1
            if n > MAX_LINES:
                body = ansi_text("\n".join(out.text.split("\n")[:MAX_LINES]))
                self.dropped += n - MAX_LINES
            self._write(render.Result(f"Out[{out.number}]:", "bold red", body), n)
        elif isinstance(out, cells.ErrorOut):
            self._text_lines(_fold(out.traceback.rstrip("\n") or f"{out.name}: {out.value}"))
        elif isinstance(out, cells.Page):
            self._text_lines(out.text.rstrip("\n"))
        elif isinstance(out, cells.PictureOut):
            self.picture(out)
        elif isinstance(out, cells.Rich):
            self._write(Text(out.placeholder, style="cyan"))
        elif isinstance(out, cells.ClearOutput):
            pass  # a log keeps what it showed; the next output follows it

    def picture(self, out: cells.PictureOut) -> None:
        """Drawn, or (an image's picture with ``pictures`` off) its placeholder; a
        ``show()`` picture was asked for by name and is always drawn."""
        if self.pictures or not out.mime:
            self._write(render.render_picture(out), out.picture.height // 2 + 1)
            return
        rich = out.rich
        how = f"{self.key} draws it" if self.key else "not shown in the terminal"
        text = f"<{rich.mime} output, {rich.size / 1024:.1f} KiB: {how}>"
        if out.number:
            text = f"Out[{out.number}]: {text}"
        self._write(Text(text, style="cyan"))
        if self.on_hidden is not None:
            self.on_hidden(out)

    def finish(self, outcome: cells.CellOutcome) -> None:
        self.flush()
        if self.dropped:
            self.log.write(
                Text(f"... {self.dropped:,} more lines not shown (output capped)", style="dim")
            )
        if outcome.asked_exit or outcome.error_name == "SystemExit":
            self.log.write(Text(cells.QUIT_HINT, style="yellow"))
