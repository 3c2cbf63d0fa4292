"""Waiting on a condition in Pilot tests: a deadline, never a fixed sleep.

A deadline, not a count of pauses: while the app's loop is busy each pause takes as long
as the app keeps it, so a count of 3,000 pauses once let a frozen app hang CI for hours.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


async def wait_for(
    pilot, condition: Callable[[], Any], timeout: float = 30.0, what: str = ""
) -> Any:
    """Let the app run until ``condition()`` is truthy and return it; fail after ``timeout``
    seconds, naming ``what`` (or the condition)."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or condition}")
        await pilot.pause(0.02)
    return value
