"""Terminal faults: a resize storm, a 40x12 terminal, NO_COLOR. The app keeps working."""

from __future__ import annotations

import random
import time

from textual import events
from textual.geometry import Size

from hardening.conftest import (
    SIZE,
    HardApp,
    lesson_pane,
    ready,
    run_cell,
    still_usable,
    wait_until,
)
from tui.ui.screens.main import MainScreen
from tui.ui.screens.too_small import TooSmallScreen


def storm(app, sizes: list[tuple[int, int]]) -> None:
    """Post resize events back to back, as a terminal being dragged does."""
    for w, h in sizes:
        size = Size(w, h)
        app._driver._size = size
        app.post_message(events.Resize(size, size))


async def test_a_resize_storm_of_100_in_a_second_leaves_a_working_app():
    rng = random.Random(7)
    app = HardApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        record = await run_cell(pilot, app, "kept = torch.arange(6.)")
        assert record.ok
        sizes = [(rng.randint(20, 220), rng.randint(6, 70)) for _ in range(99)] + [(160, 48)]
        start = time.monotonic()
        storm(app, sizes)
        posted = time.monotonic() - start
        await wait_until(pilot, lambda: app.size == Size(160, 48), what="the last size")
        await wait_until(
            pilot, lambda: isinstance(app.screen, MainScreen), what="the main screen back"
        )
        assert posted < 1.0
        assert not any(isinstance(s, TooSmallScreen) for s in app.screen_stack)
        # nothing lost: the namespace, the lesson, and everything still responds
        assert (await run_cell(pilot, app, "kept.sum().item()")).text() == "15.0\n"
        pane = lesson_pane(app)
        before = pane.lesson
        await pilot.press("f2", "right_square_bracket")
        await wait_until(pilot, lambda: pane.lesson is not before, what="the next lesson")
        await still_usable(pilot, app)


async def test_40x12_says_too_small_and_recovers():
    app = HardApp()
    async with app.run_test(size=(40, 12)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, TooSmallScreen), what="too small")
        text = str(app.screen.query_one("#too-small-message").render())
        assert "terminal too small: need 80x24, have 40x12" in text
        assert "ctrl+q" in text
        await pilot.press("f3", "f2", "question_mark")  # nothing opens under the message
        assert isinstance(app.screen, TooSmallScreen)
        await ready(pilot, app)
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="recovery")
        await still_usable(pilot, app)


async def test_no_color_shows_no_colours_and_works(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = HardApp()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        record = await run_cell(pilot, app, "1/0")
        assert record.error_name == "ZeroDivisionError"
        await pilot.pause()
        colours = set()
        for strip in app.screen._compositor.render_strips():
            for segment in strip:
                style = segment.style
                if style is None:
                    continue
                for colour in (style.color, style.bgcolor):
                    if colour is not None and colour.triplet is not None:
                        r, g, b = colour.triplet
                        if not (r == g == b):
                            colours.add((r, g, b))
        assert not colours, f"colours on screen with NO_COLOR: {sorted(colours)[:5]}"
        await still_usable(pilot, app)
