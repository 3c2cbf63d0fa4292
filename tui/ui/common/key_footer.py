"""The footer of keys, drawn as one line of text.

Textual's ``Footer`` recomposes on every focus change: a dozen ``FooterKey`` widgets
removed, mounted, styled and laid out, about 0.25 s of CPU for each pane switch on a
2-core box. This one is a single widget that renders the same line (same component
colours, the command palette's key at the right edge) and refreshes only itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.screen import Screen

#: A key as shown: (key, how it is shown, description, enabled).
Key = tuple[str, str, str, bool]


class KeyFooter(Footer):
    """The focused widget's keys and the app's (``Binding.show``), clickable."""

    COMPONENT_CLASSES = {
        "key-footer--item",
        "key-footer--key",
        "key-footer--description",
        "key-footer--edge",
        "key-footer--disabled",
    }
    DEFAULT_CSS = """
    KeyFooter {
        .key-footer--item { color: $footer-foreground; background: $footer-item-background; }
        .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-footer--edge { color: $foreground 20%; }
        .key-footer--disabled { text-style: dim; }
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        #: (start, end, key, enabled) of each key's cells, for clicks.
        self._spans: list[tuple[int, int, str, bool]] = []
        self._shown: object = None

    def compose(self):
        yield from ()

    def bindings_changed(self, screen: Screen) -> None:
        """Repaint when the keys shown change (Textual says so twice a focus change)."""
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            keys = self._keys()
            if keys != self._shown:
                self._shown = keys
                self.refresh()

    def _keys(self) -> tuple[list[Key], Key | None]:
        """(key, shown as, description, enabled) of each key, and the palette's key."""
        active = self.screen.active_bindings
        seen: set[str] = set()
        keys = []
        for _node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append(
                (binding.key, self.app.get_key_display(binding), binding.description, enabled)
            )
        palette = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            found = active.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _node, binding, enabled, _tooltip = found
                shown = self.app.get_key_display(binding)
                palette = (binding.key, shown, binding.description, enabled)
        return keys, palette

    def render(self) -> Text:
        style = self.get_component_rich_style
        item, key_style, text_style = (
            style("key-footer--item"),
            style("key-footer--key"),
            style("key-footer--description"),
        )
        dim = style("key-footer--disabled")
        keys, palette = self._shown = self._keys()
        width = self.size.width
        tail = Text()
        if palette is not None:
            _key, shown, description, enabled = palette
            tail = Text.assemble(
                ("▏", style("key-footer--edge")),
                (shown, key_style),
                (f" {description}" if description else "", text_style),
            )
            tail.stylize_before(item if enabled else item + dim)
        room = max(0, width - tail.cell_len - (1 if palette is not None else 0))
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, str, bool]] = []
        for key, shown, description, enabled in keys:
            if line.cell_len >= room:
                break
            piece = Text.assemble(
                (f" {shown} ", key_style), (f"{description} " if description else "", text_style)
            )
            piece.stylize_before(item if enabled else item + dim)
            spans.append((line.cell_len, line.cell_len + piece.cell_len, key, enabled))
            line.append_text(piece)
        line.truncate(room)
        if palette is not None:
            line.append(" " * (room - line.cell_len))
            spans.append((room, width, palette[0], palette[3]))
            line.append_text(tail)
        self._spans = spans
        return line

    def on_mouse_down(self, event: events.MouseDown) -> None:
        for start, end, key, enabled in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key) if enabled else self.app.bell()
                return
