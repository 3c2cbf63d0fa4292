"""Waiting on a condition in Pilot tests: a deadline, never a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable


async def wait_for(
    pilot, condition: Callable[[], object], timeout: float = 30.0, what: str = "condition"
) -> None:
    """Let the app run until ``condition()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await pilot.pause(0.02)
