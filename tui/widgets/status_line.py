"""One line at the bottom: torch's version, the devices, and short-lived messages."""

from __future__ import annotations

from textual.widgets import Static


class StatusLine(Static):
    """Shows "loading torch…" first, then torch's version and the devices it sees."""

    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    """
