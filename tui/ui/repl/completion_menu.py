"""The REPL's completion list: the kernel's matches under the cursor's word, narrowed as
the learner types, chosen with the arrows and put in with Tab or Enter (as in IPython).

The list never takes the focus: the input keeps it and hands the list the keys it needs
(``ReplInput`` calls ``move``, ``chosen``, ``narrow`` and ``close``), so typing goes on in
the input while the list is open.
"""

from __future__ import annotations

from textual.widgets import OptionList

from tui.ui.common.plain import plain

#: Names shown at once; the rest are there to scroll to, and narrow as you type.
SHOWN_ROWS = 8
#: IPython sends at most this many matches: a list this long is asked for again as the
#: word grows (``torch.ze`` is past the first 500 names of ``torch.``).
MATCHES_LIMIT = 500


class CompletionMenu(OptionList):
    DEFAULT_CSS = f"""
    CompletionMenu {{
        display: none; height: auto; max-height: {SHOWN_ROWS + 2};
        border: round $accent; padding: 0 1;
    }}
    CompletionMenu.-open {{ display: block; }}
    """
    can_focus = False

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.matches: list[str] = []
        self.shown: list[str] = []
        #: Where the word being completed starts: (row, column) in the input.
        self.word_at: tuple[int, int] = (0, 0)

    @property
    def truncated(self) -> bool:
        return len(self.matches) >= MATCHES_LIMIT

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self, anchor: tuple[int, int], word: str, matches: list[str]) -> None:
        self.word_at = anchor
        self.matches = sorted(set(matches), key=lambda m: (m.startswith("_"), m.lower()))
        self.narrow(word)

    def narrow(self, word: str) -> bool:
        """Keep the matches that start with ``word``; False (and closed) when none do."""
        shown = [m for m in self.matches if m.startswith(word)]
        if not shown and self.truncated:  # the kernel is asked for this word's matches
            self.shown = []
            self.clear_options()
            self.border_title = "asking the kernel…"
            return True
        if not shown or shown == [word]:
            self.close()
            return False
        if shown != self.shown:
            self.shown = shown
            self.clear_options()
            self.add_options([plain(m) for m in shown])  # the kernel's names, literal
            self.highlighted = 0
            self.border_title = f"{len(shown):,} of {len(self.matches):,}"
            self.border_subtitle = "↑↓ choose · tab/enter insert · esc closes"
        self.add_class("-open")
        return True

    def move(self, step: int) -> None:
        if self.shown:
            self.highlighted = ((self.highlighted or 0) + step) % len(self.shown)

    def chosen(self) -> str | None:
        index = self.highlighted
        return self.shown[index] if index is not None and index < len(self.shown) else None

    def close(self) -> None:
        self.remove_class("-open")
        self.matches, self.shown = [], []
        self.clear_options()
