"""A modal closed twice (keys typed behind the one that closed it) leaves the app up."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from tui.ui.lessons.picker import ChoiceList


class Host(App):
    def compose(self) -> ComposeResult:
        yield Static("main")


async def test_enter_twice_on_a_choice_closes_it_once_and_the_app_stays_up():
    """`t` then Enter and a cell typed at once: the second Enter reached the closing
    contents list, which popped the main screen, and the app crashed."""
    app = Host()
    chosen: list[int | None] = []
    async with app.run_test() as pilot:
        main = app.screen
        choices = ChoiceList("Contents", ["one", "two"])
        app.push_screen(choices, chosen.append)
        await pilot.pause()
        # as the selections reach it, queued behind each other (Pilot would wait between)
        choices.dismiss(0)
        choices.dismiss(1)
        await pilot.pause()
        assert app.screen is main and app.is_running
        assert chosen == [0]
