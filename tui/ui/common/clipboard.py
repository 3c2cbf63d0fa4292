"""The copy key: text from the focused pane to the user's clipboard through OSC 52.

OSC 52 is an escape sequence the *terminal* turns into a clipboard write, so it works
over SSH and inside tmux (with ``set -g set-clipboard on``) where no local clipboard
tool can reach. Textual's ``App.copy_to_clipboard`` writes it.
"""

from __future__ import annotations

from textual.app import App
from textual.dom import DOMNode

from tui.ui.common.pane import Pane


def text_to_copy(app: App) -> str | None:
    """The focused pane's ``copy_text()``, else the focused text widget's selection, else
    (in the REPL) the last cell's output."""
    screen = app.screen
    node: DOMNode | None = screen.focused
    while node is not None and not isinstance(node, Pane):
        node = node.parent
    if isinstance(node, Pane):
        text = node.copy_text()
        if text:
            return text
    selected = getattr(screen.focused, "selected_text", None)  # a TextArea's or an Input's
    if isinstance(selected, str) and selected:
        return selected
    if isinstance(node, Pane) and node.AREA == "repl":
        record = getattr(app, "last_cell", None)
        if record is not None:
            return cell_text(record)
    return None


def cell_text(outcome: object) -> str:
    """A finished REPL cell (a CellOutcome) as plain text: its output, else its source."""
    text_of = getattr(outcome, "text", None)
    text = text_of().rstrip("\n") if callable(text_of) else ""
    return text or (getattr(outcome, "source", "") or "")


def copy_focused(app: App) -> str | None:
    """Copy through OSC 52 and say so; returns the text copied (None when nothing was)."""
    text = text_to_copy(app)
    if not text:
        app.notify("Nothing to copy here: focus the REPL output or select some text.")
        return None
    app.copy_to_clipboard(text)
    lines = text.count("\n") + 1
    app.notify(f"Copied {len(text)} characters ({lines} lines) to the clipboard (OSC 52).")
    return text
