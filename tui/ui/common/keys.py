"""Every key described once: a ``Key`` is the binding, the footer's word, F1's sentence
and the command palette's entry, so the three can never disagree.

A pane lists its ``KEYS``; its ``BINDINGS``, its palette commands (``commands``) and its
rows in F1 (``help_rows``) are derived from them. A key that a widget handles by itself
(history on up/down in the REPL input) is a ``Key`` with no action: it shows in F1 only.
A command with no key of its own is a ``Key`` with no keys: palette and F1 only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.binding import Binding, BindingType

#: Textual's key names, as a learner reads them on the keyboard.
KEY_NAMES = {
    "question_mark": "?",
    "escape": "esc",
    "space": "space",
    "full_stop": ".",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "enter": "Enter",
    "up": "↑",
    "down": "↓",
    "pageup": "PgUp",
    "pagedown": "PgDn",
}


def key_words(keys: str) -> str:
    """``"right_square_bracket,N"`` -> ``"] or N"``; ``"ctrl+n"`` stays ``ctrl+n``."""
    names = [KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(",") if k.strip()]
    names = [n.upper() if len(n) == 2 and n.startswith("f") else n for n in names]
    return " or ".join(names)


@dataclass(frozen=True)
class Key:
    #: Textual key names, comma-separated; "" for a command with no key of its own.
    keys: str
    #: The action it runs on its pane; "" for what a widget does by itself (F1 only).
    action: str
    #: The footer's word (shown only with ``show``).
    label: str
    #: F1's sentence, also the palette's.
    help: str
    #: The palette's title (after "area: "); None keeps it out of the palette.
    palette: str | None = None
    show: bool = True
    priority: bool = False
    #: How F1 and the footer write the keys, when the key names would mislead.
    key_display: str | None = None

    def binding(self) -> Binding | None:
        if not (self.keys and self.action):
            return None
        return Binding(
            self.keys,
            self.action,
            self.label,
            show=self.show,
            priority=self.priority,
            key_display=self.key_display,
            tooltip=self.help,
        )

    @property
    def shown_keys(self) -> str:
        return self.key_display or key_words(self.keys)


def bindings(keys: Iterable[Key]) -> list[BindingType]:
    """The bindings of ``keys`` (those with keys and an action), in order."""
    return [b for b in (k.binding() for k in keys) if b is not None]


def commands(keys: Iterable[Key]) -> list[tuple[str, str, str]]:
    """(palette title, action, help) for the keys that go in the palette."""
    return [(k.palette, k.action, k.help) for k in keys if k.palette is not None and k.action]


def help_rows(keys: Iterable[Key]) -> list[tuple[str, str]]:
    """(keys, sentence) for F1; a command with no key reads "palette"."""
    return [(k.shown_keys if k.keys else "palette", k.help) for k in keys]
