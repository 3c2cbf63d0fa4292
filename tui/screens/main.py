"""The main screen: lessons on the left, the REPL and the dashboard on the right.

Wide terminals (>= 120 columns) show all three panes; narrow ones show one pane at a
time under a tab bar, so nothing is clipped at 80x24. The same widget instances serve
both layouts (only CSS classes change), so no state is lost on resize.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Tab, Tabs

from tui.widgets.dashboard_pane import DashboardPane
from tui.widgets.lesson_pane import LessonPane
from tui.widgets.pane import Pane
from tui.widgets.repl_pane import ReplPane
from tui.widgets.status_line import StatusLine

PANES = ("lessons", "repl", "dashboard")


class MainScreen(Screen):
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
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
            tabs.active = f"tab-{name}"
        if focus:
            self._focus_wanted = name
            self.call_after_refresh(self._focus_when_built, name)

    def _focus_when_built(self, name: str) -> None:
        pane = self.pane(name)

        def focus() -> None:
            if self._focus_wanted == name:
                pane.focus_default()

        pane.when_built(focus)

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
        if not self.has_class("-wide"):
            return
        node = event.widget
        while node is not None and not isinstance(node, Pane):
            node = node.parent
        if isinstance(node, Pane) and node.id and node.id != self.shown_pane:
            self.show_pane(node.id, focus=False)

    def on_repl_pane_cell_done(self, message: ReplPane.CellDone) -> None:
        """Every finished cell: the lesson pane marks blocks run and shows exercise checks."""
        self.query_one("#lessons", LessonPane).cell_done(message.record)

    def focused_pane(self) -> Pane | None:
        node = self.focused
        while node is not None and not isinstance(node, Pane):
            node = node.parent
        return node if isinstance(node, Pane) else None
