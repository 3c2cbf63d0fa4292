"""F1: the keys, grouped by pane (the focused one first), in a learner's words."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.ui.common.confirm import Modal
from tui.ui.common.keys import help_rows, key_words
from tui.ui.common.pane import Pane


def own_bindings(node) -> list:
    """The bindings torch-tui's classes declare: not the dozens of cursor keys a Textual
    widget brings (the pane's help says those in words)."""
    found: list = []
    for cls in type(node).__mro__:
        if cls.__module__.startswith("tui."):
            found.extend(b for b in cls.__dict__.get("BINDINGS", []) if b not in found)
    return found


def binding_row(binding: object) -> tuple[str, str] | None:
    """(keys, what they do): the binding's tooltip (F1's sentence, see
    ``tui.ui.common.keys``), else its description; None for a binding with no words."""
    if isinstance(binding, Binding) and binding.description:
        keys = binding.key_display or key_words(binding.key)
        return keys, binding.tooltip or binding.description
    if isinstance(binding, tuple) and len(binding) >= 3:
        return key_words(binding[0]), binding[2]
    return None


def bindings_of(node: object) -> list[tuple[str, str]]:
    """(keys, what they do) for ``node``'s own bindings."""
    rows = (binding_row(b) for b in own_bindings(node))
    return [row for row in rows if row is not None]


def merged(keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Keys that do the same thing on one row: ``F1 or ?``."""
    rows: dict[str, list[str]] = {}
    for key, words in keys:
        rows.setdefault(words, [])
        if key not in rows[words]:
            rows[words].append(key)
    return [(" or ".join(ks), words) for words, ks in rows.items()]


def pane_keys(pane: Pane) -> list[tuple[str, str]]:
    """The keys of a pane (its ``KEYS``) and of the widgets in it, each once."""
    keys: list[tuple[str, str]] = help_rows(pane.KEYS)
    described = {k.action for k in pane.KEYS}
    for node in [pane, *pane.query("*")]:
        for binding in own_bindings(node):
            if node is pane and getattr(binding, "action", None) in described:
                continue
            row = binding_row(binding)
            if row is not None and row not in keys:
                keys.append(row)
    return keys


class HelpScreen(Modal[None]):
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

    def __init__(
        self, global_keys: list[tuple[str, str]], panes: list[Pane], focused: Pane | None
    ) -> None:
        super().__init__()
        self.global_keys = global_keys
        #: The focused pane first: what the learner is doing now.
        self.panes = sorted(panes, key=lambda pane: pane is not focused)
        self.here = focused  # (``focused`` is the Screen's own: the focused widget)

    def compose(self) -> ComposeResult:
        sections: list[tuple[str, str, list[tuple[str, str]]]] = [
            ("Everywhere", "", merged(self.global_keys))
        ]
        for pane in self.panes:
            here = " · you are here" if pane is self.here else ""
            title = f"{pane.PANE_TITLE} ({pane.FKEY}){here}"
            sections.append((title, pane.HELP, merged(pane_keys(pane))))
        #: Plain text of what is shown, for tests and for copying.
        self.help_text = "\n".join(
            f"# {title}\n{about}\n" + "\n".join(f"{k}  {d}" for k, d in keys)
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
