"""What F5 trains: the dashboard's target row, and a settings error that stays on it.

The target is the playground's network or the REPL's own ``model`` (on its ``X`` and
``y``); the row above the metrics says which, so a learner never mistakes the
playground's curve for their model's. The row learns of the REPL's model from the
variables the agent pushes after every cell (``repl_variables``); when ``model``, ``X``
and ``y`` first appear the target becomes the REPL model, with a notification. A
settings error (``error``) stays on the row until the form reads cleanly again, however
many times F5 is pressed.

The row owns this state from the pane's construction on, before the row is mounted (a
cell's variables may come before the dashboard's body): ``show`` paints it once mounted.
While the target is the REPL model, ``repl_uses`` says which settings that run reads;
the pane hands it to the settings form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.widgets import Static

from tui.tensors.cards import VarRow
from tui.training import target as tt
from tui.ui.common.plain import notify_plain, plain


class TargetRow(Static):
    """``target`` ("playground" or "repl"), the REPL's model, and the settings error."""

    DEFAULT_CSS = """
    TargetRow { height: auto; max-height: 2; color: $accent; }
    TargetRow.-error { color: $error; text-style: bold; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", markup=False, **kwargs)
        #: What F5, ``s``, ``.`` and Enter in a field start.
        self.target: str = tt.PLAYGROUND
        #: ``"SimpleNet on X 4x2"`` while the REPL has ``model``, ``X`` and ``y``, else None.
        self.repl_text: str | None = None
        #: Whether the REPL holds an ``optimizer`` and a ``criterion`` (the run uses them).
        self.repl_parts: tuple[bool, bool] = (False, False)
        #: The settings error on screen, until the form reads cleanly.
        self.error: str | None = None
        #: The playground's network in words (``circles 16-16``), from the form.
        self.playground = ""

    @property
    def repl_uses(self) -> dict[str, tuple[bool, str, str]] | None:
        """What a run of the REPL model takes from each setting while F5 trains it
        (``tui.training.target.repl_uses``); None while F5 trains the playground."""
        if self.target == tt.REPL and self.repl_text is not None:
            return tt.repl_uses(*self.repl_parts)
        return None

    def show(self, settings: Mapping[str, Any] | None = None) -> None:
        """Paint the row; ``settings``: the form's values as typed, when they changed."""
        if settings is not None:
            self.playground = tt.playground(settings)
        if not self.is_mounted:
            return
        self.set_class(self.error is not None, "-error")
        if self.error is not None:  # stays until the form reads cleanly
            self.update(plain(f"F5 cannot start ▸ Settings: {self.error}"))
            return
        # literal: the learner's class name and the settings as typed
        self.update(plain(tt.describe(self.target, self.playground, self.repl_text)))

    def switch(self) -> tuple[str, str]:
        """``p``: the playground or the REPL model, when the REPL has one. Returns what
        to say, and how (a severity)."""
        if self.target == tt.REPL:
            self.target = tt.PLAYGROUND
            return "F5 now trains the playground's network (p: the REPL model).", "information"
        if self.repl_text is None:
            return (
                "The REPL has no model, X and y yet: define them (lesson 08) and F5 trains them.",
                "warning",
            )
        self.target = tt.REPL
        return f"F5 now trains the REPL model: {self.repl_text} (p: the playground).", "information"

    def repl_variables(self, rows: list[VarRow]) -> None:
        """After a cell: does the REPL (still) have a model to train?"""
        found = tt.repl_model(rows)
        was, self.repl_text = self.repl_text, found
        self.repl_parts = tt.repl_parts(rows)
        if found is not None and was is None:
            self.target = tt.REPL
            notify_plain(
                self,
                f"F5 now trains your REPL model: {found}. p in the dashboard switches "
                "back to the playground.",
                title="Dashboard",
                timeout=8,
            )
        elif found is None and self.target == tt.REPL:
            self.target = tt.PLAYGROUND

    def forget_repl_model(self) -> None:
        """The kernel restarted or died: its namespace, and the model, are gone."""
        self.repl_text = None
        self.repl_parts = (False, False)
        self.target = tt.PLAYGROUND
