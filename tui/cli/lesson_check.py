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

Each exercise declares at least ``MIN_WRONG_ANSWERS`` wrong answers (```` ```python wrong
```` fences: a borrowed library call, the example's output, a hard-coded value), and its
check must fail every one: a check that a cheat passes cannot tell whether the learner
did the exercise either. They run after the check-before, each as a cell in a fresh copy
of the namespace the solution would run in (``tui.lessons.snapshot``: a deep copy, and
the random state, grad mode and dtype of that moment; what cannot be copied is shared,
unless the check or a wrong answer names it: then the lesson's cells up to the exercise
are re-run from the namespace the lesson started with), then the original namespace
comes back and the solution runs.
A wrong answer that raises fails too: it must run, so that the check is what rejects it.
"""

from __future__ import annotations

import ast
import asyncio
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tui.console import outputs as cells
from tui.lessons.document import Block, Exercise, Lesson, WrongAnswer
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
#: What a check that passes a declared wrong answer is told.
WRONG_PASSES = "passes its check: the check cannot tell this wrong answer from a real one"
#: The fewest wrong answers an exercise declares.
MIN_WRONG_ANSWERS = 2
#: Seconds copying or restoring a lesson's namespace may take.
SNAPSHOT_LIMIT = 120.0
#: Seconds a kernel may take to start and import torch.
START_LIMIT = 180.0
_SNAPSHOT = "__import__('tui.lessons.snapshot', fromlist=['take'])"
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

    def snapshot(self, op: str) -> list[str]:
        """Call ``tui.lessons.snapshot.<op>()`` in the kernel (a silent cell); what it
        returns when that is a list of names (``take``), else []."""
        return self.loop.run_until_complete(self._snapshot(op))

    async def _snapshot(self, op: str) -> list[str]:
        from tui.kernel.link import KernelGone

        if self.link.dead:
            raise KernelEnded("the kernel ended earlier in this lesson")
        try:
            reply = await self.link.execute_silent(
                "pass", {"r": f"{_SNAPSHOT}.{op}()"}, timeout=SNAPSHOT_LIMIT
            )
        except KernelGone:
            raise KernelEnded("the kernel ended earlier in this lesson") from None
        result = reply.get("user_expressions", {}).get("r", {})
        if reply.get("status") != "ok" or result.get("status") != "ok":
            why = f"{result.get('ename', '')}: {result.get('evalue', '')}".strip(": ")
            raise RuntimeError(why or f"snapshot.{op} did not answer")
        try:
            value = ast.literal_eval(result.get("data", {}).get("text/plain", "None"))
        except (ValueError, SyntaxError):
            return []
        return [str(v) for v in value] if isinstance(value, list) else []

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
    #: The cells that ran so far without an error (blocks and solutions): what rebuilds
    #: the namespace at an exercise when it cannot be copied.
    history: list[tuple[str, int]] = []
    try:
        try:
            runner.start()
            if any(ex.wrongs for ex in lesson.exercises):
                runner.snapshot("begin")
        except Exception as exc:  # e.g. the device is not there, or ipykernel is missing
            yield CheckLine("FAIL", name, "kernel", str(exc) or type(exc).__name__)
            return
        for kind, item in items:
            try:
                if kind == "block":
                    line = _run_block(runner, lesson, item, name, time_limit)
                    if line.status == "ok":
                        history.append((item.code, item.line))
                    yield line
                else:
                    yield from _run_exercise(runner, lesson, item, name, time_limit, history)
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
    runner: Any,
    lesson: Lesson,
    exercise: Exercise,
    name: str,
    limit: float,
    history: list[tuple[str, int]],
) -> Iterator[CheckLine]:
    """Its check before the solution (must fail), its wrong answers (each must fail),
    then the solution and the check (must pass): ``ok`` only when all of that holds."""
    label = f'exercise "{exercise.title}"'
    if not exercise.check.strip():
        yield CheckLine(
            "FAIL", f"{name}:{exercise.line}", label, "the exercise has no ```python check``` fence"
        )
        return
    if exercise.solution is None:
        yield CheckLine("skipped", f"{name}:{exercise.line}", label, "no solution to check against")
        return
    problems = 0
    declared = len(exercise.wrongs)
    if declared < MIN_WRONG_ANSWERS:
        problems += 1
        yield CheckLine(
            "FAIL",
            f"{name}:{exercise.line}",
            label,
            f"it declares {declared or 'no'} wrong answer{'' if declared == 1 else 's'}; an "
            f"exercise declares at least {MIN_WRONG_ANSWERS} (```python wrong``` fences: "
            "a borrowed call, the example's output, a hard-coded value) that its check fails",
        )
    before = _checked(runner, lesson, exercise, name, label + " check (before the solution)")
    if isinstance(before, CheckLine):
        yield before
        return
    if before.passed:
        yield CheckLine("FAIL", f"{name}:{exercise.check_line}", label, PASSES_BEFORE)
        return
    for line in _run_wrongs(runner, lesson, exercise, name, limit, history):
        problems += 1
        yield line
    ran = runner.run(exercise.solution, exercise.solution_line, limit)
    if not ran.ok:
        yield CheckLine("FAIL", f"{name}:{ran.line}", label + " solution", ran.detail)
        return
    history.append((exercise.solution, exercise.solution_line))
    row = _checked(runner, lesson, exercise, name, label + " check")
    if isinstance(row, CheckLine):
        yield row
        return
    if not row.passed:
        line = exercise.check_line + max(row.line - 1, 0)
        yield CheckLine("FAIL", f"{name}:{line}", label + " check", row.message)
        return
    if not problems:
        rejects = f"its check rejects {declared} wrong answer{'' if declared == 1 else 's'}"
        yield CheckLine("ok", f"{name}:{exercise.line}", label, rejects if declared else "")


def _run_wrongs(
    runner: Any,
    lesson: Lesson,
    exercise: Exercise,
    name: str,
    limit: float,
    history: list[tuple[str, int]],
) -> Iterator[CheckLine]:
    """Each wrong answer in a fresh copy of the namespace the solution would run in: a
    FAIL line for each one that passes the check (or does not run); then the original
    namespace is back."""
    if not exercise.wrongs:
        return
    label = f'exercise "{exercise.title}"'
    try:
        uncopyable = runner.snapshot("take")
    except KernelEnded:
        raise
    except Exception as exc:  # noqa: BLE001 - reported; the solution still runs
        detail = f"the namespace could not be kept for its wrong answers: {exc}"
        yield CheckLine("FAIL", f"{name}:{exercise.line}", label, detail)
        return
    # What cannot be copied is shared, unless the check or a wrong answer names it.
    texts = [exercise.check, *(w.code for w in exercise.wrongs)]
    needed = [n for n in uncopyable if any(re.search(rf"\b{re.escape(n)}\b", t) for t in texts)]
    for number, wrong in enumerate(exercise.wrongs, 1):
        what = f"{label} {wrong.name(number)}"
        rebuilt = _fresh_namespace(runner, needed, history, limit)
        if rebuilt is not None:
            yield CheckLine("FAIL", f"{name}:{wrong.line}", what, rebuilt)
            continue
        yield from _run_wrong(runner, lesson, exercise, wrong, what, name, limit)
    try:
        runner.snapshot("restore")
    except KernelEnded:
        raise
    except Exception as exc:  # noqa: BLE001 - the lines after this one may be wrong
        detail = f"the namespace could not be restored after its wrong answers: {exc}"
        yield CheckLine("FAIL", f"{name}:{exercise.line}", label, detail)


def _fresh_namespace(
    runner: Any, uncopyable: list[str], history: list[tuple[str, int]], limit: float
) -> str | None:
    """Give the next wrong answer the namespace of the exercise: a copy, or where some of
    it that the wrong answers or the check use cannot be copied, the lesson's cells re-run
    from its start. None, or why not."""
    if not uncopyable:
        runner.snapshot("fresh")
        return None
    runner.snapshot("blank")
    for code, first_line in history:
        ran = runner.run(code, first_line, limit)
        if not ran.ok:
            return (
                f"the lesson's cells, re-run for it because {', '.join(uncopyable)} cannot "
                f"be copied, failed at line {ran.line}: {ran.detail}"
            )
    runner.snapshot("rewind")
    return None


def _run_wrong(
    runner: Any,
    lesson: Lesson,
    exercise: Exercise,
    wrong: WrongAnswer,
    what: str,
    name: str,
    limit: float,
) -> Iterator[CheckLine]:
    ran = runner.run(wrong.code, wrong.line, limit)
    if not ran.ok:
        detail = (
            f"it did not run ({ran.detail}): a wrong answer must run, so that its check rejects it"
        )
        yield CheckLine("FAIL", f"{name}:{ran.line}", what, detail)
        return
    row = _checked(runner, lesson, exercise, name, what + " check")
    if isinstance(row, CheckLine):
        yield row
    elif row.passed:
        yield CheckLine("FAIL", f"{name}:{wrong.line}", what, WRONG_PASSES)


def _checked(runner: Any, lesson: Lesson, exercise: Exercise, name: str, what: str) -> Any:
    """The check's result row, or the FAIL line when the kernel did not answer."""
    try:
        return runner.check(lesson.id, exercise)
    except KernelEnded:
        raise
    except Exception as exc:  # noqa: BLE001 - the kernel died or did not answer
        detail = str(exc) or type(exc).__name__
        return CheckLine("FAIL", f"{name}:{exercise.check_line}", what, detail)
