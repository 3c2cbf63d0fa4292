"""The REPL pane: an output log, a Python input, and the inspector beside them.

Cells never run on the UI thread: an async worker hands each one to the session's exec
thread (``session.submit``) and awaits the future, so the event loop keeps drawing while
a cell runs. Cells typed before torch has loaded wait in a queue and run once the app
publishes ``torch_ready_signal`` (the session is created in the loader worker).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Static

from tui.core.history import History
from tui.widgets import repl_render as render
from tui.widgets.deferred import Deferred, after_build
from tui.widgets.pane import Pane

if TYPE_CHECKING:  # the body's widgets are imported by compose_body, after frame 1
    from textual.widgets import RichLog

    from tui.core.session import ExecResult, Session
    from tui.widgets.inspector import InspectorPanel
    from tui.widgets.repl_input import ReplInput

STILL_RUNNING_AFTER = 1.0  # seconds after ctrl+c before saying "stuck in native code"


class ReplPane(Deferred, Pane):
    PLACEHOLDER = "starting the REPL…"
    AREA = "repl"
    PANE_TITLE = "REPL"
    FKEY = "F3"
    HELP = """\
# REPL

Python with `torch`, `nn`, `F` (torch.nn.functional), `np` and `device` preloaded.
The value of a cell's last expression is shown as `Out[n]` and bound to `_`; tensors,
modules and optimizers get a card in the inspector beside the log.

| Key | Does |
|---|---|
| enter | run the cell when it is complete, else add an (indented) line |
| ctrl+j / alt+enter | always add a line (shift+enter is not seen by most terminals) |
| an empty last line + enter | ends a block (`for`, `def`, `if`, ...) and runs it |
| up / down | previous / next cell from history (on the first / last line) |
| ctrl+r | search history backwards; enter accepts, esc cancels |
| tab | complete a name or attribute (indents at the start of a line) |
| ctrl+c | interrupt the running cell (copies a selection when nothing runs) |
| ctrl+n | reset the session: a fresh namespace |
| ctrl+l | clear the output log |
| ctrl+o | show or hide the inspector |
| f6 | focus the inspector (esc goes back to the input) |

`exit()` does not close the app: quit with ctrl+q. `input()` is not available (the
terminal belongs to the UI): assign values directly. A cell stuck inside one long torch
operation stops when that operation returns to Python.
"""
    COMMANDS = [
        ("reset session", "reset_session", "A fresh namespace (torch, nn, F, np, device)"),
        ("interrupt", "interrupt", "Stop the running cell with KeyboardInterrupt"),
        ("clear output", "clear_output", "Clear the REPL's output log"),
        ("toggle inspector", "toggle_inspector", "Show or hide the inspector"),
        ("focus inspector", "focus_inspector", "Move the keyboard into the inspector"),
    ]
    BINDINGS = [
        Binding("ctrl+n", "reset_session", "Reset", show=False),
        Binding("ctrl+l", "clear_output", "Clear", show=False),
        Binding("ctrl+o", "toggle_inspector", "Inspector", show=False),
        # priority: the input (a TextArea) binds f6 to "select line"
        Binding("f6", "focus_inspector", "Focus the inspector", show=False, priority=True),
    ]
    SCOPED_CSS = False  # the narrow-layout rules start at MainScreen
    DEFAULT_CSS = """
    ReplPane #repl-body { height: 1fr; }
    ReplPane #repl-main { width: 3fr; }
    ReplPane #repl-log { height: 1fr; background: $surface; scrollbar-size-vertical: 1; }
    ReplPane #repl-hint { height: auto; max-height: 4; color: $text-muted; display: none; }
    ReplPane #repl-hint.-shown { display: block; }
    ReplPane #repl-status { height: 1; color: $warning; display: none; }
    ReplPane #repl-status.-shown { display: block; }
    ReplPane #repl-inspector { width: 2fr; }
    ReplPane.-toggled #repl-inspector { display: none; }
    MainScreen.-narrow ReplPane #repl-body { layout: vertical; }
    MainScreen.-narrow ReplPane #repl-main { width: 1fr; height: 1fr; }
    MainScreen.-narrow ReplPane #repl-inspector { display: none; width: 1fr; height: 1fr; }
    MainScreen.-narrow ReplPane.-toggled #repl-inspector { display: block; }
    """

    class CellDone(Message, bubble=True):
        """Posted after every cell (typed or sent by another pane) with its record."""

        def __init__(self, record: ExecResult) -> None:
            super().__init__()
            self.record = record

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session: Session | None = None
        self.history = History()
        self._pending: deque[tuple[str, bool]] = deque()
        self._draining = False
        self._running_since: float | None = None
        self._running_number: int | None = None
        self._interrupt_at: float | None = None
        self._echo_number = 0
        self._ready = asyncio.Event()
        self._history_dirty = False

    def compose_body(self) -> ComposeResult:
        """After the first frame (see ``Deferred``), with the imports of its widgets."""
        from textual.widgets import RichLog

        from tui.widgets.inspector import InspectorPanel
        from tui.widgets.repl_input import ReplInput

        with Horizontal(id="repl-body"):
            with Vertical(id="repl-main"):
                yield RichLog(
                    id="repl-log", wrap=True, markup=False, highlight=False, max_lines=4000
                )
                yield Static(id="repl-hint", markup=False)
                yield Static(id="repl-status", markup=False)
                yield ReplInput(history=self.history, id="repl-input")
            yield InspectorPanel(id="repl-inspector")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return True if self.built else None  # no input or log yet: nothing to act on

    def on_built(self) -> None:
        self.input.border_title = "In [1]"
        self.log_widget.write(
            render.render_note(
                "Python with torch, nn, F, np and device. Enter runs, ctrl+j adds a line, "
                "ctrl+c interrupts, F1 for keys."
            )
        )
        # Runs only while a cell runs or history waits to be saved: every wake of the UI
        # thread takes the GIL from a training thread (benchmarks/bench_training.py).
        self._ticker = self.set_interval(0.25, self._tick, pause=True)
        if getattr(self.app, "session", None) is not None:
            self._session_ready()
        else:
            signal = getattr(self.app, "torch_ready_signal", None)
            if signal is not None:
                signal.subscribe(self, lambda _info: self._session_ready())

    def on_unmount(self) -> None:
        if self._history_dirty:
            self.history.save()
        else:  # a save from _tick may be mid-write: quitting must not cut it (os._exit)
            self.history.wait_saved()

    def _session_ready(self) -> None:
        session = getattr(self.app, "session", None)
        if session is None:
            error = getattr(self.app, "session_error", None) or "torch did not load"
            self.log_widget.write(render.render_note(f"The REPL cannot start: {error}", "red"))
            return
        self.session = session
        self._ready.set()
        self._update_prompt()

    # -- parts -------------------------------------------------------------------------
    @property
    def input(self) -> ReplInput:
        return self.query_one("#repl-input")  # type: ignore[return-value]

    @property
    def log_widget(self) -> RichLog:
        return self.query_one("#repl-log")  # type: ignore[return-value]

    @property
    def inspector(self) -> InspectorPanel:
        return self.query_one("#repl-inspector")  # type: ignore[return-value]

    def default_focus_target(self) -> ReplInput:
        return self.input

    def _update_prompt(self) -> None:
        count = self.session.count if self.session is not None else 0
        self.input.border_title = f"In [{max(count, self._echo_number) + 1}]"

    # -- running cells -----------------------------------------------------------------
    @after_build
    def run_source(self, source: str, echo: bool = True) -> None:
        """Run ``source`` as if typed (other panes' "send to REPL" use this)."""
        if not source.strip():
            return
        self.history.add(source, save=False)
        self._history_dirty = True  # saved by _tick once no cell runs: off the hot path
        self._pending.append((source, echo))
        self._ticker.resume()
        if echo:
            base = self.session.count if self.session is not None else 0
            self._echo_number = max(self._echo_number, base) + 1
            self.log_widget.write(render.render_input(self._echo_number, source))
            self._update_prompt()
        if not self._ready.is_set():
            self._set_status("waiting for torch… (the cell runs once it has loaded)")
        if not self._draining:
            self._draining = True
            self.run_worker(self._drain(), group="repl-run", exit_on_error=False)

    async def _drain(self) -> None:
        try:
            await self._ready.wait()
            while self._pending:
                source, _echo = self._pending.popleft()
                await self._run_one(source)
        finally:
            self._draining = False

    async def _run_one(self, source: str) -> None:
        session = self.session
        assert session is not None
        self._running_since = time.monotonic()
        self._running_number = session.count + 1
        self._interrupt_at = None
        self.input.running = True  # the status line appears at the next tick (0.25 s):
        # a quick cell never shows it, which spares two relayouts per cell
        try:
            record = await asyncio.wrap_future(session.submit(session.run_cell, source))
        except Exception as exc:  # the session itself failed: say so, keep the REPL
            self.log_widget.write(render.render_note(f"The cell could not run: {exc}", "red"))
            return
        finally:
            self._running_since = None
            self.input.running = False
            self._set_status("")
        self._show_record(record)

    def _show_record(self, record: ExecResult) -> None:
        log = self.log_widget
        for item in render.render_record(record):
            log.write(item)
        self._update_prompt()
        try:
            self.inspector.show(record)
        except Exception as exc:  # the inspector must never break the REPL
            self.log(f"inspector failed: {exc!r}")
        self.post_message(self.CellDone(record))

    def _tick(self) -> None:
        if self._running_since is None:
            if self._history_dirty and not self._pending:
                self._history_dirty = False
                self.run_worker(asyncio.to_thread(self.history.save), group="repl-history")
            if not self._pending and not self._draining:
                self._ticker.pause()
            return
        elapsed = time.monotonic() - self._running_since
        if self._interrupt_at is not None:
            if time.monotonic() - self._interrupt_at >= STILL_RUNNING_AFTER:
                self._set_status(
                    f"In [{self._running_number}] still running after ctrl+c: it is inside a "
                    "native call and stops when that returns to Python"
                )
            return
        self._set_status(
            f"running In [{self._running_number}]… {elapsed:.1f} s  (ctrl+c interrupts)"
        )

    def _set_status(self, text: str) -> None:
        status = self.query_one("#repl-status", Static)
        if not text and not status.has_class("-shown"):
            return
        status.update(render.render_note(text, "") if text else "")
        status.set_class(bool(text), "-shown")

    # -- messages from the input -------------------------------------------------------
    def on_repl_input_submitted(self, message: ReplInput.Submitted) -> None:
        message.stop()
        self.run_source(message.source)

    def on_repl_input_hint(self, message: ReplInput.Hint) -> None:
        message.stop()
        hint = self.query_one("#repl-hint", Static)
        hint.update(render.render_note(message.text, "") if message.text else "")
        hint.set_class(bool(message.text), "-shown")

    def on_repl_input_interrupt_requested(self, message: ReplInput.InterruptRequested) -> None:
        message.stop()
        self.action_interrupt()

    def on_repl_input_complete_requested(self, message: ReplInput.CompleteRequested) -> None:
        message.stop()
        self.run_worker(self._complete(message.text), group="repl-complete", exclusive=True)

    async def _complete(self, text: str) -> None:
        session = self.session
        if session is None:
            self.input.post_message(self.input.Hint("completion needs torch: still loading…"))
            return
        if session.busy:  # the exec thread is taken: resolve statically on a thread
            comp = await asyncio.to_thread(session.complete, text, True)
        else:
            comp = await asyncio.wrap_future(session.submit(session.complete, text, False))
        self.input.apply_completion(text, comp.start, comp.word, comp.matches)

    # -- actions -----------------------------------------------------------------------
    def action_interrupt(self) -> None:
        session = self.session
        if self._running_since is not None and session is not None:
            if session.interrupt():
                self._interrupt_at = time.monotonic()
                self._set_status(f"interrupting In [{self._running_number}]…")
            else:
                self.notify("The cell is finishing; nothing left to interrupt.", timeout=3)
            return
        if self._pending:
            n = len(self._pending)
            self._pending.clear()
            self._set_status("")
            self.log_widget.write(render.render_note(f"cancelled {n} waiting cell(s)", "yellow"))
            return
        self.notify("Nothing running (ctrl+c interrupts a running cell; ctrl+q quits).", timeout=3)

    def action_clear_output(self) -> None:
        self.log_widget.clear()

    def action_toggle_inspector(self) -> None:
        self.toggle_class("-toggled")

    def action_focus_inspector(self) -> None:
        """Show the inspector if it is hidden, then focus its cards or variables."""
        inspector = self.inspector
        if not inspector.display:
            self.toggle_class("-toggled")
        self.call_after_refresh(inspector.focus_default)

    def action_reset_session(self) -> None:
        if self.session is None:
            self.notify("The session starts once torch has loaded.", timeout=3)
            return
        self._pending.clear()
        self.run_worker(self._reset(), group="repl-reset", exclusive=True)

    async def _reset(self) -> None:
        session = self.session
        assert session is not None
        await asyncio.to_thread(session.reset)
        self.log_widget.write(
            render.render_note(
                "session reset: a fresh namespace with torch, nn, F, np, device", "yellow"
            )
        )
