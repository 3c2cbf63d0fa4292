"""F1: the global keys and the focused pane's keys and help."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.widgets.pane import Pane

_KEY_NAMES = {"question_mark": "?", "escape": "esc", "space": "space"}


def bindings_of(node) -> list[tuple[str, str]]:
    out = []
    for binding in getattr(node, "BINDINGS", []):
        if isinstance(binding, Binding) and binding.description:
            out.append(
                (
                    binding.key_display or _KEY_NAMES.get(binding.key, binding.key),
                    binding.description,
                )
            )
        elif isinstance(binding, tuple) and len(binding) >= 3:
            out.append((binding[0], binding[2]))
    return out


class HelpScreen(ModalScreen[None]):
    """Keys first, because the whole app is meant to be used from the keyboard."""

    BINDINGS = [
        Binding("escape,f1,q", "dismiss", "Close help"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 80%; max-width: 100; height: 80%; border: thick $primary; background: $surface;
        padding: 0 1;
    }
    HelpScreen .help-title { margin-top: 1; }
    HelpScreen .help-about { color: $text-muted; }
    """

    def __init__(self, global_keys: list[tuple[str, str]], pane: Pane | None) -> None:
        super().__init__()
        self.global_keys = global_keys
        self.pane = pane

    def compose(self) -> ComposeResult:
        sections: list[tuple[str, str, list[tuple[str, str]]]] = [
            ("Everywhere", "", self.global_keys)
        ]
        pane = self.pane
        if pane is not None:
            keys: list[tuple[str, str]] = []
            for node in [pane, *pane.query("*")]:
                for pair in bindings_of(node):
                    if pair not in keys:
                        keys.append(pair)
            sections.append((f"{pane.PANE_TITLE} ({pane.FKEY})", pane.HELP, keys))
        #: Plain text of what is shown, for tests and for copying.
        self.help_text = "\n".join(
            f"{title}\n{about}\n" + "\n".join(f"{k}  {d}" for k, d in keys)
            for title, about, keys in sections
        )
        with VerticalScroll():
            for title, about, keys in sections:
                table = Table.grid(padding=(0, 2))
                table.add_column(no_wrap=True, min_width=12)
                table.add_column()
                for key, desc in keys:
                    table.add_row(Text(key, style="bold"), desc)
                yield Static(Text(title, style="bold underline"), classes="help-title")
                if about:
                    from rich.markdown import Markdown  # ~70 ms to import: not before frame 1

                    yield Static(Markdown(about), classes="help-about")
                yield Static(table)
            yield Static(
                Text("esc closes this · ctrl+p opens the command palette", style="italic"),
                classes="help-title",
            )
