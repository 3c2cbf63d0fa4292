"""The loss curve's step axis reads in whole steps on round numbers."""

from __future__ import annotations

from tui.runs.series import whole_ticks


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


def test_an_older_run_is_decimated_up_to_the_current_runs_last_step():
    """A 20,000-step run drawn behind a 20-step one: its first 20 steps, at full detail."""
    import numpy as np

    from tui.runs.series import LossSeries

    long = LossSeries()
    long.extend(np.arange(1, 20_001, dtype=np.float32))
    xs, ys = long.decimated(64, last_step=20)
    assert list(xs) == list(range(1, 21)) and list(ys) == list(range(1, 21))
    xs, ys = long.decimated(8, last_step=1000)  # coarser, still only the first 1,000
    assert len(xs) <= 9 and xs[-1] <= 1000 and float(np.mean(ys)) < 1000
    assert np.array_equal(long.decimated(64, last_step=None)[0], long.decimated(64)[0])
    assert len(long.decimated(64, last_step=0)[0]) == 0
