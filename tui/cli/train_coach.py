"""The coach for ``torch-tui train``: the dashboard's line, printed when it changes.

Reports go into a run-book ``Run`` as in the app, so the CLI and the dashboard read the
same curve through the same rules (``tui.runs.insight.coach_line``).
"""

from __future__ import annotations

import time
from typing import Any, TextIO

#: Seconds between two looks at the curve (and always at the final report).
EVERY = 1.0


class CoachPrinter:
    """Feeds each report to a Run and prints ``coach: ...`` whenever the advice changes."""

    def __init__(self, config: dict[str, Any], out: TextIO, progress: Any = None) -> None:
        from tui.runs.runbook import RunBook

        self.run = RunBook().new("playground", config)
        self.out = out
        self.progress = progress
        self.said = ""
        self.last = -1e9
        self.lines: list[str] = []

    def __call__(self, report: Any) -> None:
        from tui.runs.insight import coach_advice
        from tui.runs.runbook import RunState

        self.run.apply(report)
        if report.error:
            self.run.error = report.error
        now = time.monotonic()
        if not report.final and now - self.last < EVERY:
            return
        self.last = now
        if report.final:
            self.run.move(RunState.DONE)
        advice = coach_advice(self.run)
        rule = advice.rule if advice is not None else ""
        if advice is not None and rule != self.said:  # a new verdict, not new numbers
            self.said = rule
            text = advice.text
            self.lines.append(text)
            width = getattr(self.progress, "width", 0)
            if getattr(self.progress, "tty", False) and width and not report.final:
                self.out.write("\r" + " " * width + "\r")  # the progress line redraws after
            self.out.write(f"coach: {text}\n")
            self.out.flush()


def both(*receivers: Any):
    """One report receiver that calls each of ``receivers`` in turn."""

    def call(report: Any) -> None:
        for receiver in receivers:
            receiver(report)

    return call
