"""The app's own keys, and the command palette: an "area: action" command for every app
and pane action (each pane's from its ``KEYS``, see ``tui.ui.common.keys``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.ui.common.keys import Key, commands
from tui.ui.common.pane import Pane

#: F1 and ? say the same, so F1 lists them on one row.
HELP_WORDS = "Every key, grouped by pane, and what each pane is for"
#: The app's keys, valid everywhere. F2-F5 and ctrl+q are priority bindings: handled as
#: they arrive, so the keys typed right after go to the new pane.
APP_KEYS = (
    Key("f1", "help", "Help", HELP_WORDS, "app: help"),
    Key("question_mark", "help", "Help", HELP_WORDS, show=False),
    Key(
        "f2",
        "focus_pane('lessons')",
        "Lessons",
        "Focus the lesson pane",
        "view: lessons",
        priority=True,
    ),
    Key("f3", "focus_pane('repl')", "REPL", "Focus the REPL", "view: repl", priority=True),
    Key(
        "f4",
        "focus_pane('dashboard')",
        "Dashboard",
        "Focus the training dashboard",
        "view: dashboard",
        priority=True,
    ),
    Key(
        "f5",
        "toggle_training",
        "Train",
        "Start or stop training what the dashboard names (from anywhere)",
        "train: start or stop",
        priority=True,
    ),
    Key(
        "f8",
        "copy_text",
        "Copy",
        "Copy the focused pane's output or selection (OSC 52)",
        "app: copy",
    ),
    Key(
        "",
        "devices",
        "",
        "List the devices: name, memory and, with NVML, load and power",
        "app: devices",
    ),
    Key("ctrl+q", "quit", "Quit", "Quit torch-tui", "app: quit", priority=True),
)
APP_COMMANDS = commands(APP_KEYS)


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
