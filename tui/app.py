"""The Textual application: composes the main screen and owns the global keys.

Importing this module must not import torch: the first frame is painted first, and
torch is loaded in a thread worker right after (see ``load_torch``).
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass
from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.message import Message
from textual.signal import Signal

from tui.commands import AreaCommands
from tui.core import state
from tui.core.devices import TorchInfo, load_torch
from tui.screens.help import HelpScreen, bindings_of
from tui.screens.main import MainScreen
from tui.widgets.clipboard import copy_focused
from tui.widgets.deferred import hold_late, release_late
from tui.widgets.status_line import StatusLine
from tui.widgets.too_small import blocks_action, guard_size
from tui.widgets.wire import apply_low_bandwidth, quiet_cursor


@dataclass
class TorchReady(Message):
    """Posted by the loader worker once torch is imported."""

    info: TorchInfo


@dataclass
class TorchFailed(Message):
    error: str


def _collect_from_now_on() -> None:
    """After the first frame: what start-up allocated is kept for good, so it is frozen
    (never traversed by the collector again), and the collector runs from here on (the
    CLI turns it off while the app starts)."""
    gc.freeze()
    gc.enable()


class TorchTUI(App[int]):
    """torch-tui: lessons, a REPL with a tensor inspector, and a training dashboard."""

    TITLE = "torch-tui"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {AreaCommands}
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        # priority: handled as they arrive, so keys typed right after go to the new pane
        Binding("f2", "focus_pane('lessons')", "Lessons", priority=True),
        Binding("f3", "focus_pane('repl')", "REPL", priority=True),
        Binding("f4", "focus_pane('dashboard')", "Dashboard", priority=True),
        Binding("f5", "toggle_training", "Train", priority=True),
        Binding("f8", "copy_text", "Copy"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        device: str | None = None,
        lesson: str | None = None,
        lessons_dirs: list[Path] | None = None,
        low_bandwidth: bool | None = None,
    ) -> None:
        super().__init__()
        self.requested_device = device
        self.start_lesson = lesson
        self.lessons_dirs = list(lessons_dirs or [])
        if low_bandwidth is None:
            low_bandwidth = bool(os.environ.get("SSH_CONNECTION"))
        self.low_bandwidth = low_bandwidth
        apply_low_bandwidth(self, low_bandwidth)
        hold_late(self)  # the dashboard and the inspector: released once torch is loaded
        self.torch_info: TorchInfo | None = None
        #: Published with the TorchInfo once torch is loaded; panes subscribe to it.
        self.torch_ready_signal: Signal[TorchInfo] = Signal(self, "torch-ready")
        #: The REPL's session (tui.core.session.Session), created once torch is loaded.
        self.session = None
        self.session_error: str | None = None

    def get_default_screen(self) -> MainScreen:
        return MainScreen()

    def on_mount(self) -> None:
        self.call_after_refresh(_collect_from_now_on)
        self.call_after_refresh(self._load_torch_after_panes)
        self.call_after_refresh(lambda: guard_size(self, self.size))

    def _handle_exception(self, error: Exception) -> None:
        """Quit while the deferred panes were still mounting: Textual's Select looks for
        children the teardown already skipped. Not the learner's problem: exit quietly."""
        if isinstance(error, NoMatches) and (self._exit or not self.is_running):
            return
        super()._handle_exception(error)

    def on_resize(self, event) -> None:
        guard_size(self, event.size)

    def on_descendant_focus(self, event) -> None:
        quiet_cursor(event.widget)  # a blinking cursor costs ~2 KB/s on the wire when idle

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While the terminal is too small only quit / train / copy keys do anything.
        return not blocks_action(self, action)

    # -- torch loading -------------------------------------------------------------
    def _load_torch_after_panes(self) -> None:
        """Start loading torch once the lesson and the REPL are on screen: its import holds
        the GIL for long stretches, and mounting them meanwhile took ~1 s longer."""
        main = self._main()
        if main is None:
            self._load_torch()
            return
        lessons, repl = main.pane("lessons"), main.pane("repl")
        lessons.when_built(lambda: repl.when_built(self._load_torch))

    @work(thread=True, exclusive=True, group="torch", exit_on_error=False)
    def _load_torch(self) -> None:
        try:
            info = load_torch(self.requested_device)
        except Exception as exc:  # a broken torch install must not crash the app
            self.post_message(TorchFailed(f"{type(exc).__name__}: {exc}"))
            return
        try:
            from tui.core.session import Session

            self.session = Session(info.device)
        except Exception as exc:  # the REPL says why; the rest of the app still works
            self.session_error = f"{type(exc).__name__}: {exc}"
        # torch brings ~165k long-lived objects; frozen, they are never traversed again by
        # the collector, whose gen-2 passes otherwise stall the UI thread for 0.1-0.6 s
        # (measured by benchmarks/bench_card.py).
        gc.freeze()
        self.post_message(TorchReady(info))

    def on_torch_ready(self, message: TorchReady) -> None:
        info = message.info
        self.torch_info = info
        self.set_status(info.summary())
        if info.warning:
            self.notify(info.warning, severity="warning", timeout=8)
        for warning in state.warnings.drain():
            self.notify(warning, severity="warning", timeout=8)
        self.torch_ready_signal.publish(info)
        release_late(self)

    def on_torch_failed(self, message: TorchFailed) -> None:
        self.set_status(f"torch failed to load: {message.error}")
        self.notify(f"torch failed to load: {message.error}", severity="error", timeout=15)
        release_late(self)

    def set_status(self, text: str) -> None:
        main = self._main()  # not self.screen: a help or too-small screen may be on top
        if main is None:  # quitting: torch finished loading as the screens went away
            return
        for line in main.query(StatusLine):
            line.update(text)

    # -- global actions ------------------------------------------------------------
    def _main(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def action_focus_pane(self, name: str) -> None:
        main = self._main()
        if main is not None and self.screen is main:
            main.show_pane(name)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        main = self._main()
        pane = main.focused_pane() if main is not None and self.screen is main else None
        self.push_screen(HelpScreen(bindings_of(self), pane))

    def action_devices(self) -> None:
        """Palette "app: devices": each device's name and memory, and NVML's live figures."""
        if self.torch_info is None:
            self.notify("torch is still loading; the devices are listed once it is ready.")
            return
        self._report_devices(self.torch_info.devices)

    @work(thread=True, exclusive=True, group="devices", exit_on_error=False)
    def _report_devices(self, devices) -> None:
        from tui.core.devices import device_report  # NVML calls block: keep them off the UI

        text = "\n".join(device_report(devices))
        self.call_from_thread(self.notify, text, title="Devices", timeout=12)

    def on_repl_pane_cell_done(self, message) -> None:
        self.last_cell = message.record  # what F8 copies from the REPL without a selection

    def action_copy_text(self) -> None:
        """F8: copy the focused pane's text (last output, selected cell) through OSC 52."""
        copy_focused(self)

    async def action_toggle_training(self) -> None:
        main = self._main()
        if main is not None:
            await main.pane("dashboard").run_action("toggle_training")
