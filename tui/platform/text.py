"""Text from outside the app, made safe to show: raw control characters become visible.

A lesson, a name, an error message or kernel output must never drive the terminal (ESC
starts a sequence, BEL rings, C1 bytes are eight-bit escapes), so every control
character but tab and newline is drawn as its U+2400 "control picture" (``\\x1b`` as
U+241B, DEL as U+2421) or, for C1, as U+FFFD. Plain Python: the lesson parser and the
UI's plain-text helpers (``tui.ui.common.plain``) share this one implementation.
"""

from __future__ import annotations

import re

#: Control characters but tab and newline (ESC, BEL, CR, backspace, DEL, C1...).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _symbol(m: re.Match[str]) -> str:
    code = ord(m[0])
    if code == 0x7F:
        return "\u2421"
    return chr(0x2400 + code) if code < 0x20 else "\ufffd"


def visible(text: object) -> str:
    """``str(text)`` with raw control characters replaced by visible symbols."""
    return _CONTROLS.sub(_symbol, str(text))
