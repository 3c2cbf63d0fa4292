"""Text from outside the app, made safe to show: raw control characters become visible.

A lesson, a name, an error message or kernel output must never drive the terminal (ESC
starts a sequence, BEL rings, C1 bytes are eight-bit escapes), so every control
character but tab and newline is drawn as its U+2400 "control picture" (``\\x1b`` as
U+241B, DEL as U+2421) or, for C1, as U+FFFD. Plain Python: the lesson parser and the
UI's plain-text helpers (``tui.ui.common.plain``) share this one implementation.

Where escape sequences are to go rather than be seen (a log's colours, a traceback read
for its words), ``strip_escapes`` removes them; text whose colours are to be kept goes
through rich's ``AnsiDecoder`` (``Text.from_ansi``) instead.
"""

from __future__ import annotations

import re

#: Control characters but tab and newline (ESC, BEL, CR, backspace, DEL, C1...).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: Escape sequences: CSI (ESC [ ... final: colours, cursor moves), OSC (ESC ] ... BEL or
#: ST: titles, links), DCS/SOS/PM/APC strings, other ESC-x pairs, and the 8-bit CSI.
ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)


def _symbol(m: re.Match[str]) -> str:
    code = ord(m[0])
    if code == 0x7F:
        return "\u2421"
    return chr(0x2400 + code) if code < 0x20 else "\ufffd"


def visible(text: object) -> str:
    """``str(text)`` with raw control characters replaced by visible symbols."""
    return _CONTROLS.sub(_symbol, str(text))


def strip_escapes(text: str) -> str:
    """``text`` without its terminal escape sequences (``ESCAPES``); other control
    characters stay (``visible`` shows them)."""
    return ESCAPES.sub("", text)
