"""The loss curve's step axis reads in whole steps on round numbers."""

from __future__ import annotations

from tui.core.series import whole_ticks


def test_step_ticks_are_whole_round_and_inside_the_range():
    for lo, hi in [(0, 1196), (65, 7485), (0, 37), (1, 9), (3, 3_000_000), (0.5, 598.5)]:
        ticks = whole_ticks(lo, hi)
        assert ticks and all(isinstance(t, int) for t in ticks)
        assert all(lo <= t <= hi for t in ticks), (lo, hi, ticks)
        assert 2 <= len(ticks) <= 5, (lo, hi, ticks)
    assert whole_ticks(0, 1196) == [0, 500, 1000]


def test_a_single_step_gets_one_whole_tick():
    assert whole_ticks(598.5, 598.5) == [599]
    assert whole_ticks(0, 0) == [0]
