"""The base of the three panes: a title with its F-key, per-pane help and palette commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.containers import Vertical
from textual.widget import Widget


class Pane(Vertical):
    """A bordered area of the main screen that knows its help text and commands.

    ``COMMANDS`` lists ``(title, action, help)``; the palette shows each as
    ``"<AREA>: <title>"`` and runs ``action`` on the pane (see ``tui.commands``).
    """

    AREA: ClassVar[str] = ""
    PANE_TITLE: ClassVar[str] = ""
    FKEY: ClassVar[str] = ""
    HELP: ClassVar[str] = ""
    COMMANDS: ClassVar[list[tuple[str, str, str]]] = []

    def on_mount(self) -> None:
        self.border_title = f"{self.PANE_TITLE} · {self.FKEY}"

    @property
    def is_built(self) -> bool:
        """Whether the pane's widgets exist (a ``Deferred`` pane's only after frame 1)."""
        return getattr(self, "built", True)

    def when_built(self, callback: Callable[[], Any]) -> None:
        """Call ``callback`` once the pane's widgets exist: now, unless a ``Deferred`` pane
        is still mounting its body."""
        callback()

    def focus_default(self) -> None:
        """Focus the pane's main widget (the first focusable one unless overridden)."""
        target = self.default_focus_target()
        if target is not None:
            target.focus()

    def default_focus_target(self) -> Widget | None:
        for widget in self.query("*"):
            if widget.focusable:
                return widget
        return None

    def copy_text(self) -> str | None:
        """What the copy key (OSC 52) copies from this pane: the last output, the selected
        cell... ``None`` means nothing to copy; the app then tries the focused widget's
        selection."""
        return None

    def kernel_event(self, event: object) -> None:
        """A kernel event routed by the main screen (``tui.kernel.link``: Ready, Died,
        Pushed...). Called on the UI thread; a pane takes what concerns it."""
