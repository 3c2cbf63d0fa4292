"""One line at the bottom: torch's version, the devices, and short-lived messages."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from tui.ui.common.plain import plain


class StatusLine(Static):
    """Shows "loading torch…" first, then torch's version and the devices it sees.

    Its texts carry the kernel's words (why it died, why it failed): always literal."""

    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    """

    def __init__(self, content: Any = "", **kwargs: Any) -> None:
        kwargs["markup"] = False
        super().__init__(plain(content) if isinstance(content, str) else content, **kwargs)

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        super().update(plain(content) if isinstance(content, str) else content, layout=layout)
