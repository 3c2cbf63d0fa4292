"""PLACEHOLDER written by the REPL engineer; the inspector engineer replaces this file.

The REPL pane composes ``InspectorPanel(id="repl-inspector")`` beside its log and calls
``panel.show(record)`` on the UI thread after every cell (``record`` is a
``tui.core.session.ExecResult``; ``record.extras["inspector"]`` holds what the
"inspector" post_run_hook returned on the exec thread). Keep that class name, the
``show`` method and a no-argument-friendly constructor (``**kwargs`` passed through).
"""

from __future__ import annotations

from textual.containers import Vertical


class InspectorPanel(Vertical):
    """Shows the cards of the last result (placeholder: shows nothing)."""

    DEFAULT_CSS = """
    InspectorPanel { width: 1fr; }
    """

    def show(self, record: object) -> None:
        """Called after every cell with its ExecResult."""
