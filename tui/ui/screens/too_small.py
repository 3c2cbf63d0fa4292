"""Below 80x24 the layout cannot fit: say so plainly instead of drawing a broken screen.

``guard_size(app, size)`` is called from ``App.on_resize`` (and once at mount): it pushes a
``TooSmallScreen`` over everything when the terminal shrinks below the minimum, keeps its
message current while the user resizes, and removes it as soon as the terminal is big
enough again. Nothing underneath is unmounted, so no state is lost.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Static

MIN_WIDTH = 80
MIN_HEIGHT = 24

#: Actions the app still runs (from priority keys) while the terminal is too small.
ALLOWED_ACTIONS = frozenset({"quit", "toggle_training", "copy_text"})


def is_too_small(size: Size) -> bool:
    return size.width < MIN_WIDTH or size.height < MIN_HEIGHT


def too_small_message(size: Size) -> str:
    return f"terminal too small: need {MIN_WIDTH}x{MIN_HEIGHT}, have {size.width}x{size.height}"


class TooSmallScreen(Screen[None]):
    """A one-message screen shown instead of the layout while the terminal is too small."""

    DEFAULT_CSS = """
    TooSmallScreen { align: center middle; }
    TooSmallScreen > Static { width: auto; height: auto; max-width: 100%; padding: 0 1; }
    """

    def __init__(self, size: Size) -> None:
        super().__init__()
        self._size_seen = size

    def compose(self) -> ComposeResult:
        yield Static(self._text(self._size_seen), id="too-small-message")

    @staticmethod
    def _text(size: Size) -> str:
        return f"{too_small_message(size)}\nenlarge the window, or ctrl+q to quit"

    def show_size(self, size: Size) -> None:
        self._size_seen = size
        if self.is_mounted:
            self.query_one("#too-small-message", Static).update(self._text(size))

    def on_screen_resume(self) -> None:
        # Something was shown above us and closed: the terminal may have grown meanwhile.
        if not is_too_small(self.app.size):
            self.dismiss()


def guard_size(app: App, size: Size) -> None:
    """Show, update or remove the too-small screen for a terminal of ``size``."""
    screen = next((s for s in app.screen_stack if isinstance(s, TooSmallScreen)), None)
    if is_too_small(size):
        if screen is None:
            app.push_screen(TooSmallScreen(size))
        else:
            screen.show_size(size)
    elif screen is not None and app.screen is screen:
        app.pop_screen()


def blocks_action(app: App, action: str) -> bool:
    """True while the too-small screen is up and ``action`` would open something under it."""
    return isinstance(app.screen, TooSmallScreen) and action not in ALLOWED_ACTIONS
