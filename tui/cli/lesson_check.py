"""``torch-tui lessons check``: run every lesson's code the way a learner would.

Each lesson gets a fresh kernel, driven through the same link and agent as the app's
REPL (``tui.kernel``, ``tui.agent``), so the CLI and the app execute code the same way.
Its python blocks and exercises run in document order: a block runs as a cell; an
exercise runs its solution as a cell, then its check in the kernel (``SetExercises`` and
``CheckNow``). That is the order a learner meets them, so an exercise may use what
earlier blocks built. Each check also runs once before its solution, in the namespace the
lesson leaves there, and must fail: a check that passes before the learner has done
anything cannot tell whether they did the exercise. A failure is reported at the lesson file's line (IPython numbers a
cell's lines from its first non-blank one; the block knows where that is in the file).
A block that runs past the time limit is interrupted (SIGINT to the kernel's group).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tui.console import outputs as cells
from tui.lessons.document import Block, Exercise, Lesson
from tui.lessons.exercises import CHECK_TIME_LIMIT
from tui.lessons.library import display_path
from tui.platform.text import strip_escapes

#: Seconds a single block may run before it is interrupted and reported.
BLOCK_TIME_LIMIT = 120.0
#: Seconds an interrupted block has to stop before its kernel is killed.
INTERRUPT_GRACE = 10.0
#: What a check that cannot fail is told.
PASSES_BEFORE = (
    "its check passes before the solution runs, so it cannot tell whether the learner "
    "did the exercise"
)
#: Seconds a kernel may take to start and import torch.
START_LIMIT = 180.0
_CELL_LINE = re.compile(r"Cell In\[(\d+)\], line (\d+)")


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


def cell_line(traceback: str, number: int) -> int | None:
    """The line (within the cell) of the innermost traceback frame in cell ``number``."""
    found = [int(line) for n, line in _CELL_LINE.findall(traceback) if int(n) == number]
    if not found:  # a cell number we did not see: any cell's frame
        found = [int(line) for _, line in _CELL_LINE.findall(traceback)]
    return found[-1] if found else None


def _leading_blank_lines(code: str) -> int:
    """Lines IPython drops from the top of a cell before numbering the rest."""
    count = 0
    for line in code.split("\n"):
        if line.strip():
            break
        count += 1
    return count


def _block_label(lesson: Lesson, block: Block) -> str:
    title = lesson.sections[block.section].title if block.section < len(lesson.sections) else ""
    return f"block {block.index + 1} ({title})" if title else f"block {block.index + 1}"


class _NotStarted(RuntimeError):
    """The kernel or its agent did not come up (worth one more try)."""


class KernelEnded(RuntimeError):
    """The lesson's kernel is gone: what is left of the lesson cannot run."""


@dataclass
class Ran:
    """How one cell went, as the report needs it."""

    ok: bool
    #: The file line of the failure (the block's first line when unknown).
    line: int = 0
    detail: str = ""


class KernelRunner:
    """A fresh kernel with the agent, driven synchronously (its own event loop)."""

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self.loop = asyncio.new_event_loop()
        self.link: Any = None
        self.process: Any = None
        self.events: list[Any] = []

    # -- life ------------------------------------------------------------------------
    def start(self, attempts: int = 2) -> None:
        """Spawn the kernel and load the agent; RuntimeError says why it did not start.

        A kernel that fails to come up is replaced once: on a loaded 2-core box a start
        request can miss its deadline while torch imports."""
        for attempt in range(attempts):
            try:
                self.loop.run_until_complete(self._start())
                return
            except _NotStarted:
                if attempt + 1 >= attempts:
                    raise
                self.loop.run_until_complete(self._discard())

    async def _start(self) -> None:
        from tui.kernel import link as kl
        from tui.kernel.launch import spawn_kernel

        self.process = spawn_kernel()
        self.link = kl.KernelLink(
            self.process.connection_file, self._on_event, self.process, self.device
        )
        try:
            await asyncio.wait_for(self.link.start(), START_LIMIT)
        except TimeoutError:
            raise _NotStarted(f"the kernel did not start within {START_LIMIT:g} s") from None
        if not self.link.ready.is_set():
            reasons = [
                getattr(e, "text", "")
                or getattr(e, "reason", "")
                or (f"no answer to {e.what}" if getattr(e, "what", "") else "")
                for e in self.events
            ]
            why = next((r for r in reasons if r), "no reason given")
            log = self.process.log_tail() if self.process is not None else ""
            if log and log not in why:  # a death's reason already names the log's error
                why += f" ({log})"
            raise _NotStarted(f"the kernel did not start: {why}")
        welcome = self.link.welcome
        if welcome is not None and welcome.warning and welcome.device != self.device:
            raise RuntimeError(welcome.warning)

    async def _discard(self) -> None:
        link, self.link = self.link, None
        if link is not None:
            await link.close(kill=True)
        elif self.process is not None:
            self.process.kill()
        self.process = None
        self.events.clear()

    def _on_event(self, event: Any) -> None:
        from tui.kernel import link as kl

        self.events.append(event)
        if isinstance(event, kl.InputWanted) and self.link is not None:
            self.link.send_input("")  # nobody types here: input() reads an empty line

    def close(self) -> None:
        try:
            if self.link is not None:
                self.loop.run_until_complete(self.link.close(kill=True))
            elif self.process is not None:
                self.process.kill()
            left = asyncio.all_tasks(self.loop)  # the link's probes and readers
            for task in left:
                task.cancel()
            if left:
                self.loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        finally:
            self.loop.close()

    # -- cells -----------------------------------------------------------------------
    def run(self, code: str, first_line: int, time_limit: float) -> Ran:
        return self.loop.run_until_complete(self._run(code, first_line, time_limit))

    async def _run(self, code: str, first_line: int, time_limit: float) -> Ran:
        link = self.link
        if link.dead:
            raise KernelEnded("the kernel ended earlier in this lesson")
        timed_out = []

        def interrupt() -> None:
            timed_out.append(True)
            link.interrupt()

        def kill() -> None:
            if self.process is not None:
                self.process.kill()

        loop = asyncio.get_running_loop()
        timers = [
            loop.call_later(time_limit, interrupt),
            loop.call_later(time_limit + INTERRUPT_GRACE, kill),
        ]
        try:
            outcome = await link.execute(code, lambda out: None)
        finally:
            for timer in timers:
                timer.cancel()
        if outcome.ok:
            return Ran(True, first_line)
        if outcome.status == "died":
            why = f"the kernel ended ({self.process.exit_reason()})" if self.process else ""
            if timed_out:
                why = f"ran longer than {time_limit:g} s and did not stop when interrupted"
            return Ran(False, first_line, why or "the kernel ended")
        tb = next((o for o in outcome.outputs if isinstance(o, cells.ErrorOut)), None)
        text = strip_escapes(tb.traceback) if tb is not None else ""
        where = cell_line(text, outcome.number)
        line = first_line + _leading_blank_lines(code) + where - 1 if where else first_line
        detail = _last_line(text, outcome.error_name) if text else outcome.error_name
        if not text or detail == "failed":
            detail = f"{outcome.error_name}: {outcome.error_value}".strip(": ")
        if timed_out and outcome.interrupted:
            detail = f"ran longer than {time_limit:g} s (interrupted)"
        return Ran(False, max(line, first_line), detail)

    def check(self, lesson_id: str, exercise: Exercise) -> Any:
        """The exercise's check in the kernel, as a ``CheckResultRow``."""
        return self.loop.run_until_complete(self._check(lesson_id, exercise))

    async def _check(self, lesson_id: str, exercise: Exercise) -> Any:
        from tui.protocol import messages as p

        if self.link.dead:
            raise KernelEnded("the kernel ended earlier in this lesson")
        spec = p.ExerciseSpec(exercise.id, exercise.title, exercise.check, exercise.check_line)
        link = self.link
        await link.agent(p.SetExercises(lesson=lesson_id, exercises=[spec]))
        try:
            checks = await link.agent(p.CheckNow(), timeout=CHECK_TIME_LIMIT + 10)
        finally:  # the next cells must not run this check after them
            await link.agent(p.SetExercises(lesson=lesson_id, exercises=[]))
        return checks.results[0]


def check_lesson(
    lesson: Lesson,
    device: str = "cpu",
    runner_factory: Callable[[str], Any] | None = None,
    time_limit: float = BLOCK_TIME_LIMIT,
) -> Iterator[CheckLine]:
    """Yield one ``CheckLine`` per block and exercise (one FAIL line for a broken file, and
    one for each of a lesson's warnings, such as a fence flag the format does not know)."""
    name = display_path(lesson.path)
    if lesson.broken:
        yield CheckLine("FAIL", lesson.error or name, "")
        return
    for warning in lesson.warnings:
        yield CheckLine("FAIL", warning, "")
    items = list(lesson.items_in_order())
    if not items:
        yield CheckLine("skipped", name, "no python blocks or exercises")
        return
    runner = (runner_factory or KernelRunner)(device)
    try:
        try:
            runner.start()
        except Exception as exc:  # e.g. the device is not there, or ipykernel is missing
            yield CheckLine("FAIL", name, "kernel", str(exc) or type(exc).__name__)
            return
        for kind, item in items:
            try:
                if kind == "block":
                    yield _run_block(runner, lesson, item, name, time_limit)
                else:
                    yield _run_exercise(runner, lesson, item, name, time_limit)
            except KernelEnded as exc:  # reported once, as the FAIL that ended it
                line = item.line
                what = _block_label(lesson, item) if kind == "block" else f'exercise "{item.title}"'
                yield CheckLine("skipped", f"{name}:{line}", what, str(exc))
    finally:
        try:
            runner.close()
        except Exception:  # noqa: BLE001 - the report matters more than a clean exit
            pass


def _run_block(runner: Any, lesson: Lesson, block: Block, name: str, limit: float) -> CheckLine:
    label = _block_label(lesson, block)
    ran = runner.run(block.code, block.line, limit)
    if not ran.ok:
        return CheckLine("FAIL", f"{name}:{ran.line}", label, ran.detail)
    return CheckLine("ok", f"{name}:{block.line}", label)


def _run_exercise(
    runner: Any, lesson: Lesson, exercise: Exercise, name: str, limit: float
) -> CheckLine:
    label = f'exercise "{exercise.title}"'
    if not exercise.check.strip():
        return CheckLine(
            "FAIL", f"{name}:{exercise.line}", label, "the exercise has no ```python check``` fence"
        )
    if exercise.solution is None:
        return CheckLine(
            "skipped", f"{name}:{exercise.line}", label, "no solution to check against"
        )
    before = _checked(runner, lesson, exercise, name, label + " check (before the solution)")
    if isinstance(before, CheckLine):
        return before
    if before.passed:
        return CheckLine("FAIL", f"{name}:{exercise.check_line}", label, PASSES_BEFORE)
    ran = runner.run(exercise.solution, exercise.solution_line, limit)
    if not ran.ok:
        return CheckLine("FAIL", f"{name}:{ran.line}", label + " solution", ran.detail)
    row = _checked(runner, lesson, exercise, name, label + " check")
    if isinstance(row, CheckLine):
        return row
    if not row.passed:
        line = exercise.check_line + max(row.line - 1, 0)
        return CheckLine("FAIL", f"{name}:{line}", label + " check", row.message)
    return CheckLine("ok", f"{name}:{exercise.line}", label)


def _checked(runner: Any, lesson: Lesson, exercise: Exercise, name: str, what: str) -> Any:
    """The check's result row, or the FAIL line when the kernel did not answer."""
    try:
        return runner.check(lesson.id, exercise)
    except KernelEnded:
        raise
    except Exception as exc:  # noqa: BLE001 - the kernel died or did not answer
        detail = str(exc) or type(exc).__name__
        return CheckLine("FAIL", f"{name}:{exercise.check_line}", what, detail)
