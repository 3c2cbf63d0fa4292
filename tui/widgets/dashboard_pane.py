"""The training dashboard (placeholder until the dashboard issue lands)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui.widgets.pane import Pane


class DashboardPane(Pane):
    AREA = "train"
    PANE_TITLE = "Dashboard"
    FKEY = "F4"
    HELP = "Dashboard: train a model live and watch its loss fall."

    def compose(self) -> ComposeResult:
        s = Static("Training dashboard: F5 starts and stops training.", id="dashboard-body")
        s.can_focus = True
        yield s

    def action_toggle_training(self) -> None:
        self.notify("Training is not wired up yet.")
