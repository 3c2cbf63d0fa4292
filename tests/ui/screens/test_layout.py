"""What a learner sees at 160x48, 120x40 and 80x24: no output hidden, a REPL as wide as
PyTorch prints, room for the curve, code that wraps visibly (lessons and echoed cells),
feedback and the inspector drawer one key away, and Tab that stays in its pane."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.color import Color
from textual.widgets import Input, RichLog

import tui.ui.app as app_module
from tui.ui.app import TorchTUI
from tui.ui.dashboard.dashboard_pane import DashboardPane
from tui.ui.dashboard.loss_plot import LossPlot
from tui.ui.lessons.code_body import CodeBody
from tui.ui.lessons.lesson_pane import LessonPane
from tui.ui.repl.cell_input import ReplInput

from ..inspector.test_inspector_app import card_text
from ..pilot_wait import wait_for
from ..repl.test_repl import RecordingApp, open_repl, run
from ..repl.test_repl_pictures import told

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
        cols = log.scrollable_content_region.width
        assert cols >= (60 if size[0] < 160 else 80)  # 160: as wide as PyTorch prints
        plot = pane.query_one(LossPlot)
        assert plot.region.height - 4 >= 8  # its frame, ticks and axis titles take 4
        # the inspector is one key away: a drawer over the right of the REPL's column,
        # tall enough for a 28x28 heatmap unscaled; the log keeps its columns under it
        await pilot.press("f6")
        inspector = app.screen.query_one("#repl-inspector")
        await wait_for(pilot, lambda: inspector.region.width > 0, what="the inspector")
        right = app.screen.query_one("#right").region
        assert inspector.region.right == right.right and inspector.region.bottom == right.bottom
        assert log.scrollable_content_region.width == cols
        assert app.screen.query_one("#repl").room().card_rows >= 14


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
        neuron = "w2 = torch.tensor([2.0, 0.0, -1.0]); b2 = 0.5; z2 = 'not a tensor'"
        for source in ("1 + 1", neuron):
            app.focused.insert(source)
            await pilot.press("enter")
            await wait_for(pilot, lambda: exercise.id in lessons.results, what="a check")
        await wait_for(
            pilot,
            lambda: any(text.startswith(f"✗ {exercise.title}") for text in app.said),
            what="a ✗ notification",
        )


async def rows_after(pilot, app, inp, source: str) -> tuple[str, list[str]]:
    """Run ``source``; its output as the kernel sent it and the log's rows after its echo."""
    outcome = await run(pilot, app, inp, source)
    await pilot.pause()
    rows = [row.rstrip() for row in log_rows(app)]
    echo = max(i for i, row in enumerate(rows) if row.startswith("In ["))
    return outcome.text(), rows[echo + 1 :]


async def test_at_160_the_log_is_as_wide_as_pytorch_prints():
    app = RecordingApp(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        inp = await open_repl(pilot, app)
        await told(pilot, app)  # the kernel prints as wide as the log from now on
        _, rows = await rows_after(pilot, app, inp, 'print("A" * 79 + "Z")')
        assert rows[0] == "A" * 79 + "Z"
        _, rows = await rows_after(pilot, app, inp, "torch.arange(100.).reshape(10, 10) * 1000")
        tensor = [row for row in rows if row.lstrip().startswith(("tensor([[", "["))]
        assert len(tensor) == 10 and tensor[-1].endswith("99000.]])")
        assert all(row.endswith(("],", "]])")) for row in tensor)  # one row per line


async def test_at_120_a_tensor_breaks_where_torch_breaks_it():
    app = RecordingApp(device="cpu")
    async with app.run_test(size=(120, 40)) as pilot:
        inp = await open_repl(pilot, app)
        await told(pilot, app)  # the kernel prints as wide as the log from now on
        cols = app.screen.query_one("#repl-log", RichLog).scrollable_content_region.width
        for source in ("print(torch.arange(100.).reshape(10, 10) * 1000)", "torch.arange(40.)"):
            text, rows = await rows_after(pilot, app, inp, source)
            lines = text.rstrip("\n").split("\n")
            assert max(map(len, lines)) <= cols < max(map(len, lines)) + 12  # torch's width
            assert len(lines) > (10 if "100." in source else 1)  # torch broke the rows
            # each line torch printed is one row of the log: none wrapped again by the log
            start = rows.index(lines[0])
            assert rows[start : start + len(lines)] == lines


async def test_a_card_ready_hint_shows_while_the_drawer_is_closed():
    app = RecordingApp(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        inp = await open_repl(pilot, app)
        await told(pilot, app)  # the kernel prints as wide as the log from now on
        repl = app.screen.query_one("#repl")
        inspector = app.screen.query_one("#repl-inspector")
        assert not inspector.visible  # closed by default
        await run(pilot, app, inp, "x = torch.ones(3)")
        await wait_for(pilot, lambda: "card ready: x (F6)" in str(repl.border_subtitle))
        await pilot.press("f6")
        await wait_for(pilot, lambda: inspector in app.focused.ancestors, what="the drawer")
        assert inspector.visible and not repl.border_subtitle
        await pilot.press("escape")  # F6 opened it: Escape closes it, back to typing
        await wait_for(pilot, lambda: app.focused is inp and not inspector.visible)
        await pilot.press("ctrl+o")  # kept open: a new card needs no hint
        await run(pilot, app, inp, "y = torch.zeros(2)")
        await wait_for(pilot, lambda: "y  tensor" in card_text(app), what="y's card")
        assert inspector.visible and not repl.border_subtitle and app.focused is inp


async def test_echoed_code_keeps_its_comment_behind_the_hash():
    app = RecordingApp(device="cpu")
    async with app.run_test(size=(120, 40)) as pilot:
        inp = await open_repl(pilot, app)
        await told(pilot, app)  # the kernel prints as wide as the log from now on
        comment = "# " + " ".join(["a comment that goes on"] * 6)
        await run(pilot, app, inp, f"y = 1  {comment}")
        rows = [row.rstrip() for row in log_rows(app)]
        first = next(i for i, row in enumerate(rows) if row.startswith("In [") and "y = 1" in row)
        hash_at = rows[first].index("#")
        rest = rows[first + 1 : first + 4]
        assert rest and all(row.index("↪ ") == hash_at for row in rest if "↪" in row)
        rebuilt = rows[first][hash_at:] + "".join(" " + r[hash_at + 2 :] for r in rest if "↪" in r)
        assert " ".join(rebuilt.split()) == comment


async def test_the_focused_pane_lights_its_top_edge_and_a_switch_repaints_no_side_edge(make_app):
    """The cue is the frame's top edge and title: the side edges span the screen's
    height, and Textual repaints every widget within the bounding box of what changed."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        lessons = app.screen.query_one("#lessons", LessonPane)
        repl = app.screen.query_one("#repl")
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.focused, ReplInput))
        await pilot.pause()
        accent = Color.parse(app.theme_variables["accent"])
        assert repl.styles.border_top[1] == accent and repl.styles.border_title_color == accent
        assert lessons.styles.border_top[1] != accent
        for pane in (repl, lessons):
            for edge in (
                pane.styles.border_left,
                pane.styles.border_right,
                pane.styles.border_bottom,
            ):
                assert edge[1] != accent
        await pilot.press("f2")
        await wait_for(pilot, lambda: lessons in app.focused.ancestors)
        await pilot.pause()
        assert lessons.styles.border_top[1] == accent and repl.styles.border_top[1] != accent
