"""Pictures inline in the REPL log: the room the kernel is told, a plot drawn in
half-blocks and cropped (not wrapped) by a narrower log, and ``--low-bandwidth``'s
placeholder with the key that draws it. And a snapshot of a picture in the log (look at
the SVG under __snapshots__ before accepting: ``--snapshot-update``)."""

from __future__ import annotations

import time

from textual.widgets import RichLog

from tui.ui.common.halfblock import UPPER_HALF

from ..pilot_wait import wait_for
from ..screens.test_snapshots import SnapApp, _settled
from .test_repl import RecordingApp, log_text, open_repl, run

PLOT = "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()"
ROOM = "from tui.agent.server import _AGENT as _a\nprint(_a.room.log_cols, _a.room.card_cols)"


def picture_rows(app) -> list[str]:
    """The log's lines drawn in coloured cells (half-blocks, or blanks where a cell's two
    pixels are alike)."""
    log = app.screen.query_one("#repl-log", RichLog)
    return [line.text for line in log.lines if _drawn(line)]


def _drawn(line) -> bool:
    cells = [seg for seg in line if seg.text]
    return bool(cells) and all(
        set(seg.text) <= {" ", UPPER_HALF} and seg.style is not None and seg.style.bgcolor
        for seg in cells
    )


async def told(pilot, app):
    """The room the kernel was told once the pane's resizes have settled."""
    pane = app.screen.query_one("#repl")
    await wait_for(pilot, lambda: pane._room is not None and pane._room_timer is None)
    await app.workers.wait_for_complete()
    return pane._room


async def test_the_kernel_is_told_the_logs_room_and_a_plot_fits_it():
    app = RecordingApp(device="cpu", low_bandwidth=False)
    async with app.run_test(size=(160, 48)) as pilot:
        inp = await open_repl(pilot, app)
        log = app.screen.query_one("#repl-log", RichLog)
        room = await told(pilot, app)
        assert room.log_cols == log.scrollable_content_region.width >= 80
        assert 10 < room.card_cols < 60 and 14 <= room.card_rows <= 16  # the drawer's, closed
        await pilot.press("ctrl+o")  # the drawer opens over the log: the same room
        await wait_for(pilot, lambda: app.screen.query_one("#repl-inspector").visible)
        assert await told(pilot, app) == room
        outcome = await run(pilot, app, inp, ROOM)
        assert outcome.text().split() == [str(room.log_cols), str(room.card_cols)]

        outcome = await run(pilot, app, inp, PLOT)
        assert outcome.ok
        rows = picture_rows(app)
        # seen whole with its caption (the log was told its rows), yet not tiny
        assert room.log_rows == log.scrollable_content_region.height > 14
        assert 14 <= len(rows) <= room.log_rows - 2
        width = len(rows[0])
        assert 20 < width <= room.log_cols and {len(row) for row in rows} == {width}
        assert "<Figure size 640x480 with 1 Axes>" in log_text(app)

        # a wide heatmap, then a narrower log: it is cropped, not wrapped; the kernel told
        await run(pilot, app, inp, "show(torch.rand(4, 90))")
        wide = picture_rows(app)[len(rows) :]
        assert [len(row) for row in wide] == [90, 90]
        await pilot.resize_terminal(120, 40)
        await wait_for(pilot, lambda: log.scrollable_content_region.width < 90)
        narrow = log.scrollable_content_region.width
        await wait_for(pilot, lambda: len(picture_rows(app)[-1]) == narrow)
        assert [len(row) for row in picture_rows(app)] == [width] * len(rows) + [narrow] * 2
        told_now = await told(pilot, app)
        assert (told_now.log_cols, told_now.log_rows) == (
            narrow,
            log.scrollable_content_region.height,
        )


async def test_low_bandwidth_keeps_the_placeholder_and_ctrl_g_draws_it():
    app = RecordingApp(device="cpu", low_bandwidth=True)
    async with app.run_test(size=(160, 48)) as pilot:
        inp = await open_repl(pilot, app)
        await told(pilot, app)
        await run(pilot, app, inp, PLOT)
        text = log_text(app)
        assert "<image/png output, " in text and "KiB: ctrl+g draws it>" in text
        assert not picture_rows(app)
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: len(picture_rows(app)) > 10, what="the picture")

        await run(pilot, app, inp, "show(torch.eye(12))")  # asked for by name: drawn
        await wait_for(pilot, lambda: "tensor 12x12 float32" in log_text(app))
        assert sum(1 for row in picture_rows(app) if len(row) == 12) == 6


#: A 48x20 PNG made with Pillow (flat shapes: the same pixels on any machine), shown as a
#: cell's result: drawn 1:1 in the log, 10 rows of half-blocks and its caption.
PICTURE_CELL = """\
import io
from PIL import Image as _P, ImageDraw as _D
from IPython.display import Image
_im = _P.new("RGB", (48, 20), (245, 245, 245))
_d = _D.Draw(_im)
_d.rectangle((2, 2, 20, 17), fill=(200, 30, 30))
_d.rectangle((26, 6, 45, 13), fill=(30, 80, 200))
_d.line((0, 19, 47, 0), fill=(20, 140, 60))
_b = io.BytesIO()
_im.save(_b, format="PNG")
Image(data=_b.getvalue())"""


async def _settled_with_picture(pilot) -> None:
    await _settled(pilot)
    repl = pilot.app.screen.query_one("#repl")
    repl.run_source(PICTURE_CELL)
    log = repl.query_one("#repl-log", RichLog)
    deadline = time.monotonic() + 30
    while not any("Out[" in line.text for line in log.lines):
        if time.monotonic() > deadline:
            raise AssertionError("the cell never finished")
        await pilot.pause(0.05)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_a_picture_inline_in_the_repl_log(snap_compare):
    app = SnapApp(low_bandwidth=False)
    assert snap_compare(app, terminal_size=(160, 48), run_before=_settled_with_picture)
