"""What a learner sees at 160x48, 120x40 and 80x24: no output hidden, room for the REPL
and the curve, code that wraps visibly, feedback and the inspector one key away, and
Tab that stays in its pane."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, RichLog

import tui.app as app_module
from tui.app import TorchTUI
from tui.widgets.code_body import CodeBody
from tui.widgets.dashboard_pane import DashboardPane
from tui.widgets.lesson_pane import LessonPane
from tui.widgets.loss_plot import LossPlot
from tui.widgets.repl_input import ReplInput

from .pilot_wait import wait_for

LONG = 'print("W" * 293 + "END")'


class NotingApp(TorchTUI):
    """The real app, remembering what it told the learner."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.said: list[str] = []

    def notify(self, message, *args, **kwargs) -> None:
        self.said.append(str(message))
        super().notify(message, *args, **kwargs)


def log_rows(app) -> list[str]:
    return [line.text for line in app.screen.query_one("#repl-log", RichLog).lines]


def shown(app, rows: list[str]) -> bool:
    """Every row fits the width the log shows, and the long line's end is among them."""
    log = app.screen.query_one("#repl-log", RichLog)
    width = log.scrollable_content_region.width
    return all(len(row.rstrip()) <= width for row in rows) and "WEND" in "".join(rows)


async def run_long_print(app, pilot) -> None:
    await pilot.press("f3")
    await wait_for(pilot, lambda: isinstance(app.focused, ReplInput))
    app.focused.insert(LONG)
    await pilot.press("enter")
    await wait_for(pilot, lambda: "WEND" in "".join(log_rows(app)), timeout=120, what="output")


@pytest.mark.parametrize("size", [(160, 48), (120, 40), (80, 24)])
async def test_a_long_print_shows_its_end_at_every_size(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await run_long_print(app, pilot)
        await wait_for(pilot, lambda: shown(app, log_rows(app)), what="rows within the log")


async def test_a_resize_wraps_the_log_again(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await run_long_print(app, pilot)
        for size in ((80, 24), (120, 40), (160, 48)):
            await pilot.resize_terminal(*size)
            await wait_for(pilot, lambda: shown(app, log_rows(app)), what=f"rewrap at {size}")
        assert sum("WEND" in row for row in log_rows(app)) == 1  # nothing written twice


@pytest.mark.parametrize("size", [(120, 40), (160, 48)])
async def test_the_repl_keeps_60_columns_and_the_curve_8_rows(make_app, size):
    """Measured after a run, with its figures, legend and coach line on screen."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        pane = app.screen.query_one("#dashboard", DashboardPane)
        await wait_for(pilot, lambda: pane.built and app.kernel.ready, timeout=120)
        pane.query_one("#cfg-steps", Input).value = "300"
        await pilot.press("f4", "f5")
        await wait_for(pilot, lambda: pane.current is not None and not pane.current.live)
        await pilot.pause()
        log = app.screen.query_one("#repl-log", RichLog)
        assert log.region.width >= (60 if size[0] < 160 else 50)  # 160: the inspector beside
        plot = pane.query_one(LossPlot)
        assert plot.region.height - 4 >= 8  # its frame, ticks and axis titles take 4
        # the inspector is one key away and then sits beside the log, never over it
        await pilot.press("f6")
        inspector = app.screen.query_one("#repl-inspector")
        await wait_for(pilot, lambda: inspector.region.width > 0, what="the inspector")
        assert inspector.region.x >= log.region.right


async def test_a_long_comment_continues_behind_a_mark(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        lessons = app.screen.query_one("#lessons", LessonPane)
        await wait_for(pilot, lambda: lessons.query(CodeBody), what="a code block")
        await pilot.pause()
        for body in lessons.query(CodeBody):
            code = body.code.plain.split("\n")
            rows = body.render().plain.split("\n")
            assert len(rows) >= len(code)
            assert all(len(row) <= body.size.width for row in rows)
            # each row is a line of the code or the marked rest of the line above it
            rebuilt: list[str] = []
            for row in rows:
                if row.lstrip().startswith("↪ "):
                    rebuilt[-1] += row.lstrip()[2:]
                else:
                    rebuilt.append(row)
            squeeze = ["".join(line.split()) for line in code]
            assert ["".join(line.split()) for line in rebuilt] == squeeze
        assert any("↪" in body.render().plain for body in lessons.query(CodeBody))


async def test_f6_opens_the_inspector_from_the_lessons_at_80x24(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        inspector = app.screen.query_one("#repl-inspector")
        await wait_for(
            pilot,
            lambda: inspector.region.height > 3 and inspector in app.focused.ancestors_with_self,
            what="the inspector focused",
        )


async def test_tab_goes_round_the_dashboard_without_leaving_it(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        pane = app.screen.query_one("#dashboard", DashboardPane)
        await wait_for(pilot, lambda: pane.built, timeout=120, what="the dashboard")
        await pilot.press("f4")
        await wait_for(pilot, lambda: pane in app.focused.ancestors)
        seen = []
        for key in ("tab",) * 30 + ("shift+tab",) * 30:
            await pilot.press(key)
            assert pane in app.focused.ancestors, f"{key} left the dashboard for {app.focused}"
            seen.append(app.focused)
        assert len({id(w) for w in seen}) > 5
        assert any(isinstance(w, Input) for w in seen)


async def test_a_changed_check_is_said_while_the_lesson_is_behind_a_tab():
    app = NotingApp()
    async with app.run_test(size=(80, 24)) as pilot:
        lessons = app.screen.query_one("#lessons", LessonPane)
        await wait_for(pilot, lambda: lessons.lesson is not None)
        exercise = lessons.lesson.exercises[0]
        await lessons.open_lesson(lessons.lesson, exercise.section)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.focused, ReplInput))
        await wait_for(pilot, lambda: app.kernel.ready, timeout=120, what="the kernel")
        for source in ("1 + 1", "z2 = 'not a tensor'"):
            app.focused.insert(source)
            await pilot.press("enter")
            await wait_for(pilot, lambda: exercise.id in lessons.results, what="a check")
        await wait_for(
            pilot,
            lambda: any(text.startswith(f"✗ {exercise.title}") for text in app.said),
            what="a ✗ notification",
        )
