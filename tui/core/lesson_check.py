"""``torch-tui lessons check``: run every lesson's code the way a learner would.

Each lesson gets one fresh session (the same ``Session`` the app's REPL uses). Its
python blocks and exercises run in document order: a block runs as a cell; an
exercise runs its solution as a cell, then its check against the namespace. That is
the order a learner meets them, so an exercise may use what earlier blocks built.
A failure is reported at the lesson file's line: each cell is padded with blank lines
so the traceback's line numbers are the file's.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tui.core.exercises import run_check
from tui.core.lessons import Block, Exercise, Lesson, display_path

#: Seconds a single block may run before it is interrupted and reported.
BLOCK_TIME_LIMIT = 120.0
_LINE = re.compile(r'File "([^"]*)", line (\d+)')
_LINE_ONLY = re.compile(r"\bline (\d+)\b")


@dataclass
class CheckLine:
    """One line of the report: ``status`` is ok, FAIL or skipped."""

    status: str
    where: str
    what: str
    detail: str = ""

    def render(self) -> str:
        text = f"{self.status:<8}{self.where}  {self.what}".rstrip()
        return f"{text}: {self.detail}" if self.detail else text


def _last_line(text: str, error_type: str | None = None) -> str:
    """The error's own line (``Type: message``), skipping any hint printed after it."""
    lines = [ln.strip() for ln in (text or "").strip().splitlines() if ln.strip()]
    if error_type:
        for ln in reversed(lines):
            if ln.startswith(error_type) or ln.split(":", 1)[0].endswith("." + error_type):
                return ln
    return lines[-1] if lines else "failed"


def error_line(error: str, fallback: int, cell: str | None = None) -> int:
    """The file line of the failure: the last traceback frame in this cell (or any cell)."""
    best = None
    for match in _LINE.finditer(error or ""):
        filename, line = match.group(1), int(match.group(2))
        if (cell is not None and filename == cell) or (cell is None and filename.startswith("<")):
            best = line
    if best is None and cell is not None:
        return error_line(error, fallback)
    if best is None:
        found = _LINE_ONLY.findall(error or "")
        if found:
            best = int(found[-1])
    return best if best is not None and best >= fallback else fallback


def _block_label(lesson: Lesson, block: Block) -> str:
    title = lesson.sections[block.section].title if block.section < len(lesson.sections) else ""
    return f"block {block.index + 1} ({title})" if title else f"block {block.index + 1}"


def _default_session_factory(device: str) -> Any:
    from tui.core.session import Session

    return Session(device=device)


def check_lesson(
    lesson: Lesson,
    device: str = "cpu",
    session_factory: Callable[[str], Any] | None = None,
    time_limit: float = BLOCK_TIME_LIMIT,
) -> Iterator[CheckLine]:
    """Yield one ``CheckLine`` per block and exercise (one FAIL line for a broken file)."""
    name = display_path(lesson.path)
    if lesson.broken:
        yield CheckLine("FAIL", lesson.error or name, "")
        return
    items = list(lesson.items_in_order())
    if not items:
        yield CheckLine("skipped", name, "no python blocks or exercises")
        return
    try:
        session = (session_factory or _default_session_factory)(device)
    except Exception as exc:  # e.g. the device is not available
        yield CheckLine("FAIL", name, "session", f"{type(exc).__name__}: {exc}")
        return
    try:
        for kind, item in items:
            if kind == "block":
                yield _run_block(session, lesson, item, name, time_limit)
            else:
                yield _run_exercise(session, item, name, time_limit)
    finally:
        close = getattr(session, "close", None) or getattr(session, "shutdown", None)
        if callable(close):
            try:
                close()
            except Exception:
                pass


def _execute(session: Any, code: str, first_line: int, time_limit: float) -> Any:
    padded = "\n" * (first_line - 1) + code
    timer = threading.Timer(time_limit, session.interrupt)
    timer.daemon = True
    timer.start()
    try:
        return session.execute(padded)
    finally:
        timer.cancel()


def _cell_name(result: Any) -> str | None:
    number = getattr(result, "number", 0)
    return f"<cell {number}>" if number else None


def _run_block(session: Any, lesson: Lesson, block: Block, name: str, limit: float) -> CheckLine:
    label = _block_label(lesson, block)
    result = _execute(session, block.code, block.line, limit)
    if result.error:
        line = error_line(result.error, block.line, _cell_name(result))
        return CheckLine(
            "FAIL", f"{name}:{line}", label, _last_line(result.error, result.error_type)
        )
    return CheckLine("ok", f"{name}:{block.line}", label)


def _run_exercise(session: Any, exercise: Exercise, name: str, limit: float) -> CheckLine:
    label = f'exercise "{exercise.title}"'
    if not exercise.check.strip():
        return CheckLine(
            "FAIL", f"{name}:{exercise.line}", label, "the exercise has no ```python check``` fence"
        )
    if exercise.solution is None:
        return CheckLine(
            "skipped", f"{name}:{exercise.line}", label, "no solution to check against"
        )
    result = _execute(session, exercise.solution, exercise.solution_line, limit)
    if result.error:
        line = error_line(result.error, exercise.solution_line, _cell_name(result))
        detail = _last_line(result.error, result.error_type)
        return CheckLine("FAIL", f"{name}:{line}", label + " solution", detail)
    outcome = session.submit(run_check, exercise, session.namespace).result()
    if not outcome.passed:
        line = exercise.check_line + max(outcome.line - 1, 0)
        return CheckLine("FAIL", f"{name}:{line}", label + " check", outcome.message)
    return CheckLine("ok", f"{name}:{exercise.line}", label)
