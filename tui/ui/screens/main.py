"""The main screen: lessons on the left, the REPL and the dashboard on the right.

Terminals of 120 columns or more show all three panes; narrow ones show one pane at a
time under a tab bar, so nothing is clipped at 80x24. From 120 columns the REPL's
inspector is a drawer (F6, ctrl+o) over the right of the REPL's column, so the log keeps
the whole pane. The same widget instances serve both layouts: no state is lost on resize.

Keys belong to the pane the learner last asked for. F2/F3/F4 are priority bindings, run
in the order the keys came: the keys after one wait (``hold``) until the keys sent to the
old focus before it have been handled there (a ``Drained`` note sent after them comes
back), and until the pane is built; then the pane takes the focus and its keys, in order.
A key that moves the focus inside a pane (Tab, or what a ``MovesFocus`` widget says: ``o``
and a letter in the dashboard) is a switch too: the keys behind it wait until it has been
handled, and go to the new focus.

A pane switch changes styles only where they show: the focused pane's frame (inline, on
the pane alone) and, under tabs, which pane is displayed. Classes on the screen, or a
``:focus-within`` rule on a pane, restyle every widget below them (0.3-0.6 s a switch on
2 cores).
"""

from __future__ import annotations

from typing import Protocol, cast

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.reactive import Reactive, var
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Tab, Tabs, TextArea

from tui.ui.common.focus_moves import MovesFocus, TabStandIn
from tui.ui.common.kernel_messages import message_for
from tui.ui.common.key_footer import KeyFooter
from tui.ui.common.keys import Key, bindings
from tui.ui.common.pane import Pane
from tui.ui.common.session import Session
from tui.ui.common.status_line import StatusLine
from tui.ui.dashboard.dashboard_pane import DashboardPane
from tui.ui.lessons.lesson_pane import LessonPane
from tui.ui.repl.repl_pane import ReplPane

PANES = ("lessons", "repl", "dashboard")


class Replays(Protocol):
    """The app's side of key holding: keys that waited, handled now, in order."""

    async def replay(self, held: list[events.Event]) -> None: ...


#: What each pane needs displayed under tabs (``app.tcss`` hides them all there).
SHOWN_BY = {"lessons": ("lessons",), "repl": ("right", "repl"), "dashboard": ("right", "dashboard")}
#: A ``Drained`` note lost on its way (its widget removed meanwhile) ends the wait after this.
DRAIN_LIMIT_S = 1.0


class MainScreen(Screen):
    KEYS = (
        Key(
            "f6",
            "inspector",
            "Inspector",
            "Show the REPL's inspector (tensor cards, variables) and go into it",
        ),
        Key(
            "tab",
            "cycle(1)",
            "Next field",
            "Next field or part of the focused pane (in the REPL input: complete)",
            show=False,
        ),
        Key(
            "shift+tab",
            "cycle(-1)",
            "Previous field",
            "Previous field or part of the focused pane",
            show=False,
        ),
    )
    BINDINGS = bindings(KEYS)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-medium"), (160, "-wide")]
    #: Keys pressed before the first refresh go to the lesson, not to the hidden tab bar.
    AUTO_FOCUS = "LessonBody"

    #: The pane in view under tabs (and the one a shrink to tabs shows).
    shown: var[str] = var("lessons", init=False)
    #: Textual's own, without its repaint of the whole screen on every focus change (half
    #: the CPU of a pane switch here): what shows focus repaints itself (the widget, its
    #: pane's frame, the footer).
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    class Drained(Message):
        """Sent to the old focus after the keys it was given: back at the screen, they
        have all been handled (bindings included) and the focus may move."""

        def __init__(self, token: int) -> None:
            super().__init__()
            self.token = token

    def __init__(self, session: Session) -> None:
        self.session = session
        # The classes of the first layout, given now: each class change after mount
        # restyles every widget on the screen (~0.1 s at start-up on a 2-core box).
        width = self.app.size.width
        super().__init__(classes=self._layout_of(width))
        #: The pane the keyboard was last sent to (F2-F4, a tab).
        self.wanted = "lessons"
        #: Keys wait while this is set: a switch not yet settled.
        self._pending = False
        #: Keys (and pastes) waiting, in order, each with the pane it was typed for.
        self._held: list[tuple[str, events.Event]] = []
        self._draining = 0  # the token of the Drained note on its way, 0 if none
        self._tokens = 0
        self._drain_timer: Timer | None = None
        #: The pane whose keys wait behind one that moves the focus inside it: its focus
        #: stays where that key put it (else a pane's main widget takes its keys).
        self._moved_in: str | None = None

    @classmethod
    def _layout_of(cls, width: int) -> str:
        return [name for edge, name in cls.HORIZONTAL_BREAKPOINTS if width >= edge][-1]

    def compose(self) -> ComposeResult:
        yield Tabs(
            Tab("Lessons F2", id="tab-lessons"),
            Tab("REPL F3", id="tab-repl"),
            Tab("Dashboard F4", id="tab-dashboard"),
            id="pane-tabs",
        )
        with Horizontal(id="panes"):
            yield LessonPane(self.session, id="lessons")
            with Vertical(id="right"):
                yield ReplPane(self.session, id="repl")
                yield DashboardPane(self.session, id="dashboard")
        yield StatusLine("loading torch…", id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._show_under_tabs(self.has_class("-narrow"))
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._frame_panes())
        self.show_pane("lessons", focus=True)

    def pane(self, name: str) -> Pane:
        return self.query_one(f"#{name}", Pane)

    def show_pane(self, name: str, focus: bool = True) -> None:
        """Bring a pane forward (under tabs) and send the keyboard to its main widget."""
        self.shown = name
        if not focus:
            return
        self.wanted = name
        self._pending = True
        if self._moved_in == name:
            self._moved_in = None  # asked for again: its main widget
        if not self._draining:
            self._drain(self.focused or self)
        pane = self.pane(name)
        if not pane.is_built:
            pane.when_built(lambda: self.app.call_later(self._settle))

    # -- keys on their way -------------------------------------------------------------
    def hold(self, event: events.Event) -> bool:
        """Called by the app for every key and paste before it goes to the focus: keep it
        (True) while a switch is pending. Priority keys (F2-F5, ctrl+q) never wait. A key
        that moves the focus inside its pane is held too, and starts such a wait."""
        if not self._pending:
            pane = self.focused_pane()
            if pane is None or not isinstance(event, events.Key) or not self._moves_focus(event):
                return False
            self.wanted = self._moved_in = pane.id or self.wanted
            self._pending = True
            self._held.append((self.wanted, event))
            if not self._draining:
                self._drain(self.focused or self)
            return True
        if isinstance(event, events.Key):
            bound = self.active_bindings.get(event.key)
            if bound is not None and bound.binding.priority:
                return False
        self._held.append((self.wanted, event))
        return True

    def _moves_focus(self, event: events.Key) -> bool:
        """Whether handling ``event`` may move the focus: Tab (but in the REPL input,
        which completes with it), or what a ``MovesFocus`` around the focus says."""
        focused = self.focused
        if focused is None:
            return False
        for node in focused.ancestors_with_self:
            if isinstance(node, MovesFocus) and node.moves_focus(event):
                return True
        return event.key in ("tab", "shift+tab") and not isinstance(focused, TextArea)

    async def _give(self, name: str, keys: list[events.Event]) -> bool:
        """Hand ``keys`` to the focus, in order, up to one that may move it: the rest
        wait again, in front (False). True when all were given."""
        for index, event in enumerate(keys):
            moves = isinstance(event, events.Key) and self._moves_focus(event)
            await cast(Replays, self.app).replay([event])
            if moves:
                self._held[:0] = [(name, later) for later in keys[index + 1 :]]
                self._moved_in = name
                return False
        if self._moved_in == name:
            self._moved_in = None
        return True

    def _drain(self, widget: Widget | Screen) -> None:
        """Settle once ``widget`` has handled the keys already sent to it."""
        self._tokens += 1
        self._draining = token = self._tokens
        if self._drain_timer is not None:
            self._drain_timer.stop()
        self._drain_timer = self.set_timer(DRAIN_LIMIT_S, lambda: self._drained(token))
        if not widget.post_message(self.Drained(token)):
            self.app.call_later(self._drained, token)

    def on_main_screen_drained(self, message: Drained) -> None:
        message.stop()
        # via the app's queue: the bindings of the keys before it run there, still
        # with the old focus
        self.app.call_later(self._drained, message.token)

    async def _drained(self, token: int) -> None:
        if token != self._draining:
            return
        self._draining = 0
        if self._drain_timer is not None:
            self._drain_timer.stop()
            self._drain_timer = None
        await self._settle()

    async def _settle(self) -> None:
        """In the app's queue, no note on its way: give each built pane its waiting keys
        (the focus there, then a ``Drained`` note), then focus the wanted pane."""
        if self._draining or not self.is_attached:
            return
        ready = [name for name, _ in self._held if self.pane(name).is_built]
        if ready and (ready[0] != self.wanted or len(set(ready)) > 1):
            # keys typed for a pane left since (F3 x F2): it gets them first
            name = ready[0]
            keys = [event for pane, event in self._held if pane == name]
            self._held = [(pane, event) for pane, event in self._held if pane != name]
            self._pending = True
            self._focus_pane(name, moved=self._moved_in == name)
            await self._give(name, keys)
            self._drain(self.focused or self)
            return
        pane = self.pane(self.wanted)
        if not pane.is_built:
            self.set_focus(None)  # its keys wait for it (``hold``); none go elsewhere
            return
        self._focus_pane(self.wanted, moved=self._moved_in == self.wanted)
        keys = [event for name, event in self._held if name == self.wanted]
        self._held = [(name, event) for name, event in self._held if name != self.wanted]
        if await self._give(self.wanted, keys):
            self._pending = False
        else:
            self._drain(self.focused or self)  # a key that moves the focus: the rest wait

    def _focus_pane(self, name: str, moved: bool = False) -> None:
        """Focus the pane's main widget now (``Widget.focus`` waits for a refresh); when
        a key ``moved`` the focus inside the pane, the widget it went to keeps it."""
        pane = self.pane(name)
        if moved and self._pane_of(self.focused) is pane:
            return
        if self.focused is not None and pane in self.focused.ancestors and name != "lessons":
            return  # already in there (the inspector after F6)
        target = pane.default_focus_target()
        if target is not None and target.focusable:
            self.set_focus(target)
        else:
            pane.focus_default()

    # -- what a switch changes on screen -------------------------------------------------
    def watch_shown(self, name: str) -> None:
        if self.has_class("-narrow"):
            self._show_under_tabs(True)

    def _show_under_tabs(self, narrow: bool) -> None:
        """Under tabs, display the shown pane (inline: a class on the screen restyled the
        whole DOM) and select its tab. Wide layouts display every pane: nothing to do."""
        if not narrow:
            return
        wanted = SHOWN_BY[self.shown]
        for name in ("lessons", "right", "repl", "dashboard"):
            self.query_one(f"#{name}").styles.display = "block" if name in wanted else None
        tabs = self.query_one("#pane-tabs", Tabs)
        if tabs.active != f"tab-{self.shown}":
            # Only a tab the user picks may call back here: two panes asked for in one
            # tick (F3 then F2, or a focus landing meanwhile) otherwise bounced each
            # other's stale TabActivated back and forth forever, at 100% CPU. Through
            # no tab: the underline jumps instead of sliding (0.3 s of frames, ~50 ms).
            with self.prevent(Tabs.TabActivated, Tabs.Cleared):
                tabs.active = ""
                tabs.active = f"tab-{self.shown}"

    def on_resize(self, event: events.Resize) -> None:
        """Runs before ``Screen`` sets the breakpoint classes: a shrink to tabs shows the
        pane in view."""
        self._show_under_tabs(self._layout_of(event.size.width) == "-narrow")

    def watch_focused(self, old: Widget | None, new: Widget | None) -> None:
        """The focused pane's frame, on that pane alone (``Pane.holds_focus``); a move
        within a pane leaves its frame alone."""
        here = self._pane_of(new)
        for pane in {self._pane_of(old), here}:
            if pane is not None:
                pane.holds_focus = pane is here

    def _frame_panes(self) -> None:
        for pane in self.query(Pane):
            pane.paint_frame()

    def action_inspector(self) -> None:
        """F6 from any pane, at any size: the REPL with its inspector shown and focused."""
        self.show_pane("repl", focus=False)
        repl = self.query_one("#repl", ReplPane)
        repl.when_built(repl.action_focus_inspector)

    def action_cycle(self, step: int) -> None:
        """Tab / shift+Tab go round the focused pane's own widgets, in the order shown;
        F2-F4 move between panes. (The REPL input takes Tab itself, to complete.)"""
        pane = self.focused_pane()
        if pane is None:
            self.focus_next() if step > 0 else self.focus_previous()
            return
        chain = [w for w in self.focus_chain if pane in w.ancestors]
        if not chain:
            return
        here = chain.index(self.focused) if self.focused in chain else -1
        target = chain[(here + step) % len(chain)]
        if isinstance(target, TabStandIn):
            target.enter_by_tab(step)
        else:
            self.set_focus(target)  # now: the keys behind Tab wait only until it is handled

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab is not None and event.tab.id:
            name = event.tab.id.removeprefix("tab-")
            if name != self.shown:
                self.show_pane(name)

    def on_descendant_focus(self, event) -> None:
        """Wide layout: remember which pane holds focus, so a shrink to tabs shows it.

        Narrow layouts skip this: there, hiding the focused pane makes Textual move focus
        on its own, and following that move would switch panes back and forth forever.
        """
        if self.has_class("-narrow"):
            return
        pane = self._pane_of(event.widget)
        if pane is not None and pane.id and pane.id != self.shown:
            self.show_pane(pane.id, focus=False)

    def on_repl_pane_cell_done(self, message: ReplPane.CellDone) -> None:
        """Every finished cell: the lesson pane marks blocks run (by the cell's tag) and
        shows exercise checks."""
        self.query_one("#lessons", LessonPane).cell_done(message.outcome)

    def on_lesson_pane_check_changed(self, message: LessonPane.CheckChanged) -> None:
        """A cell changed an exercise's result: the REPL says it under that cell."""
        self.query_one("#repl", ReplPane).show_check(message.title, message.passed, message.text)

    def on_dashboard_pane_repl_trained(self, message: DashboardPane.ReplTrained) -> None:
        """The dashboard trained the REPL's model: its exercises may pass now."""
        self.query_one("#lessons", LessonPane).recheck()

    def on_lesson_pane_run_block(self, message: LessonPane.RunBlock) -> None:
        """A lesson block to run: the REPL runs it as if typed, tagged with its id."""
        self.query_one("#repl", ReplPane).run_source(message.code, tag=message.block_id)

    def route_kernel_event(self, event: object) -> None:
        """The app hands every kernel event here; each pane that has a handler for it
        gets its own message (``kernel_messages.message_for``): a training report, ten a
        second, is not queued on panes that would only drop it."""
        for name in PANES:
            try:
                pane = self.get_widget_by_id(name, Pane)
            except NoMatches:  # composing, or the app is closing
                continue
            message = message_for(event)
            if message is None:
                return
            if hasattr(pane, message.handler_name):
                pane.post_message(message)

    def focused_pane(self) -> Pane | None:
        return self._pane_of(self.focused)

    @staticmethod
    def _pane_of(node) -> Pane | None:
        while node is not None and not isinstance(node, Pane):
            node = node.parent
        return node if isinstance(node, Pane) else None
