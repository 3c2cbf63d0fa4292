"""The REPL's session: a namespace with torch preloaded and one thread that runs all its code.

Every cell, and every other piece of tensor work the UI asks for (``submit``), runs on a
single long-lived daemon thread, so torch only ever builds one OpenMP pool for the REPL
and the UI thread never computes. A cell behaves like the interactive console: several
statements, and the value of a final expression is the result (bound to ``_``).

What a learner can do wrong is handled here, not in the UI: ``exit()`` and friends
never end the app, ``input()`` fails with a clear message, ``help()`` prints instead of
paging, prints are captured per thread and capped, and ``interrupt()`` stops a busy loop
or a ``time.sleep`` with KeyboardInterrupt.
"""

from __future__ import annotations

import ast
import builtins
import codeop
import concurrent.futures
import ctypes
import linecache
import queue
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.core import capture, completion, errors

QUIT_HINT = (
    "exit() does not close torch-tui. Press ctrl+q to quit the app, or run "
    "'repl: reset session' (ctrl+n in the REPL) for a fresh namespace."
)
INTERRUPTED = "KeyboardInterrupt: interrupted (ctrl+c)"
PRELOADED = ("torch", "nn", "F", "np", "device")
#: Frames from these files are ours, not the learner's: tracebacks leave them out.
_OWN_FILES = {__file__, capture.__file__}


@dataclass
class ExecResult:
    """What one cell did: its output, its value or its error, and what it changed."""

    source: str
    stdout: str = ""
    stderr: str = ""
    result: object | None = None
    has_result: bool = False
    error: str | None = None  # formatted, user frames only; None on success
    error_type: str | None = None
    duration: float = 0.0
    changed: list[str] = field(default_factory=list)
    extras: dict[str, object] = field(default_factory=dict)
    number: int = 0
    #: ``repr(result)``, computed on the exec thread (a tensor's repr is tensor work), capped.
    result_repr: str = ""
    #: Output of other threads (e.g. ones the user started) seen since the last cell.
    background: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def interrupted(self) -> bool:
        return self.error_type == "KeyboardInterrupt"


def source_is_complete(source: str) -> bool:
    """False when Enter should add a line: an open bracket or block, or an indented last line.

    Like the console, a block ends with an empty line: ``for ...:`` then an indented body
    stays open until the last line is blank. A syntax error counts as complete, so
    running it shows the error.
    """
    if not source.strip():
        return True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code = codeop.compile_command(source, "<input>", "exec")
    except (SyntaxError, OverflowError, ValueError):
        return True
    if code is None:
        return False
    last = source.split("\n")[-1]
    return not ("\n" in source and last.strip() and last[:1] in " \t")


class _Quitter:
    """``exit``/``quit`` in the namespace: a hint, never the end of the app."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return QUIT_HINT

    def __call__(self, code: object = None) -> None:
        raise SystemExit(code)


def _no_input(prompt: object = "") -> str:
    raise capture.InputRefused(capture.INPUT_MESSAGE)


class _Helper:
    """``help`` that prints the documentation into the cell instead of opening a pager."""

    def __repr__(self) -> str:
        return "Type help(obj) for the documentation of obj, e.g. help(torch.zeros)."

    def __call__(self, obj: object = None) -> None:
        if obj is None:
            print(repr(self))
            return
        import pydoc  # ~55 ms (it loads sysconfig): only when help() is called

        try:
            text = pydoc.render_doc(obj, title="Help on %s", renderer=pydoc.plaintext)
        except ImportError as exc:
            print(f"No documentation found: {exc}")
            return
        print(text)


def _set_async_exc(ident: int, exc: type[BaseException] | None) -> int:
    return ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(ident), ctypes.py_object(exc) if exc is not None else None
    )


def _capped(text: str, limit: int = capture.MAX_CHARS) -> str:
    buf = capture.CappedText(max_chars=limit)
    buf.write(text)
    return buf.getvalue()


class Session:
    """A live Python namespace and the single thread that runs code in it."""

    #: Seconds an interrupt keeps re-sending KeyboardInterrupt (code that swallows one).
    INTERRUPT_RESEND_FOR = 1.0

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self.namespace: dict[str, Any] = {}
        self.post_run_hooks: dict[str, Callable[[ExecResult, dict], object]] = {}
        self.count = 0
        self._lock = threading.Lock()
        self._busy = False  # a job is running on the exec thread
        self._in_user_code = False  # ...and is inside code an interrupt may stop
        self._job = 0
        self._interrupted_job = -1
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._stdout, self._stderr = capture.install()
        self._thread = threading.Thread(target=self._loop, name="torch-tui-repl", daemon=True)
        self._thread.start()
        self._ident: int = self._thread.ident  # type: ignore[assignment]
        capture.install_interruptible_sleep(self._ident)
        self.submit(self._fresh_namespace).result()

    # -- public API ----------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """True while a cell or submitted job runs."""
        return self._busy

    def submit(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> concurrent.futures.Future:
        """Run ``fn`` on the exec thread; prints inside it are discarded."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        if threading.get_ident() == self._ident:  # already on it: run now, no deadlock
            try:
                future.set_result(fn(*args, **kw))
            except BaseException as exc:
                future.set_exception(exc)
            return future
        self._queue.put((future, fn, args, kw))
        return future

    def execute(self, source: str) -> ExecResult:
        """Run one cell and return its record (blocks the caller until it finishes)."""
        return self.submit(self.run_cell, source).result()

    def is_complete(self, source: str) -> bool:
        """False when Enter should add a line (see ``source_is_complete``)."""
        return source_is_complete(source)

    def interrupt(self) -> bool:
        """Raise KeyboardInterrupt in the running cell; False when nothing runs."""
        with self._lock:
            if not (self._busy and self._in_user_code):
                return False
            job = self._job
            self._interrupted_job = job
            _set_async_exc(self._ident, KeyboardInterrupt)
        threading.Thread(target=self._resend, args=(job,), daemon=True).start()
        return True

    def reset(self) -> None:
        """A fresh namespace (a running cell is interrupted first)."""
        self.interrupt()
        future = self.submit(self._fresh_namespace)
        if threading.get_ident() != self._ident:
            try:
                future.result(timeout=5)
            except concurrent.futures.TimeoutError:
                pass  # stuck in native code: the reset runs as soon as the cell returns

    def complete(self, text: str, static: bool | None = None) -> completion.Completions:
        """Names and attributes for the word ending ``text``.

        Off the exec thread while a cell runs, the dotted chain is resolved statically
        (no descriptors run); otherwise with plain ``getattr``.
        """
        if static is None:
            static = self._busy and threading.get_ident() != self._ident
        return completion.complete(text, self.namespace, static=static)

    # -- the exec thread -----------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            future = None
            result: Any = None
            done = False
            try:
                future, fn, args, kw = self._queue.get()
                if not future.set_running_or_notify_cancel():
                    continue
                with self._lock:
                    self._busy = True
                    self._job += 1
                try:
                    if fn == self.run_cell:
                        result = fn(*args, **kw)
                    else:
                        result = self._run_job(fn, args, kw)
                    done = True
                except BaseException as exc:
                    done = True
                    self._leave_user_code()
                    self._finish()
                    future.set_exception(exc)
                    continue
                self._leave_user_code()
                self._finish()
                future.set_result(result)
            except KeyboardInterrupt:  # a late interrupt landed in our own code
                self._leave_user_code()
                self._finish()
                if future is not None and not future.done():
                    if done:
                        future.set_result(result)
                    else:
                        future.set_exception(KeyboardInterrupt())

    def _run_job(self, fn: Callable[..., Any], args: tuple, kw: dict) -> Any:
        """A submitted callable: interruptible, its prints discarded."""
        sink = capture.CappedText(max_chars=1, max_lines=1)
        self._stdout, self._stderr = capture.install()
        self._stdout.targets[self._ident] = sink
        self._stderr.targets[self._ident] = sink
        try:
            self._enter_user_code()
            try:
                return fn(*args, **kw)
            finally:
                self._leave_user_code()
        finally:
            self._stdout.targets.pop(self._ident, None)
            self._stderr.targets.pop(self._ident, None)

    def _finish(self) -> None:
        with self._lock:
            self._busy = False
            _set_async_exc(self._ident, None)

    def _enter_user_code(self) -> None:
        with self._lock:
            self._in_user_code = True

    def _leave_user_code(self) -> None:
        while True:
            try:
                with self._lock:
                    self._in_user_code = False
                    _set_async_exc(self._ident, None)
                return
            except KeyboardInterrupt:
                continue

    def _resend(self, job: int) -> None:
        """Re-send the interrupt for a short while, for code that catches the first one."""
        deadline = time.monotonic() + self.INTERRUPT_RESEND_FOR
        while time.monotonic() < deadline:
            time.sleep(0.2)
            with self._lock:
                if not (self._busy and self._in_user_code and self._job == job):
                    return
                _set_async_exc(self._ident, KeyboardInterrupt)

    def _fresh_namespace(self) -> None:
        import numpy as np
        import torch
        import torch.nn.functional as F  # noqa: N812

        self.namespace.clear()
        self.namespace.update(
            {
                "__name__": "__main__",
                "__builtins__": builtins,
                "torch": torch,
                "nn": torch.nn,
                "F": F,
                "np": np,
                "device": torch.device(self.device),
                "exit": _Quitter("exit"),
                "quit": _Quitter("quit"),
                "input": _no_input,
                "help": _Helper(),
            }
        )

    def run_cell(self, source: str) -> ExecResult:
        """Run a cell here, on the exec thread (``execute`` is the way in from elsewhere)."""
        self.count += 1
        number = self.count
        record = ExecResult(source=source, number=number)
        filename = f"<cell {number}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        out, err = capture.CappedText(), capture.CappedText()
        self._stdout, self._stderr = capture.install()
        me = self._ident
        self._stdout.targets[me] = out
        self._stderr.targets[me] = err
        ns = self.namespace
        before = {k: id(v) for k, v in ns.items()}
        assigned: dict[str, tuple[int, int]] = {}
        start = time.perf_counter()
        try:
            try:
                body, last, assigned = self._compile(source, filename)
                self._enter_user_code()
                try:
                    exec(body, ns)
                    if last is not None:
                        value = eval(last, ns)
                        if value is not None:
                            record.result, record.has_result = value, True
                finally:
                    self._leave_user_code()
            except SystemExit:
                record.error, record.error_type = QUIT_HINT, "SystemExit"
            except KeyboardInterrupt as exc:
                record.error = self._format(exc, INTERRUPTED)
                record.error_type = "KeyboardInterrupt"
            except BaseException as exc:
                record.error = self._format(exc)
                record.error_type = type(exc).__name__
                hint = errors.explain(exc)
                if hint:
                    record.error += "\n" + hint + "\n"
            record.duration = time.perf_counter() - start
            if record.has_result:
                ns["_"] = record.result
                try:
                    record.result_repr = _capped(repr(record.result))
                except BaseException as exc:  # a broken __repr__ is the user's error
                    record.result_repr = f"<repr failed: {type(exc).__name__}: {exc}>"
        finally:
            self._stdout.targets.pop(me, None)
            self._stderr.targets.pop(me, None)
        record.stdout, record.stderr = out.getvalue(), err.getvalue()
        # In the order the cell bound them (the last is the newest); names changed some other
        # way (exec, globals()) follow in namespace order.
        far = (1 << 62, 0)
        record.changed = sorted(
            (
                k
                for k, v in ns.items()
                if not k.startswith("_") and (before.get(k) != id(v) or k in assigned)
            ),
            key=lambda k: assigned.get(k, far),
        )
        for name, hook in list(self.post_run_hooks.items()):
            try:
                record.extras[name] = hook(record, ns)
            except BaseException as exc:  # noqa: BLE001 - a broken hook must not lose the cell
                record.extras[name] = f"{type(exc).__name__}: {exc}"
        record.background = capture.side_buffer().drain()
        return record

    @staticmethod
    def _compile(source: str, filename: str) -> tuple[Any, Any, dict[str, tuple[int, int]]]:
        """Body and (optional) final expression, like the interactive console, plus where each
        name is last bound (line, column), so ``changed`` can list them in the cell's order."""
        tree = ast.parse(source, filename, "exec")
        assigned: dict[str, tuple[int, int]] = {}
        for n in ast.walk(tree):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                assigned[n.id] = max(assigned.get(n.id, (0, 0)), (n.lineno, n.col_offset))
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            expr = ast.Expression(tree.body.pop().value)
            last = compile(expr, filename, "eval")
        body = compile(tree, filename, "exec")
        return body, last, assigned

    @staticmethod
    def _format(exc: BaseException, last_line: str | None = None) -> str:
        """The traceback from the first frame of the user's cell on (ours are dropped)."""
        tb = exc.__traceback__
        while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell "):
            tb = tb.tb_next
        if isinstance(exc, SyntaxError) or tb is None:
            lines = traceback.format_exception_only(type(exc), exc)
        else:
            te = traceback.TracebackException(type(exc), exc, tb, compact=True)
            te.stack = traceback.StackSummary.from_list(
                [f for f in te.stack if f.filename not in _OWN_FILES]
            )
            lines = list(te.format())
        if last_line is not None:
            lines = [*lines[:-1], last_line + "\n"]
        return "".join(lines)
