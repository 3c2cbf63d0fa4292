"""An ``Input`` that edits in the order the keys were typed.

Textual runs a widget's bindings (backspace, left, home …) once the key has bubbled up to
the app, behind the keys typed after it, which the input has inserted by then: a burst
such as backspace then ``0.2`` (a fast typist, a laggy SSH link) deleted the ``0.2``.
This input runs its own edit bindings as each key arrives, as ``ReplInput`` does.
"""

from __future__ import annotations

from textual import events
from textual.binding import BindingsMap
from textual.widgets import Input

EDIT_BINDINGS = BindingsMap(Input.BINDINGS).key_to_bindings


class OrderedInput(Input):
    """``Input``, its edit keys handled in the order typed."""

    async def on_key(self, event: events.Key) -> None:
        for binding in EDIT_BINDINGS.get(event.key, ()):
            if await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()
                return
