"""Tab completion from the live namespace, safe to call while tensors are about.

Unlike ``rlcompleter`` this never ``eval``s the text before the dot: it only follows a
dotted chain of names with ``getattr`` (no calls, no indexing), and it lists attributes
with ``dir()`` without touching them, so completing ``obj.`` cannot run a property.
"""

from __future__ import annotations

import builtins
import inspect
import keyword
import re
from dataclasses import dataclass, field
from typing import Any

_TAIL = re.compile(r"[\w.]*$")
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_MISSING = object()


@dataclass
class Completions:
    """What to put at ``text[start:]``: one of ``matches`` (the word being typed)."""

    start: int
    word: str
    matches: list[str] = field(default_factory=list)

    @property
    def common(self) -> str:
        """The longest prefix all matches share (what tab can insert right away)."""
        if not self.matches:
            return self.word
        first, last = min(self.matches), max(self.matches)
        n = 0
        while n < min(len(first), len(last)) and first[n] == last[n]:
            n += 1
        return first[:n]


def _resolve(namespace: dict[str, Any], dotted: str, static: bool) -> Any:
    head, *rest = dotted.split(".")
    value = namespace.get(head, _MISSING)
    if value is _MISSING:
        value = getattr(builtins, head, _MISSING)
    for attr in rest:
        if value is _MISSING:
            return _MISSING
        try:
            value = inspect.getattr_static(value, attr) if static else getattr(value, attr)
        except Exception:
            return _MISSING
    return value


def complete(
    text: str, namespace: dict[str, Any], static: bool = False, limit: int = 5000
) -> Completions:
    """Complete the word that ends ``text`` (the line up to the cursor).

    ``static=True`` resolves the dotted chain without running descriptors either; use it
    off the session's thread while a cell is running.
    """
    tail = _TAIL.search(text).group(0)
    if "." in tail:
        base, word = tail.rsplit(".", 1)
        start = len(text) - len(word)
        if not _DOTTED.fullmatch(base):
            return Completions(start, word)
        obj = _resolve(namespace, base, static)
        if obj is _MISSING:
            return Completions(start, word)
        try:
            names = dir(obj)
        except Exception:
            return Completions(start, word)
        private = word.startswith("_")
        matches = sorted(
            n for n in set(names) if n.startswith(word) and (private or not n.startswith("_"))
        )
        return Completions(start, word, matches[:limit])
    word = tail
    start = len(text) - len(word)
    if not word or word[0].isdigit():
        return Completions(start, word)
    pool = set(namespace) | set(dir(builtins)) | set(keyword.kwlist)
    private = word.startswith("_")
    matches = sorted(n for n in pool if n.startswith(word) and (private or not n.startswith("_")))
    return Completions(start, word, matches[:limit])
