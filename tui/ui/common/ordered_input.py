"""An ``Input`` that edits in the order the keys were typed.

Textual runs a widget's bindings (backspace, left, home …) once the key has bubbled up to
the app, behind the keys typed after it, which the input has inserted by then: a burst
such as backspace then ``0.2`` (a fast typist, a laggy SSH link) deleted the ``0.2``.
This input runs its own edit bindings as each key arrives, as ``ReplInput`` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual import events
from textual.binding import Binding, BindingsMap
from textual.widget import Widget
from textual.widgets import Input

KeyBindings = Mapping[str, Sequence[Binding]]

EDIT_BINDINGS = BindingsMap(Input.BINDINGS).key_to_bindings


async def run_own_binding(widget: Widget, bindings: KeyBindings, event: events.Key) -> bool:
    """Run ``widget``'s binding for ``event`` now, in the order keys come; True (the key
    stopped) if one ran."""
    for binding in bindings.get(event.key, ()):
        if await widget.app.run_action(binding.action, widget):
            event.stop()
            event.prevent_default()
            return True
    return False


class OrderedInput(Input):
    """``Input``, its edit keys handled in the order typed."""

    async def on_key(self, event: events.Key) -> None:
        await run_own_binding(self, EDIT_BINDINGS, event)
