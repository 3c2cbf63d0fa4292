"""The REPL's input: a Python code editor that runs complete cells on Enter.

Keys (also in the pane's HELP): Enter runs the cell when it is complete and adds an
indented line otherwise; ctrl+j or alt+enter always adds a line (most terminals cannot
tell shift+enter from enter); up on the first line and down on the last walk history;
ctrl+r searches history backwards; tab completes (indents at the start of a line).
The widget keeps no session logic: it posts messages and the pane acts on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import events
from textual.binding import BindingsMap
from textual.message import Message
from textual.widgets import TextArea

from tui.console.completeness import source_is_complete
from tui.console.history import History
from tui.ui.common.ordered_input import run_own_binding

if TYPE_CHECKING:
    from tui.ui.repl.completion_menu import CompletionMenu

NEWLINE_KEYS = {"ctrl+j", "alt+enter", "shift+enter", "ctrl+enter"}
#: Keys that empty the whole input, a recalled multi-line cell included (IPython: ctrl+c).
CLEAR_KEYS = {"ctrl+u"}
#: TextArea's own bindings by key (left, backspace, ctrl+z...): run by ``on_key`` in the
#: order the keys came. Textual runs a binding only once its key has bubbled up to the
#: app, after the widget has typed the printable keys behind it (and run Enter): abc,
#: left, backspace, X, Enter typed fast ran abcX, not aXc.
EDIT_BINDINGS = BindingsMap(TextArea.BINDINGS).key_to_bindings


class ReplInput(TextArea):
    """Multi-line Python input with history, reverse search and tab completion."""

    DEFAULT_CSS = """
    ReplInput { height: auto; min-height: 3; max-height: 14; }
    """

    @dataclass
    class Submitted(Message):
        source: str

    @dataclass
    class CompleteRequested(Message):
        text: str  # the line up to the cursor
        #: False while the list narrows as you type: show matches, insert nothing.
        insert: bool = True

    @dataclass
    class Hint(Message):
        """Text for the hint line (search prompt, candidates); empty hides it."""

        text: str

    @dataclass
    class InterruptRequested(Message):
        pass

    @dataclass
    class ScrollLog(Message):
        """PgUp / PgDn in the input scroll the output log (the input is a few lines)."""

        pages: int

    @dataclass
    class SignatureRequested(Message):
        text: str  # the line up to and including the "("

    def __init__(self, history: History | None = None, **kwargs) -> None:
        super().__init__(
            theme="monokai",
            soft_wrap=True,
            tab_behavior="indent",
            show_line_numbers=False,
            **kwargs,
        )
        self.cell_history = history if history is not None else History()
        self._hist_index: int | None = None
        self._draft = ""
        self._search: str | None = None
        self._search_hit: int | None = None
        self._before_search = ""
        #: Set by the pane: True while a cell runs (ctrl+c then interrupts, not copies).
        self.running = False
        #: Set by the pane while the kernel waits for ``input()``: Enter sends the line.
        self.raw_mode = False
        #: The completion list the pane shows above the input (None: candidates go to
        #: the hint line).
        self.menu: CompletionMenu | None = None
        #: The history entry shown, while it is unedited: Enter runs it from anywhere.
        self._recalled: str | None = None

    def on_mount(self) -> None:
        # tree-sitter compiles its Python query in ~60 ms: highlight after the first frame
        self.call_after_refresh(setattr, self, "language", "python")

    # -- keys ------------------------------------------------------------------------
    async def on_key(self, event: events.Key) -> None:
        """Runs before TextArea's own key handling, which ``prevent_default`` skips."""
        if self.menu is not None and self.menu.is_open and self._menu_key(event):
            event.stop()
            event.prevent_default()
            return
        if self._search is not None and self._search_key(event):
            event.stop()
            event.prevent_default()
            return
        if self._handle(event):
            event.stop()
            event.prevent_default()
            return
        if event.key != "tab":
            self.post_message(self.Hint(""))
        await run_own_binding(self, EDIT_BINDINGS, event)

    def _handle(self, event: events.Key) -> bool:
        key = event.key
        row, col = self.cursor_location
        last_row = self.document.line_count - 1
        if key == "enter":
            recalled = self.text == self._recalled  # ran before: runs again as it is
            complete = row == last_row and source_is_complete(self.text)
            if self.raw_mode or recalled or complete:
                source = self.text
                if source.strip():
                    # Clear now, not when the pane gets the message: keys typed right
                    # after Enter must land in a fresh input, not the submitted one.
                    self.clear()
                    self.reset_browsing()
                    self.post_message(self.Submitted(source))
                elif self.raw_mode:
                    self.post_message(self.Submitted(""))
                return True
            self._newline()
            return True
        if key in NEWLINE_KEYS:
            self._newline()
            return True
        if key in ("pageup", "pagedown"):
            self.post_message(self.ScrollLog(-1 if key == "pageup" else 1))
            return True
        if key in CLEAR_KEYS:
            self.clear_all()
            return True
        if key == "escape" and self._hist_index is not None:
            self._hist_index = None  # back to what was being typed before the recall
            self._show(self._draft)
            self._recalled = None
            return True
        if key == "ctrl+c":
            if self.running or not self.selected_text:
                self.post_message(self.InterruptRequested())
                return True
            return False  # let the copy binding copy the selection
        if key == "up" and row == 0:
            return self.history_older()
        if key == "down" and row == last_row:
            return self.history_newer()
        if key == "ctrl+r":
            self._start_search()
            return True
        if event.character == "(" and not self.raw_mode:
            line = self.document[row][:col]
            if line.strip() and (line[-1:].isalnum() or line[-1:] in "_]"):
                self.post_message(self.SignatureRequested(line + "("))
            return False  # the "(" is typed as usual
        if key == "tab":
            line = self.document[row][:col]
            if line.strip():
                self.post_message(self.CompleteRequested(line))
                return True
        return False

    def clear_all(self) -> None:
        """Empty the input (every line, a recalled cell too) and leave the history."""
        self.clear()
        self.reset_browsing()
        if self.menu is not None:
            self.menu.close()
        self.post_message(self.Hint(""))

    def _menu_key(self, event: events.Key) -> bool:
        """The keys the open completion list takes; the others edit the input."""
        assert self.menu is not None
        key = event.key
        if key in ("up", "down"):
            self.menu.move(-1 if key == "up" else 1)
            return True
        if key in ("tab", "enter"):
            chosen = self.menu.chosen()
            row, start = self.menu.word_at
            col = self.cursor_location[1]
            self.menu.close()
            if chosen is not None and self.cursor_location[0] == row and col >= start:
                self.replace(chosen, (row, start), (row, col))
            self.post_message(self.Hint(""))
            return True
        if key == "escape":
            self.menu.close()
            self.post_message(self.Hint(""))
            return True
        if key in ("left", "right", "home", "end", "pageup", "pagedown"):
            self.menu.close()
        return False

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """Typing with the list open narrows it; leaving the word closes it."""
        if self.menu is None or not self.menu.is_open:
            return
        row, col = self.cursor_location
        anchor_row, start = self.menu.word_at
        word = self.document[row][start:col] if row == anchor_row and col >= start else None
        if word is None or (word and not word.replace(".", "_").isidentifier()):
            self.menu.close()
            return
        truncated = self.menu.truncated
        if not self.menu.narrow(word) and not truncated:
            return
        if truncated:  # the kernel sent its first MATCHES_LIMIT: ask for this word's
            self.post_message(self.CompleteRequested(self.document[row][:col], insert=False))

    def _newline(self) -> None:
        row, col = self.cursor_location
        line = self.document[row][:col]
        indent = line[: len(line) - len(line.lstrip())]
        if line.rstrip().endswith(":"):
            indent += "    "
        self.insert("\n" + indent)

    # -- history -----------------------------------------------------------------------
    def _show(self, text: str) -> None:
        self.load_text(text)
        last = self.document.line_count - 1
        self.move_cursor((last, len(self.document[last])))

    def history_older(self) -> bool:
        entries = self.cell_history.entries
        if not entries:
            return False
        if self._hist_index is None:
            self._draft = self.text
            self._hist_index = len(entries)
        if self._hist_index == 0:
            return True
        self._hist_index -= 1
        self._show(entries[self._hist_index])
        self.move_cursor((0, len(self.document[0])))
        self._recalled = self.text
        return True

    def history_newer(self) -> bool:
        if self._hist_index is None:
            return False
        self._hist_index += 1
        if self._hist_index >= len(self.cell_history.entries):
            self._hist_index = None
            self._show(self._draft)
            self._recalled = None
        else:
            self._show(self.cell_history.entries[self._hist_index])
            self._recalled = self.text
        return True

    def reset_browsing(self) -> None:
        self._hist_index = None
        self._draft = ""
        self._recalled = None

    # -- reverse search ----------------------------------------------------------------
    def _start_search(self) -> None:
        if self._search is None:
            self._search = ""
            self._search_hit = None
            self._before_search = self.text
        self._search_step(older=True)

    def _search_step(self, older: bool) -> None:
        assert self._search is not None
        before = self._search_hit if older and self._search_hit is not None else None
        if not older:
            before = None if self._search_hit is None else self._search_hit + 1
        hit = self.cell_history.search(self._search, before)
        if hit is not None:
            self._search_hit = hit
            self._show(self.cell_history.entries[hit])
        found = "" if hit is not None or not self._search else " (no match)"
        self.post_message(
            self.Hint(
                f"reverse search: {self._search!r}{found}  (ctrl+r older, enter accept, esc cancel)"
            )
        )

    def _search_key(self, event: events.Key) -> bool:
        key = event.key
        if key == "ctrl+r":
            self._search_step(older=True)
            return True
        if key in ("escape", "ctrl+g", "ctrl+c"):
            self._end_search()
            self._show(self._before_search)
            return True
        if key == "backspace":
            self._search = (self._search or "")[:-1]
            self._search_hit = None
            self._search_step(older=True)
            return True
        if event.is_printable and event.character:
            self._search = (self._search or "") + event.character
            self._search_hit = None
            self._search_step(older=True)
            return True
        self._end_search()  # enter, arrows, ...: keep the found text and edit it
        return key == "enter"

    def _end_search(self) -> None:
        self._search = None
        self._search_hit = None
        self.post_message(self.Hint(""))

    @property
    def searching(self) -> bool:
        return self._search is not None

    # -- completion --------------------------------------------------------------------
    def apply_completion(
        self, text: str, start: int, word: str, matches: list[str], insert: bool = True
    ) -> None:
        """Insert the completed word (or the candidates' common prefix) at the cursor."""
        row, col = self.cursor_location
        if self.document[row][:col] != text:
            return  # the user typed on meanwhile
        if not insert:  # narrowing as the learner types: the list only
            if self.menu is not None:
                self.menu.open((row, start), word, matches) if matches else self.menu.close()
            return
        if not matches:
            self.post_message(self.Hint(f"no completions for {word!r}" if word else ""))
            return
        if len(matches) == 1:
            rest = matches[0][len(word) :]
            if rest:
                self.insert(rest)
            self.post_message(self.Hint(""))
            return
        first, last = min(matches), max(matches)
        n = 0
        while n < min(len(first), len(last)) and first[n] == last[n]:
            n += 1
        if n > len(word):
            self.insert(first[len(word) : n])
        if self.menu is not None:
            self.menu.open((row, start), first[:n] if n > len(word) else word, matches)
            return
        shown = "  ".join(matches[:60])
        more = f"  … {len(matches) - 60} more" if len(matches) > 60 else ""
        self.post_message(self.Hint(f"{len(matches)} completions: {shown}{more}"))
