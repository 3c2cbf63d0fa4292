"""The REPL pane: IPython in the kernel, an output log, a Python input, the inspector.

Cells run in the kernel (``session.kernel``); an async worker sends them one at a time and
writes their outputs as they stream in, so the UI never waits on the kernel. Cells typed
before a kernel is ready (at launch, during a restart) queue and run in order once it
is. A kernel that dies costs a restart (ctrl+n), never the app.

The kernel is told the room it has for pictures (``SetRoom``: the log's columns, a
card's picture) when it is ready and after the log or the inspector changes size.

From 120 columns the inspector is a drawer: closed by default, it opens over the right
side of the REPL's column (the REPL and the dashboard under it, full height, so a card's
picture gets its rows), and the log keeps the pane's whole width: tensors print as wide
as PyTorch prints them. A card that arrives while it is closed is announced on the
pane's bottom border. Below 120 columns the inspector stacks under the log when shown.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Offset, Region, Size
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from tui.console import outputs as cells
from tui.console.history import History
from tui.kernel import hub as kh
from tui.protocol import messages as p
from tui.ui.common import kernel_messages as km
from tui.ui.common.deferred import after_build
from tui.ui.common.keys import bindings
from tui.ui.common.pane import Pane
from tui.ui.common.plain import plain, visible
from tui.ui.common.session import Session
from tui.ui.repl import log_render as render
from tui.ui.repl.repl_keys import (
    COMMANDS,
    HELP,
    KEYS,
    PICTURE_KEY,
    complete_into,
    signature_into,
)

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # the body's widgets are imported by compose_body, after frame 1
    from tui.ui.inspector.inspector_panel import InspectorPanel
    from tui.ui.repl.cell_input import ReplInput
    from tui.ui.repl.output_log import ReplLog

#: Seconds after ctrl+c before a cell still running counts as stuck in native code.
STILL_RUNNING_AFTER = 2.0
#: Seconds of quiet after a resize before the kernel is told the new room.
ROOM_AFTER = 0.3
#: A card's picture: at most this many cell rows (fewer on a short screen).
CARD_ROWS = 16
#: The key that draws the last picture left as a placeholder (--low-bandwidth).
#: The inspector drawer's columns: half the REPL's column, within these bounds (38 keeps
#: a 28x28 heatmap unscaled on a card).
DRAWER_COLS = (38, 48)
#: Rows of the drawer above its cards: the inspector's tab bar.
DRAWER_TAB_ROWS = 2


def _cells(room: p.SetRoom) -> tuple[int, int, int, int]:
    return room.log_cols, room.log_rows, room.card_cols, room.card_rows


class ReplPane(Pane):
    PLACEHOLDER = "starting the REPL…"
    AREA = "repl"
    PANE_TITLE = "REPL"
    FKEY = "F3"
    HELP = HELP
    COMMANDS = COMMANDS
    KEYS = KEYS
    BINDINGS = bindings(KEYS)
    SCOPED_CSS = False  # the narrow-layout rules start at MainScreen
    DEFAULT_CSS = """
    ReplPane #repl-body { height: 1fr; }
    ReplPane #repl-main { width: 1fr; }
    ReplPane #repl-log { height: 1fr; background: $surface; scrollbar-size-vertical: 1; }
    ReplPane #repl-hint { height: auto; max-height: 4; color: $text-muted; display: none; }
    ReplPane #repl-hint.-shown { display: block; }
    ReplPane #repl-input { border-subtitle-color: $warning; border-subtitle-align: left; }
    ReplPane #repl-log { overflow-y: scroll; }
    /* 120 columns and up: the inspector is a drawer over the right side of the REPL's
       column, closed by default; _place_drawer sizes and places it. Hidden, not gone,
       it keeps its size: the kernel is told the room a card has even while closed. */
    ReplPane #repl-inspector {
        overlay: screen; visibility: hidden;
        background: $surface; border: round $accent; border-title-color: $accent;
    }
    ReplPane.-inspector-open #repl-inspector { visibility: visible; }
    /* Narrow terminals: the inspector stacks under the log when shown. */
    MainScreen.-narrow ReplPane #repl-body { layout: vertical; }
    MainScreen.-narrow ReplPane #repl-main { height: 1fr; }
    MainScreen.-narrow ReplPane #repl-inspector {
        overlay: none; visibility: visible; display: none; border: none;
        width: 1fr; height: 1fr;
    }
    MainScreen.-narrow ReplPane.-inspector-open #repl-inspector { display: block; }
    """

    class CellDone(Message, bubble=True):
        """Posted after every cell (typed or sent by another pane) with its outcome."""

        def __init__(self, outcome: cells.CellOutcome) -> None:
            super().__init__()
            self.outcome = outcome

    def __init__(self, session: Session, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session = session
        self.history = History()
        #: Cells waiting for the one that runs: (source, tag, echo when it starts).
        self._pending: deque[tuple[str, str | None, bool]] = deque()
        self._draining = False
        self._running_since: float | None = None
        self._running_number: int | None = None
        self._interrupt_at: float | None = None
        self._stuck_said = False
        self._next_number = 1
        self._history_dirty = False
        self._input_wanted = False
        self.last_outcome: cells.CellOutcome | None = None
        self._status_text: str | None = None
        #: The last picture left as a placeholder (``--low-bandwidth``): ctrl+g draws it.
        self.hidden_picture: cells.PictureOut | None = None
        self._room: p.SetRoom | None = None  # what the kernel was last told
        self._room_timer: Any = None
        #: F6 opened the drawer (Escape closes it again); ctrl+o keeps it open.
        self._peeking = False
        #: The drawer's size (None: stacked under the log, narrow layout).
        self._drawer: Size | None = None

    def compose_body(self) -> ComposeResult:
        """After the first frame (see ``Deferred``), with the imports of its widgets."""
        from tui.ui.inspector.inspector_panel import InspectorPanel
        from tui.ui.repl.cell_input import ReplInput
        from tui.ui.repl.completion_menu import CompletionMenu
        from tui.ui.repl.output_log import ReplLog

        with Horizontal(id="repl-body"):
            with Vertical(id="repl-main"):
                yield ReplLog(
                    id="repl-log", wrap=True, markup=False, highlight=False, max_lines=4000
                )
                yield Static(id="repl-hint", markup=False)
                yield CompletionMenu(id="repl-complete")
                yield ReplInput(history=self.history, id="repl-input")
            inspector = InspectorPanel(self.session, id="repl-inspector")
            inspector.border_title = "inspector · ctrl+o closes"
            yield inspector

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return True if self.built else None  # no input or log yet: nothing to act on

    def on_built(self) -> None:
        self.input.menu = self.query_one("#repl-complete")  # type: ignore[assignment]
        self.call_after_refresh(self._place_drawer)
        self._update_prompt()
        self.log_widget.write(
            render.render_note(
                "IPython with torch, nn, F, np and device. Enter runs, ctrl+j adds a line, "
                "ctrl+c interrupts, ctrl+n restarts the kernel, F6 inspector, F1 for keys."
            )
        )
        # Runs only while a cell runs or history waits to be saved.
        self._ticker = self.set_interval(0.25, self._tick, pause=True)
        if not self.kernel.ready:
            self._set_status("starting the kernel… (cells typed now run once it is ready)")

    def on_unmount(self) -> None:
        if self._history_dirty:
            self.history.save()
        else:  # a save from _tick may be mid-write: quitting must not cut it
            self.history.wait_saved()

    @property
    def kernel(self) -> kh.KernelHub:
        return self.session.kernel

    # -- kernel events (posted by the main screen; the inspector gets its own) ----------
    def _inspector_gets(self, message: Message) -> None:
        self.when_built(lambda: self.inspector.post_message(message))

    def on_cell_payload_arrived(self, message: km.CellPayloadArrived) -> None:
        self._inspector_gets(km.CellPayloadArrived(message.payload))
        payload = message.payload
        if payload.cards and not self.inspector_open:
            title = payload.cards[0].title
            self.when_built(
                lambda: setattr(self, "border_subtitle", plain(f"card ready: {title} (F6)"))
            )

    def on_watch_values_arrived(self, message: km.WatchValuesArrived) -> None:
        self._inspector_gets(km.WatchValuesArrived(message.values))

    @after_build
    def on_kernel_ready(self, message: km.KernelReady) -> None:
        self.inspector.post_message(km.KernelReady(message.welcome))
        self._room = None  # a new kernel knows no room
        self.call_after_refresh(self._send_room)
        w = message.welcome
        self._set_status("")
        where = " (attached to a running kernel)" if self.kernel.attached else ""
        self._note(f"kernel ready{where}: torch {w.torch_version} on {w.device}", "green")

    @after_build
    def on_kernel_starting(self, message: km.KernelStarting) -> None:
        self.inspector.post_message(km.KernelStarting(message.restart))
        if not message.restart:
            return
        self._next_number = 1
        self._update_prompt()
        self._set_status("restarting the kernel… (cells typed now run once it is ready)")

    @after_build
    def on_kernel_died(self, message: km.KernelDied) -> None:
        self.inspector.post_message(km.KernelDied(message.reason))
        self._input_wanted = False
        self._note(
            f"The kernel died ({message.reason}): ctrl+n starts a fresh one; "
            "history and progress are safe.",
            "bold red",
        )
        self._set_status(f"kernel died ({message.reason}): ctrl+n restarts")

    @after_build
    def on_kernel_not_responding(self, message: km.KernelNotResponding) -> None:
        self._set_status("kernel not responding: ctrl+n restarts")
        self._note("kernel not responding: ctrl+n restarts", "bold red")

    @after_build
    def on_kernel_failed(self, message: km.KernelFailed) -> None:
        self._note(f"The kernel could not start: {message.text}", "bold red")
        self._set_status("kernel failed: ctrl+n tries again")

    @after_build
    def on_stream_arrived(self, message: km.StreamArrived) -> None:
        text = message.stream.text.rstrip("\n")
        self._note(f"[output outside a cell] {text}")

    @after_build
    def on_kernel_input_wanted(self, message: km.KernelInputWanted) -> None:
        self._input_wanted = True
        self.input.raw_mode = True
        # the learner's input() prompt: literal
        self.input.border_title = plain(message.prompt.strip() or "input")
        self._note(f"{message.prompt} (the kernel waits for a line: type it and press Enter)")

    def show_check(self, title: str, passed: bool, text: str) -> None:
        """An exercise's ✓/✗ under the cell that changed it, in one line."""
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("✓ " if passed else "✗ ", style="bold green" if passed else "bold yellow")
        line.append(visible(title), style="bold")
        first = next((ln for ln in visible(text).splitlines() if ln.strip()), "")
        if first:
            line.append(f": {first}")
        self.log_widget.write(line)

    def _note(self, text: str, style: str = "dim") -> None:
        self.log_widget.write(render.render_note(text, style))

    # -- parts -------------------------------------------------------------------------
    @property
    def input(self) -> ReplInput:
        return self.query_one("#repl-input")  # type: ignore[return-value]

    @property
    def log_widget(self) -> ReplLog:
        return self.query_one("#repl-log")  # type: ignore[return-value]

    @property
    def inspector(self) -> InspectorPanel:
        return self.query_one("#repl-inspector")  # type: ignore[return-value]

    def default_focus_target(self) -> ReplInput:
        return self.input

    def _update_prompt(self) -> None:
        if not self._input_wanted:
            waiting = len(self._pending)
            number = self._next_number + waiting + (self._running_since is not None)
            self.input.border_title = f"In [{number}]" + (
                f" · {waiting} waiting" if waiting else ""
            )

    # -- running cells -----------------------------------------------------------------
    @after_build
    def run_source(self, source: str, echo: bool = True, tag: str | None = None) -> None:
        """Run ``source`` as if typed; ``tag`` comes back on the outcome (lesson blocks)."""
        if not source.strip():
            return
        self.history.add(source, save=False)
        self._history_dirty = True  # saved by _tick once no cell runs: off the hot path
        # A cell typed while another runs is echoed when it starts, as at IPython's next
        # prompt: echoed now, it would sit above the output of the cell before it.
        late = echo and self._draining
        self._pending.append((source, tag, late))
        self._ticker.resume()
        if echo and not late:
            self.log_widget.write(render.render_input(self._next_number, source))
        self._update_prompt()
        if not self._draining:
            self._draining = True
            self.run_worker(self._drain(), group="repl-run", exit_on_error=False)

    async def _drain(self) -> None:
        try:
            while self._pending:
                source, tag, late = self._pending.popleft()
                if late:
                    self.log_widget.write(render.render_input(self._next_number, source))
                await self._run_one(source, tag)
        finally:
            self._draining = False

    async def _run_one(self, source: str, tag: str | None) -> None:
        from tui.ui.repl.log_writer import CellWriter

        low = self.session.low_bandwidth
        writer = CellWriter(self.log_widget, not low, self._hide_picture, PICTURE_KEY)
        self._running_since = time.monotonic()
        self._running_number = self._next_number
        self._interrupt_at = None
        self._stuck_said = False
        self.input.running = True
        self._update_prompt()
        try:
            outcome = await self.kernel.execute(source, writer.output, tag)
        except Exception as exc:  # the link failed: say so, keep the REPL
            log.warning("a cell could not run: %r", exc)
            self._note(f"The cell could not run: {exc}", "red")
            return
        finally:
            self._running_since = None
            self.input.running = False
            self._end_input()
            self._set_status("")
        writer.finish(outcome)
        if outcome.duration >= 1.0 and outcome.status != "died":
            # on the input's edge, not a log line: a line after a picture scrolls the log,
            # which sends the whole picture to the terminal again
            took = f"In [{outcome.number or self._running_number}] took {outcome.duration:.1f} s"
            self._set_status(took, "dim")
        if outcome.number:
            self._next_number = outcome.number + 1
        self._update_prompt()
        self.last_outcome = outcome
        if outcome.payload is not None and outcome.payload.warning:
            self._note(outcome.payload.warning, "yellow")
        if outcome.status == "restarted":
            self._note(f"In [{self._running_number}] did not finish: the kernel was restarted.")
        self.post_message(self.CellDone(outcome))

    def _end_input(self) -> None:
        if self._input_wanted:
            self._input_wanted = False
            self.input.raw_mode = False
            self._update_prompt()

    def _tick(self) -> None:
        if self._running_since is None:
            if self._history_dirty and not self._pending:
                self._history_dirty = False
                self.run_worker(asyncio.to_thread(self.history.save), group="repl-history")
            if not self._pending and not self._draining:
                self._ticker.pause()
            return
        if not self.kernel.ready:
            return  # the status says the kernel is starting
        n = self._running_number
        if self._interrupt_at is not None:
            if time.monotonic() - self._interrupt_at >= STILL_RUNNING_AFTER:
                self._stuck_said = True
                self._set_status(
                    f"In [{n}] still busy after ctrl+c (native code?): ctrl+c again to restart"
                )
            return
        elapsed = int(time.monotonic() - self._running_since)
        self._set_status(f"running In [{n}]… {elapsed} s  (ctrl+c interrupts)")

    def _set_status(self, text: str, style: str = "") -> None:
        """The kernel's state (running In [n]..., starting, died) on the input's lower
        edge, repainted only when its text changes (at most 1/s while a cell runs). Not a
        line of its own: the log would change size as it comes and goes, and a resized log
        repaints all it shows, pictures included, and tells the kernel its room again."""
        if text == (self._status_text or ""):
            return
        self._status_text = text
        self.input.border_subtitle = Text(visible(text), style=style) if text else None

    # -- pictures --------------------------------------------------------------------
    def _hide_picture(self, out: cells.PictureOut) -> None:
        self.hidden_picture = out

    def action_show_picture(self) -> None:
        """Draw the last picture that was left as a placeholder (``--low-bandwidth``)."""
        out = self.hidden_picture
        if out is None:
            self._note("no picture placeholder to draw")
            return
        self.log_widget.write(render.render_picture(out))

    def on_repl_log_resized(self, message: Any) -> None:
        message.stop()
        self._room_changed()

    def on_resize(self) -> None:
        self._room_changed()
        self.call_after_refresh(self._place_drawer)

    def _place_drawer(self) -> None:
        """Size and place the drawer over the right side of the column the REPL sits in,
        from the REPL's top to the column's bottom. Stacked (narrow), CSS places it."""
        if not self.built:
            return
        inspector = self.inspector
        if inspector.styles.overlay != "screen":
            self._drawer = None
            if inspector.absolute_offset is not None:
                inspector.absolute_offset = None
                inspector.styles.width = inspector.styles.height = None
            return
        column = self.parent.region if isinstance(self.parent, Widget) else self.region
        if not column.width or not self.region.height:
            return
        low, high = DRAWER_COLS
        width = max(low, min(high, column.width // 2, column.width))
        top = self.region.y
        offset = Offset(column.right - width, top)
        size = Size(width, max(1, column.bottom - top))
        if size != self._drawer:
            self._drawer = size
            inspector.styles.width, inspector.styles.height = size
            self._room_changed()
        if inspector.absolute_offset != offset:
            inspector.absolute_offset = offset
            inspector.refresh(layout=True)

    def _room_changed(self) -> None:
        """Tell the kernel the new room once resizing has stopped for ``ROOM_AFTER``."""
        if self._room_timer is not None:
            self._room_timer.stop()
        self._room_timer = self.set_timer(ROOM_AFTER, self._send_room)

    def room(self) -> p.SetRoom:
        """The log's usable columns and rows; the inspector card's room for a picture (its content
        width less a card's border and padding; fewer rows on a short screen). The drawer,
        open or closed, has the room its size gives; a hidden stacked inspector keeps the
        room it last had."""
        last = self._room or p.SetRoom()
        log_region = self.log_widget.scrollable_content_region
        log_cols = log_region.width or last.log_cols
        log_rows = log_region.height or last.log_rows
        card_cols, card_rows = last.card_cols, last.card_rows
        inspector = self.inspector
        cards = inspector.query("#cards")
        region = cards.first().scrollable_content_region if cards else inspector.content_region
        if self._drawer is not None:  # closed, it is not laid out: measured from its size
            inner = Region(0, 0, *self._drawer).shrink(inspector.styles.gutter)
            region = inner.shrink((DRAWER_TAB_ROWS, 0, 0, 0))
        if (inspector.display or self._drawer) and region.width > 4 and region.height:
            card_cols = region.width - 4
            card_rows = max(4, min(CARD_ROWS, region.height - 10))
        return p.SetRoom(
            log_cols=log_cols, log_rows=log_rows, card_cols=card_cols, card_rows=card_rows
        )

    def _send_room(self) -> None:
        self._room_timer = None
        if not self.built or not self.kernel.ready:
            return
        room = self.room()
        if self._room is not None and _cells(room) == _cells(self._room):
            return
        self._room = room
        self.run_worker(self._tell_room(room), group="repl-room", exclusive=True)

    async def _tell_room(self, room: p.SetRoom) -> None:
        try:
            await self.kernel.agent(room)
        except Exception as exc:  # noqa: BLE001 - the next resize or Ready says it again
            log.warning("the kernel was not told its room: %r", exc)
            self._room = None
            self.log(f"the kernel was not told its room: {exc!r}")

    # -- messages from the input -------------------------------------------------------
    def on_repl_input_submitted(self, message: ReplInput.Submitted) -> None:
        message.stop()
        self.workers.cancel_group(self, "repl-complete")  # a late signature hint is stale
        self.on_repl_input_hint(self.input.Hint(""))
        if self._input_wanted:
            self.log_widget.write(render.render_note(message.source, ""))
            self.kernel.send_input(message.source)
            self._end_input()
            return
        self.run_source(message.source)

    def on_repl_input_hint(self, message: ReplInput.Hint) -> None:
        message.stop()
        hint = self.query_one("#repl-hint", Static)
        hint.update(render.render_note(message.text, "") if message.text else "")
        hint.set_class(bool(message.text), "-shown")

    def on_repl_input_scroll_log(self, message: ReplInput.ScrollLog) -> None:
        message.stop()
        log = self.log_widget
        log.scroll_page_up() if message.pages < 0 else log.scroll_page_down()

    def on_repl_input_interrupt_requested(self, message: ReplInput.InterruptRequested) -> None:
        message.stop()
        self.action_interrupt()

    def on_repl_input_complete_requested(self, message: ReplInput.CompleteRequested) -> None:
        message.stop()
        work = complete_into(self.kernel, self.input, message.text, message.insert)
        self.run_worker(work, group="repl-complete", exclusive=True)

    def on_repl_input_signature_requested(self, message: ReplInput.SignatureRequested) -> None:
        message.stop()
        work = signature_into(self.kernel, self.input, message.text)
        self.run_worker(work, group="repl-complete", exclusive=True)

    # -- actions -----------------------------------------------------------------------
    def action_interrupt(self) -> None:
        if self._running_since is not None:
            if self._stuck_said:
                self._offer_restart()
                return
            self.kernel.interrupt()
            self._interrupt_at = time.monotonic()
            self._set_status(f"interrupting In [{self._running_number}]…")
            return
        if self._pending:
            n = len(self._pending)
            self._pending.clear()
            self._set_status("")
            self._update_prompt()
            self._note(f"cancelled {n} waiting cell(s)", "yellow")
            return
        self.input.clear_all()  # idle: ctrl+c clears the input, as in IPython

    def _offer_restart(self) -> None:
        from tui.ui.common.confirm import ConfirmScreen

        def chosen(yes: bool | None) -> None:
            if yes:
                self.action_restart_kernel()

        self.app.push_screen(
            ConfirmScreen(
                f"In [{self._running_number}] does not stop. Restart the kernel? "
                "Its variables are lost; history and lesson progress are kept.",
                "Enter restarts · Esc keeps waiting",
            ),
            chosen,
        )

    def action_clear_output(self) -> None:
        self.log_widget.clear()

    @property
    def inspector_open(self) -> bool:
        return self.has_class("-inspector-open")

    def show_inspector(self, shown: bool = True) -> None:
        """Open (or close) the drawer; closing it hands the keyboard back to the input."""
        if shown == self.inspector_open:
            return
        self._peeking = False
        self.set_class(shown, "-inspector-open")
        if shown:
            self.border_subtitle = ""
            self.call_after_refresh(self._place_drawer)
            self._room_changed()  # stacked, it has a room of its own
        elif self.built and self.inspector in getattr(self.app.focused, "ancestors", ()):
            self.screen.set_focus(self.input)  # now: keys behind Escape are the input's

    def leave_inspector(self) -> None:
        """Escape in the inspector: back to the input, closing a drawer F6 opened."""
        if self._peeking and self.inspector.styles.overlay == "screen":
            self.show_inspector(False)
        self.screen.set_focus(self.input)

    def action_toggle_inspector(self) -> None:
        """ctrl+o: show or hide the inspector; the keyboard stays where it is."""
        self.show_inspector(not self.inspector_open)

    def action_focus_inspector(self) -> None:
        """F6: show the inspector if it is hidden, then focus its cards or variables."""
        if not self.inspector_open:
            self.show_inspector()
            self._peeking = True
        self.call_after_refresh(self.inspector.focus_default)

    def action_restart_kernel(self) -> None:
        """A fresh kernel, at once: frees all memory and clears a CUDA fault."""
        if self.kernel.attached:
            self._note(
                "This kernel was started elsewhere: torch-tui does not shut it down. "
                "A local kernel replaces it.",
                "yellow",
            )
        self._end_input()
        self.run_worker(self._restart(), group="repl-reset", exclusive=True)

    async def _restart(self) -> None:
        self._note(
            "restarting the kernel: a fresh namespace with torch, nn, F, np, device", "yellow"
        )
        await self.kernel.restart(local=True)
