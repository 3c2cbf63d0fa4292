"""A loss history that stays small and draws in time independent of its length.

``LossSeries`` keeps the raw per-step losses (float32, the step is the index) plus a
pyramid of block means: level ``k`` holds the mean of each block of ``2**k`` steps. A
redraw asks ``decimated(n)`` for at most ``n`` points and reads one level, so its cost is
O(n), not O(steps): a million steps draw as fast as a thousand. Appends are amortised
O(1) per step. One million steps take about 8.4 MB (raw 4 MB + the pyramid 4 MB).
"""

from __future__ import annotations

import numpy as np

_MIN_CAPACITY = 1024


class _Buffer:
    """A growable float32 array (capacity doubles, so appends are amortised O(1))."""

    __slots__ = ("data", "size")

    def __init__(self, capacity: int = _MIN_CAPACITY) -> None:
        self.data = np.empty(capacity, dtype=np.float32)
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        need = self.size + len(values)
        if need > len(self.data):
            cap = max(len(self.data) * 2, _MIN_CAPACITY)
            while cap < need:
                cap *= 2
            grown = np.empty(cap, dtype=np.float32)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size : need] = values
        self.size = need

    def view(self) -> np.ndarray:
        return self.data[: self.size]


class LossSeries:
    """Per-step losses of one run, with an O(width) decimation for the plot."""

    def __init__(self, label: str = "", first_step: int = 1) -> None:
        self.label = label
        self.first_step = first_step
        self._levels: list[_Buffer] = [_Buffer()]

    def __len__(self) -> int:
        return self._levels[0].size

    @property
    def nbytes(self) -> int:
        return sum(b.data.nbytes for b in self._levels)

    @property
    def last_step(self) -> int:
        return self.first_step + len(self) - 1

    def raw(self) -> np.ndarray:
        """All per-step losses (a view: do not keep it across appends)."""
        return self._levels[0].view()

    def steps(self) -> np.ndarray:
        return np.arange(self.first_step, self.first_step + len(self), dtype=np.int64)

    def last(self) -> float | None:
        raw = self.raw()
        return float(raw[-1]) if len(raw) else None

    def extend(self, losses: np.ndarray | list[float]) -> None:
        """Append a batch of losses (steps follow on from the last one)."""
        values = np.asarray(losses, dtype=np.float32).ravel()
        if not len(values):
            return
        self._levels[0].extend(values)
        k = 1
        while True:
            below = self._levels[k - 1]
            if below.size < 2:
                break
            if k == len(self._levels):
                self._levels.append(_Buffer(max(_MIN_CAPACITY, below.size)))
            level = self._levels[k]
            done, target = level.size, below.size // 2
            if target > done:
                src = below.data[2 * done : 2 * target]
                level.extend((src[0::2] + src[1::2]) * np.float32(0.5))
            k += 1

    def decimated(
        self, max_points: int, last_step: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(steps, losses)`` of at most ``max_points + 1`` block means covering every step
        (up to ``last_step``, when given: an older run drawn on a shorter run's axis).

        Picks the finest pyramid level that fits, plus the mean of the unfinished tail
        block, so the newest steps always show. Cost O(max_points).
        """
        n = len(self)
        if last_step is not None:
            n = max(0, min(n, last_step - self.first_step + 1))
        if n == 0:
            return np.empty(0, dtype=np.float64), np.empty(0, dtype=np.float32)
        max_points = max(1, max_points)
        k = 0  # level k holds n >> k block means of the first n steps
        while k + 1 < len(self._levels) and (n >> k) > max_points:
            k += 1
        block = 1 << k
        level = self._levels[k].data[: n >> k]
        ys = level
        covered = len(level) * block
        # Block centres, in steps.
        xs = self.first_step + np.arange(len(level), dtype=np.float64) * block + block // 2
        if covered < n:
            tail = self._levels[0].data[covered:n]
            xs = np.append(xs, self.first_step + covered + len(tail) // 2)
            ys = np.append(ys, np.float32(tail.mean()))
        return xs, ys


def ema(values: np.ndarray, span_points: float = 10.0) -> np.ndarray:
    """Exponential moving average over the (already decimated) points, for a smooth curve."""
    if len(values) == 0:
        return values
    alpha = 2.0 / (span_points + 1.0)
    out = np.empty(len(values), dtype=np.float64)
    acc = float(values[0])
    for i, v in enumerate(values.tolist()):
        acc = alpha * v + (1 - alpha) * acc
        out[i] = acc
    return out


def log10_safe(values: np.ndarray) -> np.ndarray:
    """log10 of losses for the log view, with zeros and negatives clipped (no math errors)."""
    return np.log10(np.clip(np.asarray(values, dtype=np.float64), 1e-12, None))


def whole_ticks(lo: float, hi: float, count: int = 5) -> list[int]:
    """Up to ``count`` tick positions on a step axis: whole steps on round numbers (a
    step is never 598.5), spread from ``lo`` to ``hi``."""
    lo_i, hi_i = int(np.ceil(lo)), int(np.floor(hi))
    if hi_i <= lo_i:
        return [lo_i]
    raw = (hi_i - lo_i) / max(1, count - 1)
    magnitude = 10 ** int(np.floor(np.log10(raw))) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = -(-lo_i // step) * step  # the first multiple of step at or after lo
    return list(range(first, hi_i + 1, step)) or [lo_i]
