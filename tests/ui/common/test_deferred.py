"""Panes that mount their body after the first frame: nothing pressed meanwhile is lost,
and quitting meanwhile is quiet."""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Static

from tui.ui.app import TorchTUI
from tui.ui.common.deferred import (
    Deferred,
    LoadingNote,
    after_build,
    hold_late,
    release_late,
    when_all_built,
    when_quick_built,
)
from tui.ui.screens.main import PANES

from ..pilot_wait import wait_for


class Slow(Deferred):
    PLACEHOLDER = "loading the body…"

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def compose_body(self) -> ComposeResult:
        yield Static("the body", id="body")

    @after_build
    def action_go(self, what: str) -> None:
        self.query_one("#body")  # would raise before the body exists
        self.calls.append(what)


class SlowApp(App):
    def compose(self) -> ComposeResult:
        yield Slow()

    def on_mount(self) -> None:
        self.query_one(Slow).action_go("pressed before the first frame")


async def test_a_call_before_the_body_is_mounted_runs_once_it_is():
    app = SlowApp()
    async with app.run_test() as pilot:
        slow = app.query_one(Slow)
        await wait_for(pilot, lambda: slow.built, what="the body")
        assert slow.calls == ["pressed before the first frame"]
        assert not app.query(LoadingNote)  # the placeholder made way for the body
        slow.action_go("later")
        assert slow.calls[-1] == "later"


class Late(Slow):
    LATE = True


class HeldApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.settled = 0
        hold_late(self)
        when_all_built(self, self._settle)

    def compose(self) -> ComposeResult:
        yield Slow()
        yield Late()

    def _settle(self) -> None:
        self.settled += 1


async def test_when_all_built_waits_for_the_late_bodies_and_calls_once():
    """The app freezes what its panes hold for the collector then: not while a late
    body (the dashboard's, once torch is up) is still to come."""
    app = HeldApp()
    async with app.run_test() as pilot:
        slow, late = app.query_one(Slow), app.query_one(Late)
        await wait_for(pilot, lambda: slow.built, what="the early body")
        await pilot.pause()
        assert not late.built and app.settled == 0
        release_late(app)
        await wait_for(pilot, lambda: late.built, what="the late body")
        await wait_for(pilot, lambda: app.settled == 1, what="the call")
        await pilot.pause()
        assert app.settled == 1


class QuickApp(App):
    """Two early bodies and a late one; ``when_quick_built`` asked for in ``on_mount``,
    before the bodies register (the app starts its kernel's client that way)."""

    def __init__(self) -> None:
        super().__init__()
        self.built_when_called: list[bool] | None = None
        hold_late(self)

    def compose(self) -> ComposeResult:
        yield Slow()
        yield Slow()
        yield Late()

    def on_mount(self) -> None:
        when_quick_built(self, self._called)

    def _called(self) -> None:
        assert self.built_when_called is None, "called twice"
        self.built_when_called = [pane.built for pane in self.query(Slow)]


async def test_when_quick_built_waits_for_the_early_bodies_not_the_late_ones():
    """The app connects to its kernel then: the client's imports, in a thread, took the
    GIL from the lesson's build and its first screen came ~0.1 s later."""
    app = QuickApp()
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.built_when_called is not None, what="the call")
        assert app.built_when_called == [True, True, False]  # the late one is held


async def test_the_real_panes_build_and_f5_before_that_still_trains():
    app = TorchTUI(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        dashboard = app.screen.query_one("#dashboard")
        await pilot.press("f5")  # maybe before the settings exist: queued, not lost
        await wait_for(pilot, lambda: dashboard.built, what="the dashboard's body")
        await wait_for(pilot, lambda: dashboard.current is not None, what="a run", timeout=60)
        await pilot.press("f5")
        await wait_for(pilot, lambda: not dashboard.training, what="the stop", timeout=30)


async def test_quitting_while_the_panes_mount_is_quiet():
    for ticks in range(4):  # quit at different moments of the deferred mount
        app = TorchTUI()
        async with app.run_test(size=(160, 48)) as pilot:
            for _ in range(ticks):
                await pilot.pause(0.01)
        # run_test re-raises any exception the app met: reaching here means none


async def test_code_typed_right_after_f3_as_the_app_starts_reaches_the_repl():
    """The keys arrive while the REPL's body is still mounting (posted at once, as a fast
    typist or a paste would): they wait for the input instead of being lost."""
    app = TorchTUI(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        repl = app.screen.query_one("#repl")
        assert not repl.built  # the race this test is about
        for key, char in [("f3", None), ("x", "x"), ("equals_sign", "="), ("7", "7")]:
            app.post_message(events.Key(key, char))
        app.post_message(events.Key("enter", "\r"))
        await wait_for(pilot, lambda: repl.last_outcome is not None, what="the cell", timeout=120)
        assert repl.last_outcome.ok and repl.last_outcome.source == "x=7"
        assert app.focused is repl.input


async def test_the_lesson_and_the_repl_come_first_and_the_dashboard_once_torch_is_loaded():
    """torch starts loading only once the lesson and the REPL are mounted, and the
    dashboard's settings (of no use without torch) only once it has loaded."""
    app = TorchTUI(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        lessons, repl, dashboard = (app.screen.query_one(f"#{n}") for n in PANES)

        def in_order() -> bool:
            if any(worker.group == "torch" for worker in app.workers):
                assert lessons.built and repl.built, "torch started before the panes"
            if dashboard.built:
                assert app.torch_info is not None, "the dashboard mounted before torch"
            return dashboard.built

        await wait_for(pilot, in_order, timeout=60, what="the dashboard")
