"""F1: the global keys and the focused pane's keys and help."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from tui.widgets.pane import Pane


def _key_table(bindings: list[tuple[str, str]]) -> str:
    rows = "\n".join(f"| `{key}` | {desc} |" for key, desc in bindings)
    return f"| key | does |\n|---|---|\n{rows}\n"


def bindings_of(node) -> list[tuple[str, str]]:
    out = []
    for binding in getattr(node, "BINDINGS", []):
        if isinstance(binding, Binding) and binding.description:
            out.append((binding.key_display or binding.key, binding.description))
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
    """

    def __init__(self, global_keys: list[tuple[str, str]], pane: Pane | None) -> None:
        super().__init__()
        self.global_keys = global_keys
        self.pane = pane

    def compose(self) -> ComposeResult:
        text = "# torch-tui help\n\n## Everywhere\n\n" + _key_table(self.global_keys)
        pane = self.pane
        if pane is not None:
            keys: list[tuple[str, str]] = []
            seen = set()
            for node in [pane, *pane.query("*")]:
                for key, desc in bindings_of(node):
                    if (key, desc) not in seen:
                        seen.add((key, desc))
                        keys.append((key, desc))
            text += f"\n## {pane.PANE_TITLE} ({pane.FKEY})\n\n{pane.HELP}\n\n"
            if keys:
                text += _key_table(keys)
        text += "\nPress **Esc** to close. **ctrl+p** opens the command palette.\n"
        with VerticalScroll():
            yield Markdown(text)
