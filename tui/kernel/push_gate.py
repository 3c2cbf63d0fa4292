"""A rate gate for what the agent pushes unasked (cell payloads, training reports).

The learner's code can reach the agent's comms, so a loop of 20,000 pushes must not keep
the UI busy for half a minute. Pushes pass a token bucket; past it, the latest push of
each kind waits for the next free slot and the one it replaces is dropped and counted,
unless the kind can be merged: a training run's reports carry each step's loss once, so
a waiting report takes in the next one (``merge``) instead of losing its steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Two waiting pushes of one kind made into one, or None when they cannot be.
Merge = Callable[[Any, Any], Any]

#: Pushes a second once the burst is spent, and the burst itself.
RATE = 40.0
BURST = 80


class PushGate:
    def __init__(self, rate: float = RATE, burst: int = BURST) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._last: float | None = None
        self._waiting: dict[str, Any] = {}
        self._dropped = 0

    @property
    def waiting(self) -> bool:
        return bool(self._waiting)

    def _refill(self, now: float) -> None:
        if self._last is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

    def offer(self, kind: str, item: Any, now: float, merge: Merge | None = None) -> list[Any]:
        """What to deliver now: ``item`` (after any older waiting pushes), or nothing."""
        self._refill(now)
        if not self._waiting and self._tokens >= 1:
            self._tokens -= 1
            return [item]
        if kind in self._waiting:
            older = self._waiting.pop(kind)  # re-inserted last: delivery keeps arrival order
            both = merge(older, item) if merge is not None else None
            if both is None:
                self._dropped += 1
            else:
                item = both
        self._waiting[kind] = item
        return self.release(now)

    def release(self, now: float) -> list[Any]:
        """Waiting pushes that have a slot now, oldest first."""
        self._refill(now)
        out = []
        while self._waiting and self._tokens >= 1:
            kind = next(iter(self._waiting))
            out.append(self._waiting.pop(kind))
            self._tokens -= 1
        return out

    def wait_s(self, now: float) -> float:
        """Seconds until the next slot frees."""
        self._refill(now)
        return max(0.005, (1 - self._tokens) / self.rate)

    def take_dropped(self) -> int:
        dropped, self._dropped = self._dropped, 0
        return dropped
