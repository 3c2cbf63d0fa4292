"""Command palette: an "area: action" command for every app and pane action."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.ui.common.pane import Pane

#: App-wide actions: (palette title, app action, help).
APP_COMMANDS: list[tuple[str, str, str]] = [
    ("app: help", "help", "Every key, grouped by pane, and what each pane is for (F1)"),
    ("app: quit", "quit", "Quit torch-tui"),
    ("app: devices", "devices", "List the devices: name, memory and, with NVML, load and power"),
    ("app: copy", "copy_text", "Copy the focused pane's output or selection (F8, OSC 52)"),
    ("view: lessons", "focus_pane('lessons')", "Focus the lesson pane (F2)"),
    ("view: repl", "focus_pane('repl')", "Focus the REPL (F3)"),
    ("view: dashboard", "focus_pane('dashboard')", "Focus the training dashboard (F4)"),
    (
        "train: start or stop",
        "toggle_training",
        "Start or stop training what the dashboard names (F5)",
    ),
]


class AreaCommands(Provider):
    """Every action of the app and its panes, titled ``area: action``."""

    def _commands(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        app = self.app
        for title, action, help_text in APP_COMMANDS:
            yield title, partial(app.run_action, action), help_text
        for pane in self.screen.query(Pane):
            for title, action, help_text in pane.COMMANDS:
                yield f"{pane.AREA}: {title}", partial(pane.run_action, action), help_text

    async def discover(self) -> Hits:
        for title, run, help_text in self._commands():
            yield DiscoveryHit(title, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, run, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, help=help_text)
