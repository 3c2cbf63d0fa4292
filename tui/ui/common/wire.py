"""Light on the wire: app-wide settings that keep the bytes sent to the terminal low.

Measured under a pty at 120x40 (``benchmarks/bench_wire.py``): a blinking cursor in the
REPL's TextArea repaints twice a second, about 2 KB/s with nothing happening, twice the
idle budget for an SSH session. So text cursors do not blink in torch-tui, and in
low-bandwidth mode animations are off too (the dashboard also redraws less often).
"""

from __future__ import annotations

from textual.app import App
from textual.widget import Widget


def quiet_cursor(widget: Widget) -> None:
    """Stop a text widget's cursor from blinking (TextArea, Input and their subclasses)."""
    if getattr(widget, "cursor_blink", False):
        widget.cursor_blink = False  # type: ignore[attr-defined]


def apply_low_bandwidth(app: App, on: bool) -> None:
    """Animations cost a frame per tick; over a slow link turn them off."""
    if on:
        app.animation_level = "none"
