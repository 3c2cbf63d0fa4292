"""The Textual application: composes the main screen, owns the global keys and the kernel.

The app process never imports torch: the learner's code, the cards and training live in
a Jupyter kernel (``tui.kernel``), spawned before the first frame so that it imports
torch on the other core while the UI paints. Kernel events arrive as one ``KernelEvent``
message; the app turns each into its typed message (``tui.ui.common.kernel_messages``),
handles its own part, and the main screen posts one to each pane.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

from textual import events, work
from textual.app import App
from textual.css.query import NoMatches

from tui.kernel import hub as kh
from tui.kernel.launch import KernelProcess
from tui.platform import state
from tui.platform.devices import DeviceInfo, TorchInfo
from tui.ui.commands import APP_KEYS, AreaCommands
from tui.ui.common import kernel_messages as km
from tui.ui.common.clipboard import copy_focused
from tui.ui.common.deferred import hold_late, release_late, when_all_built, when_quick_built
from tui.ui.common.keys import bindings, help_rows
from tui.ui.common.pane import Pane
from tui.ui.common.plain import notify_plain
from tui.ui.common.session import Session
from tui.ui.common.status_line import StatusLine
from tui.ui.common.wire import apply_low_bandwidth, quiet_cursor
from tui.ui.screens.help import HelpScreen
from tui.ui.screens.main import MainScreen
from tui.ui.screens.too_small import blocks_action, guard_size


def _collect_from_now_on() -> None:
    """After the first frame: what start-up allocated is kept for good, so it is frozen
    (never traversed by the collector again), and the collector runs from here on (the
    CLI turns it off while the app starts)."""
    gc.freeze()
    gc.enable()


def _freeze_what_is_built() -> None:
    """Once every pane is built (the kernel is up): what they hold lives as long as the
    app, so the collector stops walking it. Unfrozen, the ~130,000 objects made after
    the first frame made each full collection ~90 ms, a quarter of a section step's CPU.

    From here on the youngest generation is collected every 50,000 allocations, not 700:
    a section step leaves ~30,000 new objects to the collector (45 collections of the
    youngest generation a step), most of them garbage soon after; walking them three
    generations deep took ~25 ms a step, ~6 ms now."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)


#: Said when the learner's code closes the agent's comm.
AGENT_LOST = (
    "the inspector lost its link to the kernel (its comm was closed): "
    "cards, checks and training stay quiet until ctrl+n restarts the kernel"
)


class TorchTUI(App[int]):
    """torch-tui: lessons, a REPL with a tensor inspector, and a training dashboard."""

    TITLE = "torch-tui"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {AreaCommands}
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = bindings(APP_KEYS)

    def __init__(
        self,
        device: str | None = None,
        lesson: str | None = None,
        lessons_dirs: list[Path] | None = None,
        low_bandwidth: bool | None = None,
        kernel: KernelProcess | None = None,
        existing: Path | None = None,
        keep_kernel: bool = False,
    ) -> None:
        super().__init__()
        self.quitting = False
        self.requested_device = device
        if low_bandwidth is None:
            low_bandwidth = bool(os.environ.get("SSH_CONNECTION"))
        apply_low_bandwidth(self, low_bandwidth)
        hold_late(self)  # the dashboard and the inspector: released once the kernel is up
        #: The kernel, across restarts (``tui.kernel.hub``).
        self.kernel = kh.KernelHub(
            self._post_kernel_event,
            device=device,
            existing=existing,
            process=kernel,
            keep_kernel=keep_kernel,
        )
        #: What the panes are given: the kernel and the settings.
        self.session = Session(
            self.kernel,
            low_bandwidth=low_bandwidth,
            lessons_dirs=list(lessons_dirs or []),
            start_lesson=lesson,
        )
        #: The last cell's outcome, for F8 without a selection.
        self.last_cell: object = None

    @property
    def low_bandwidth(self) -> bool:
        return self.session.low_bandwidth

    @property
    def torch_info(self) -> TorchInfo | None:
        """What the kernel reported at its last start (torch version, devices)."""
        return self.session.torch_info

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self.session)

    def on_mount(self) -> None:
        self.call_after_refresh(_collect_from_now_on)
        when_all_built(self, _freeze_what_is_built)
        # The kernel's client once the lesson and the REPL are on screen: its imports
        # (~0.1 s of CPU, in a thread) took the GIL from their build, and the lesson's
        # first screen came ~0.1 s later. The kernel is still importing torch by then.
        when_quick_built(self, self.kernel.start)
        self.call_after_refresh(lambda: guard_size(self, self.size))

    def _handle_exception(self, error: Exception) -> None:
        """Quitting while the dashboard's settings mount: Textual's Select looks up children
        the teardown already removed (a Textual race with no public hook). Not the learner's
        problem: exit quietly."""
        if isinstance(error, NoMatches) and (self.quitting or not self.is_running):
            return
        super()._handle_exception(error)

    def exit(self, *args, **kwargs) -> None:
        """Quitting: deferred panes still mounting see ``quitting`` and stop there."""
        self.quitting = True
        super().exit(*args, **kwargs)

    def on_resize(self, event) -> None:
        guard_size(self, event.size)

    async def on_event(self, event: events.Event) -> None:
        """Keys and pastes typed while a pane switch is pending wait for that pane
        (``MainScreen.hold``); everything else goes on as usual."""
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            main = self._main()
            if main is not None and self.screen is main and main.hold(event):
                return
        await super().on_event(event)

    async def replay(self, held: list[events.Event]) -> None:
        """Keys that waited, handled now and in order, as if just typed."""
        for event in held:
            await super().on_event(event)

    def on_descendant_focus(self, event) -> None:
        quiet_cursor(event.widget)  # a blinking cursor costs ~2 KB/s on the wire when idle

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While the terminal is too small only quit / train / copy keys do anything.
        return not blocks_action(self, action)

    # -- the kernel ----------------------------------------------------------------
    def _post_kernel_event(self, event: object, generation: int) -> None:
        self.post_message(km.KernelEvent(event, generation))

    def on_kernel_event(self, message: km.KernelEvent) -> None:
        """Every kernel event: the app keeps the status line, each pane takes its part."""
        if message.generation != self.kernel.generation:
            return  # from a kernel that was replaced since
        mine = km.message_for(message.event)
        if mine is not None:
            self.post_message(mine)
        main = self._main()
        if main is not None:
            main.route_kernel_event(message.event)

    def on_kernel_starting(self, message: km.KernelStarting) -> None:
        self.set_status("restarting the kernel…" if message.restart else "starting the kernel…")

    def on_kernel_died(self, message: km.KernelDied) -> None:
        self.set_status(f"kernel died ({message.reason}) · ctrl+n in the REPL restarts it")

    def on_kernel_failed(self, message: km.KernelFailed) -> None:
        self.set_status(f"kernel failed: {message.text}")
        release_late(self)

    def on_kernel_ignored(self, message: km.KernelIgnored) -> None:
        notify_plain(self, message.text, severity="warning", timeout=6)

    def on_kernel_agent_lost(self, message: km.KernelAgentLost) -> None:
        notify_plain(self, AGENT_LOST, severity="error", timeout=12)
        self.set_status(AGENT_LOST)

    def on_kernel_ready(self, message: km.KernelReady) -> None:
        welcome = message.welcome
        devices = tuple(DeviceInfo(d.name, d.label, d.total_memory) for d in welcome.devices)
        info = TorchInfo(welcome.torch_version, devices, welcome.device, welcome.warning or None)
        self.session.torch_info = info
        where = " · attached kernel" if self.kernel.attached else ""
        self.set_status(f"{info.summary()}{where}")
        if info.warning:
            notify_plain(self, info.warning, severity="warning", timeout=8)
        for warning in state.warnings.drain():
            notify_plain(self, warning, severity="warning", timeout=8)
        release_late(self)

    async def on_unmount(self) -> None:
        await self.kernel.shutdown()

    def set_status(self, text: str) -> None:
        """The status line (literal text: it carries the kernel's reasons)."""
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
        if main is None:
            return
        focused = main.focused_pane() if self.screen is main else None
        keys = help_rows(k for k in APP_KEYS if k.keys) + help_rows(main.KEYS)
        self.push_screen(HelpScreen(keys, list(main.query(Pane)), focused))

    def action_devices(self) -> None:
        """Palette "app: devices": each device's name and memory, and NVML's live figures."""
        info = self.session.torch_info
        if info is None:
            self.notify("torch is still loading; the devices are listed once it is ready.")
            return
        self._report_devices(info.devices)

    @work(thread=True, exclusive=True, group="devices", exit_on_error=False)
    def _report_devices(self, devices) -> None:
        from tui.platform.devices import device_report  # NVML calls block: keep them off the UI

        text = "\n".join(device_report(devices))
        self.call_from_thread(notify_plain, self, text, title="Devices", timeout=12)

    def on_repl_pane_cell_done(self, message) -> None:
        self.last_cell = message.outcome  # what F8 copies from the REPL without a selection

    def action_copy_text(self) -> None:
        """F8: copy the focused pane's text (last output, selected cell) through OSC 52."""
        copy_focused(self)

    async def action_toggle_training(self) -> None:
        main = self._main()
        if main is not None:
            await main.pane("dashboard").run_action("toggle_training")
