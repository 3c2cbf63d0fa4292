"""The main screen: lessons on the left, the REPL and the dashboard on the right.

Terminals of 120 columns or more show all three panes; narrow ones show one pane at a
time under a tab bar, so nothing is clipped at 80x24. Between 120 and 159 columns the
REPL's inspector opens on demand (ctrl+o), so the log keeps 60+ columns. The same widget instances serve
both layouts (only CSS classes change), so no state is lost on resize.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Tab, Tabs

from tui.widgets.dashboard_pane import DashboardPane
from tui.widgets.lesson_pane import LessonPane
from tui.widgets.pane import Pane
from tui.widgets.repl_pane import ReplPane
from tui.widgets.status_line import StatusLine

PANES = ("lessons", "repl", "dashboard")
#: Keys kept for a pane still mounting, besides printable ones.
TYPING_KEYS = ("enter", "backspace", "tab", "ctrl+j")


class MainScreen(Screen):
    BINDINGS = [
        Binding("f6", "inspector", "Inspector"),
        Binding("tab", "cycle(1)", "Next field", show=False),
        Binding("shift+tab", "cycle(-1)", "Previous field", show=False),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-medium"), (160, "-wide")]
    #: Keys pressed before the first refresh go to the lesson, not to the hidden tab bar.
    AUTO_FOCUS = "LessonBody"

    def __init__(self) -> None:
        # The classes of the first layout, given now: each class change after mount
        # restyles every widget on the screen (~0.1 s at start-up on a 2-core box).
        width = self.app.size.width
        layout = [name for edge, name in self.HORIZONTAL_BREAKPOINTS if width >= edge][-1]
        super().__init__(classes=f"{layout} -show-lessons")
        #: The pane the keyboard was last sent to: a pane whose body mounts late takes
        #: the focus only if no later F-key asked for another one meanwhile.
        self._focus_wanted = "lessons"
        self._focus_pending = False
        self._held_keys: list[events.Key] = []

    def compose(self) -> ComposeResult:
        yield Tabs(
            Tab("Lessons F2", id="tab-lessons"),
            Tab("REPL F3", id="tab-repl"),
            Tab("Dashboard F4", id="tab-dashboard"),
            id="pane-tabs",
        )
        with Horizontal(id="panes"):
            yield LessonPane(id="lessons")
            with Vertical(id="right"):
                yield ReplPane(id="repl")
                yield DashboardPane(id="dashboard")
        yield StatusLine("loading torch…", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.show_pane("lessons", focus=True)

    @property
    def shown_pane(self) -> str:
        for name in PANES:
            if self.has_class(f"-show-{name}"):
                return name
        return "lessons"

    def pane(self, name: str) -> Pane:
        return self.query_one(f"#{name}", Pane)

    def show_pane(self, name: str, focus: bool = True) -> None:
        """Bring a pane forward (narrow layout) and focus its main widget."""
        for other in PANES:
            self.set_class(other == name, f"-show-{other}")
        tabs = self.query_one("#pane-tabs", Tabs)
        if tabs.active != f"tab-{name}":
            # Only a tab the user picks may call back here: two panes asked for in one
            # tick (F3 then F2, or a focus landing meanwhile) otherwise bounced each
            # other's stale TabActivated back and forth forever, at 100% CPU.
            with self.prevent(Tabs.TabActivated):
                tabs.active = f"tab-{name}"
        if not focus:
            return
        self._focus_wanted = name
        self._focus_pending = True
        pane = self.pane(name)
        if not pane.is_built:
            self.set_focus(None)  # keys typed meanwhile wait for this pane (on_key)
        pane.when_built(lambda: self.call_after_refresh(self._focus_if_wanted, name))

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
        chain[(here + step) % len(chain)].focus()

    def _focus_if_wanted(self, name: str) -> None:
        if self._focus_wanted != name:
            return  # a later F-key asked for another pane
        self.pane(name).focus_default()
        self._focus_pending = False
        held, self._held_keys = self._held_keys, []
        for key in held:  # after the focus change, which is queued the same way
            self.app.post_message(key)

    def on_key(self, event: events.Key) -> None:
        """Typing while the focus is on its way (F3, then code, as the app starts and the
        REPL's body is still mounting): the keys wait and go to the pane once it has the
        focus, instead of being lost."""
        if self.focused is not None or not self._focus_pending:
            return
        if not (event.is_printable or event.key in TYPING_KEYS):
            return  # F-keys, ctrl+q...: the app's bindings still see them
        event.stop()
        event.prevent_default()
        self._held_keys.append(events.Key(event.key, event.character))

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab is not None and event.tab.id:
            name = event.tab.id.removeprefix("tab-")
            if name != self.shown_pane:
                self.show_pane(name)

    def on_descendant_focus(self, event) -> None:
        """Wide layout: remember which pane holds focus, so a shrink to tabs shows it.

        Narrow layouts skip this: there, hiding the focused pane makes Textual move focus
        on its own, and following that move would switch panes back and forth forever.
        """
        if self.has_class("-narrow"):
            return
        node = event.widget
        while node is not None and not isinstance(node, Pane):
            node = node.parent
        if isinstance(node, Pane) and node.id and node.id != self.shown_pane:
            self.show_pane(node.id, focus=False)

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
        """The app hands every kernel event here; each pane takes what concerns it."""
        for name in PANES:
            found = self.query(f"#{name}")
            if not found:  # composing, or the app is closing
                continue
            pane = found.first(Pane)
            try:
                pane.kernel_event(event)
            except Exception as exc:  # one pane failing must not starve the others
                self.log.error(f"{name} could not take {type(event).__name__}: {exc!r}")

    def focused_pane(self) -> Pane | None:
        node = self.focused
        while node is not None and not isinstance(node, Pane):
            node = node.parent
        return node if isinstance(node, Pane) else None
