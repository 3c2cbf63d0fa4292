"""The filters view through Pilot, training in the kernel: f shows a CNN's first Conv2d's
filters as they train (drawn as half-blocks with their legend), and f again hides them:
the kernel stops sending pictures."""

from __future__ import annotations

from functools import partial

from tui.ui.dashboard.dashboard_pane import DashboardPane
from tui.ui.dashboard.filters_view import FiltersView

from ..pilot_wait import wait_for

SMALL_CNN = """
torch.manual_seed(0)
X = torch.randn(128, 1, 8, 8)
y = (X.mean(dim=(1, 2, 3)) > 0).long()
model = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(384, 2))
"""

_wait = partial(wait_for, timeout=60.0)


async def test_f_shows_a_cnns_filters_live_and_f_again_stops_them(make_app):
    app = make_app(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = app.screen.query_one("#dashboard", DashboardPane)
        await _wait(pilot, lambda: app.kernel.ready and pane.built, what="the dashboard")
        outcome = await app.kernel.execute(SMALL_CNN, lambda _o: None)
        assert outcome.ok, (outcome.error_name, outcome.error_value)
        form = pane.query_one("#cfg-steps")
        form.value = "100000000"
        pane.focus_default()
        await pilot.press("f4", "f")
        view = pane.query_one(FiltersView)
        await _wait(pilot, lambda: view.display and view.size.width > 10)
        assert "Conv2d" in str(view.render())  # nothing yet: what to do to see them
        await pilot.press("t")
        await _wait(pilot, lambda: view.picture is not None, what="a filters picture")
        assert pane.current.conv
        first = view.picture
        cols, rows = view.room
        assert first.note == "6 filters" and first.width <= cols and first.height <= 2 * rows
        await _wait(pilot, lambda: view.picture.data != first.data, what="the filters moving")
        drawn = view.render()
        coloured = {str(span.style) for span in drawn.spans if "on #" in str(span.style)}
        assert len(coloured) > 10 and "6 filters" in drawn.plain  # drawn in colours
        await pilot.press("f")  # back to the curve: the kernel stops sending them
        await _wait(pilot, lambda: pane.current.last is not None and not view.display)
        step = pane.current.last.step
        await _wait(pilot, lambda: pane.current.last.step > step + 50, what="more reports")
        step = pane.current.last.step
        await _wait(pilot, lambda: pane.current.last.step > step + 50, what="more reports")
        last = view.picture
        await _wait(pilot, lambda: pane.current.last.step > step + 200, what="more reports")
        assert view.picture is last and pane.current.last.filters is None
        pane.action_stop()
        await _wait(pilot, lambda: pane.current.state == "stopped")


def test_a_picture_is_enlarged_by_the_largest_whole_factor_that_fits():
    import base64

    from tui.tensors.pictures import Picture
    from tui.ui.dashboard.filters_view import MAX_ZOOM, zoomed

    raw = bytes(range(2 * 3 * 3))  # 3 wide, 2 high
    small = Picture(3, 2, base64.b64encode(raw).decode("ascii"), kind="grid", note="n")
    big = zoomed(small, cols=10, rows=4)  # x3 across (9 <= 10), x4 down would be 8 rows
    assert (big.width, big.height) == (9, 6) and big.note == "n"
    pixels = big.pixels()
    assert pixels[:3] == raw[:3] and pixels[6:9] == raw[:3] and pixels[9:12] == raw[3:6]
    assert zoomed(small, cols=3, rows=1) is small
    assert zoomed(small, cols=1000, rows=1000).width == 3 * MAX_ZOOM
