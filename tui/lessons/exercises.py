"""Exercise checks: assertions run against the learner's namespace, safely and briefly.

A check runs in the kernel (``tui.agent.after_cell``: after every cell on IPython's main
thread, or for ``CheckNow`` on the agent's subshell thread), in a *copy* of the
namespace mapping so names it assigns never leak into the learner's REPL, and under a
time limit (an asynchronous exception raised in the checking thread), so a check that
loops forever fails instead of freezing the REPL. (A single long native op cannot be
interrupted; checks should stay small.) The app only sends the checks' source
(``protocol.ExerciseSpec``) and shows the results.
"""

from __future__ import annotations

import ctypes
import re
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any

from tui.lessons.document import Exercise, Lesson

#: Seconds one exercise's check may run.
CHECK_TIME_LIMIT = 2.0


class CheckTimeout(BaseException):
    """Raised inside a check that ran past its limit (a BaseException so ``except Exception`` misses it)."""


@dataclass(frozen=True)
class CheckResult:
    exercise_id: str
    passed: bool
    message: str
    #: Line of the check (1-based) where it failed; 0 when unknown or passed.
    line: int = 0


def _first_line(text: str) -> str:
    lines = [ln for ln in str(text).strip().splitlines() if ln.strip()]
    return lines[0].strip() if lines else ""


def run_check(
    exercise: Exercise,
    namespace: dict[str, Any],
    time_limit: float = CHECK_TIME_LIMIT,
) -> CheckResult:
    """Run one exercise's check against ``namespace`` without changing it."""
    if not exercise.check.strip():
        return CheckResult(exercise.id, False, "this exercise has no check")
    filename = f"<check {exercise.id}>"
    try:
        code = compile(exercise.check, filename, "exec")
    except SyntaxError as exc:
        return CheckResult(exercise.id, False, f"the check itself has a syntax error: {exc.msg}")
    scope = dict(namespace)  # assignments in the check stay in this copy
    try:
        return _run_in(scope, code, exercise, filename, time_limit)
    finally:
        # A function or class the check defines holds ``scope`` as its globals, and
        # ``scope`` holds it: a cycle that kept every learner object alive (a 2 GB
        # tensor after ``del``) until the kernel's collector ran. Emptied, it holds none.
        scope.clear()


def _run_in(
    scope: dict[str, Any], code: Any, exercise: Exercise, filename: str, time_limit: float
) -> CheckResult:
    alarm = _Alarm(time_limit)
    try:
        try:
            alarm.start()
            exec(code, scope)  # noqa: S102 - lesson checks are the lesson author's code
        except CheckTimeout:
            alarm.delivered = True
            raise
        finally:
            alarm.stop()
    except CheckTimeout:
        return CheckResult(exercise.id, False, f"the check took longer than {time_limit:g} s")
    except AssertionError as exc:
        message = _first_line(str(exc)) or _failing_line(exc, exercise.check, filename)
        line = _line_in(exc, filename)
        if _missing_names(exercise.check, line, scope):  # a guard like NameError's
            return CheckResult(exercise.id, False, f"not yet: {message}", line)
        return CheckResult(exercise.id, False, message, line)
    except NameError as exc:
        return CheckResult(exercise.id, False, f"not yet: {exc}", _line_in(exc, filename))
    except Exception as exc:  # the learner's objects may raise anything
        message = f"{type(exc).__name__}: {_first_line(str(exc))}"
        return CheckResult(exercise.id, False, message, _line_in(exc, filename))
    return CheckResult(exercise.id, True, "passed")


_GUARD = re.compile(r"""["'](\w+)["']\s+in\s+globals\(\)|\b(_\w+)\s+in\s+globals\(\)""")


def _missing_names(check: str, line: int | None, scope: dict[str, Any]) -> list[str]:
    """The names a failed ``assert "x" in globals(), ...`` guard found missing: such an
    exercise is not started yet (as with a NameError), not answered wrong."""
    lines = check.splitlines()
    if line is None or not 0 < line <= len(lines):
        return []
    names = []
    for quoted, variable in _GUARD.findall(lines[line - 1]):
        name = quoted or scope.get(variable)
        if isinstance(name, str):
            names.append(name)
    return [name for name in names if name not in scope]


def _set_async_exc(ident: int, exc: type[BaseException]) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc))


class _Alarm:
    """Raise ``CheckTimeout`` in the calling thread once ``limit`` seconds have passed.

    An asynchronous exception (delivered between bytecodes), not ``sys.settrace``: a
    trace function would also slow every check down. ``stop`` makes sure no timeout
    lands after the check has finished.
    """

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.ident = threading.get_ident()
        self._lock = threading.Lock()
        self._done = False
        self._fired = False
        self.delivered = False
        self._timer = threading.Timer(limit, self._fire)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if not self._done:
                self._fired = True
                _set_async_exc(self.ident, CheckTimeout)

    def stop(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            fired = self._fired
        if fired and not self.delivered:  # it lands at the next bytecode boundary: take it here
            deadline = time.monotonic() + 1.0
            try:
                while time.monotonic() < deadline:
                    _noop()
            except CheckTimeout:
                self.delivered = True
            raise CheckTimeout


def _noop() -> None:
    """A Python-level call: a point where a pending asynchronous exception is delivered."""


def _line_in(exc: BaseException, filename: str) -> int:
    """The line of the check's own code where ``exc`` was raised (0 when not found)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == filename and frame.lineno:
            return frame.lineno
    return 0


def _failing_line(exc: BaseException, source: str, filename: str) -> str:
    """For a bare ``assert``: show the assertion that failed."""
    lines = source.splitlines()
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == filename and frame.lineno and 0 < frame.lineno <= len(lines):
            return f"failed: {lines[frame.lineno - 1].strip()}"
    return "an assertion failed"


def check_all(lesson: Lesson, namespace: dict[str, Any]) -> dict[str, CheckResult]:
    return {ex.id: run_check(ex, namespace) for ex in lesson.exercises}
