"""Keys that move the focus, declared by the widgets that handle them; and stand-ins
that Tab opens instead of focusing (``TabStandIn``).

Textual gives each key to the widget focused when the key arrives. A key that moves the
focus (``o`` and a letter in the dashboard, ``w`` in the inspector, Escape out of a
field) is handled only once it reaches that widget, so the keys typed behind it in one
burst (a fast typist, a laggy SSH link) had already been given to the old focus and were
lost there. The main screen asks ``moves_focus`` for each key while the focus is inside
such a widget, and holds the keys behind a yes until it has been handled.

A widget saying yes must move the focus while it handles the key (``Screen.set_focus``,
not ``Widget.focus``, which waits for a refresh): the keys behind it are given out as
soon as it has been handled, bindings included.
"""

from __future__ import annotations

from textual import events


class MovesFocus:
    """Mixed into a widget some of whose keys move the focus."""

    def moves_focus(self, event: events.Key) -> bool:
        """Whether handling ``event`` (typed while the focus is inside) may move it."""
        return False


class TabStandIn:
    """Mixed into a widget that stands in for fields it hides (the dashboard's settings
    glance): Tab onto it opens them, at the first field (``step`` 1) or, for shift+Tab
    (-1), the last; the main screen's Tab calls it instead of focusing the stand-in."""

    def enter_by_tab(self, step: int) -> None:
        raise NotImplementedError
