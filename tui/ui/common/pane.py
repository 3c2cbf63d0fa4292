"""The base of the three panes: a title with its F-key, per-pane help and palette commands."""

from __future__ import annotations

from typing import ClassVar

from textual.color import Color
from textual.geometry import Region
from textual.reactive import var
from textual.widget import Widget

from tui.ui.common.deferred import Deferred
from tui.ui.common.keys import Key


class Pane(Deferred):
    """A bordered area of the main screen that knows its help text and commands.

    ``KEYS`` describes each of its keys once (``tui.ui.common.keys``): a pane derives
    its ``BINDINGS`` and its ``COMMANDS`` from them. ``COMMANDS`` lists
    ``(title, action, help)``; the palette shows each as ``"<AREA>: <title>"`` and runs
    ``action`` on the pane (see ``tui.ui.commands``).
    """

    AREA: ClassVar[str] = ""
    PANE_TITLE: ClassVar[str] = ""
    FKEY: ClassVar[str] = ""
    HELP: ClassVar[str] = ""
    KEYS: ClassVar[tuple[Key, ...]] = ()
    COMMANDS: ClassVar[list[tuple[str, str, str]]] = []

    #: The focus is in this pane: its frame takes the accent colour. Set by the main screen
    #: on each focus change, inline on the pane alone (a ``:focus-within`` rule restyled
    #: every widget in the pane, ~0.15 s for the dashboard on 2 cores).
    holds_focus: var[bool] = var(False, init=False)

    def on_mount(self) -> None:
        self.border_title = f"{self.PANE_TITLE} · {self.FKEY}"

    def watch_holds_focus(self) -> None:
        self.paint_frame()

    def paint_frame(self) -> None:
        """The frame's top edge and title: the accent while focused, else what
        ``app.tcss`` says.

        Set as inline rules and only that row repainted. Textual repaints every widget
        that overlaps the bounding box of what changed, so the whole frame (its side
        edges span the screen's height) made each switch a repaint of the whole screen,
        and the ``border`` properties repaint the whole pane in any case."""
        accent = self.app.theme_variables.get("accent") if self.holds_focus else None
        color = None if accent is None else Color.parse(accent)
        styles = self.styles
        styles.set_rule("border_top", None if color is None else ("round", color))
        styles.set_rule("auto_border_title_color", None if color is None else False)
        styles.set_rule("border_title_color", color)
        width, _ = self.outer_size
        x, y = self.content_offset
        self.refresh(Region(-x, -y, width, 1))

    @property
    def is_built(self) -> bool:
        """Whether the pane's widgets exist (its body mounts after the first frame)."""
        return self.built

    def focus_default(self) -> None:
        """Focus the pane's main widget (the first focusable one unless overridden); a pane
        focused before its body exists (F3 as the app starts) is focused once it is."""
        self.when_built(self._focus_target)

    def _focus_target(self) -> None:
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
