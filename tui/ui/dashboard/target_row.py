"""What F5 trains: the dashboard's target row, ``p`` to switch it, and settings that stay wrong.

A mixin of ``DashboardPane``. The target is the playground's network or the REPL's own
``model`` (on its ``X`` and ``y``); the row above the metrics says which, so a learner
never mistakes the playground's curve for their model's. The pane learns of the REPL's
model from the variables the agent pushes after every cell; when ``model``, ``X`` and
``y`` first appear the target becomes the REPL model, with a notification. A settings
error stays on screen (and its rows marked) until the form is fixed, however many times
F5 is pressed. While F5 trains the REPL model, the form greys the settings that run does
not read, each with the word why. ``o`` then a setting's underlined letter goes to it.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import Input, Select, Static

from tui.training import target as tt
from tui.training.config import ConfigError
from tui.ui.common.deferred import after_build
from tui.ui.common.plain import notify_plain, plain
from tui.ui.dashboard.settings_form import SettingsForm


class Targeting:
    """``target`` ("playground" or "repl"), the row that shows it, and the form's errors."""

    form: Any
    built: bool
    #: What F5, ``s``, ``.`` and Enter in a field start.
    target: str = tt.PLAYGROUND
    #: ``"SimpleNet on X 4x2"`` while the REPL has ``model``, ``X`` and ``y``, else None.
    repl_text: str | None = None
    #: The settings error on screen, until the form reads cleanly again.
    settings_error: str | None = None
    #: Whether the REPL holds an ``optimizer`` and a ``criterion`` (the run uses them).
    repl_parts: tuple[bool, bool] = (False, False)
    #: ``o`` was pressed: the next key is a setting's letter.
    goto_pending: bool = False

    # -- the row ---------------------------------------------------------------------------
    def show_target(self) -> None:
        if not self.built:
            return
        row = self.query_one("#dash-target", Static)  # type: ignore[attr-defined]
        row.set_class(self.settings_error is not None, "-error")
        if self.settings_error is not None:  # stays until the form reads cleanly
            row.update(plain(f"F5 cannot start ▸ Settings: {self.settings_error}"))
            return
        playground = tt.playground(self.form.raw())
        # literal: the learner's class name and the settings as typed
        row.update(plain(tt.describe(self.target, playground, self.repl_text)))
        repl = self.target == tt.REPL and self.repl_text is not None
        self.form.show_use(tt.repl_uses(*self.repl_parts) if repl else None)

    @after_build
    def action_switch_target(self) -> None:
        """``p``: the playground or the REPL model, when the REPL has one."""
        if self.target == tt.REPL:
            self.target = tt.PLAYGROUND
            self._say("F5 now trains the playground's network (p: the REPL model).")  # type: ignore[attr-defined]
        elif self.repl_text is None:
            self._say(  # type: ignore[attr-defined]
                "The REPL has no model, X and y yet: define them (lesson 08) and F5 trains them.",
                "warning",
            )
        else:
            self.target = tt.REPL
            self._say(f"F5 now trains the REPL model: {self.repl_text} (p: the playground).")  # type: ignore[attr-defined]
        self.show_target()

    def repl_variables(self, rows: list[Any]) -> None:
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
        self.show_target()

    def forget_repl_model(self) -> None:
        """The kernel restarted or died: its namespace, and the model, are gone."""
        self.repl_text = None
        self.repl_parts = (False, False)
        self.target = tt.PLAYGROUND
        self.show_target()

    # -- the form ----------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        self._form_changed()

    def on_select_changed(self, event: Select.Changed) -> None:
        self._form_changed()

    def _form_changed(self) -> None:
        """Keep the row and a standing settings error current as the learner types."""
        if not self.built:
            return
        if self.settings_error is not None:
            try:
                config, workers = self.form.read()
                if self.target == tt.PLAYGROUND:
                    problem = self.too_big(config.to_dict(), workers)
                    if problem:
                        raise ConfigError(problem)
            except ConfigError as exc:
                self.settings_error = str(exc)  # still wrong: say what is left, quietly
            else:
                self.settings_error = None
                self._say("Settings fixed: F5 starts the run.")  # type: ignore[attr-defined]
        self.show_target()

    def too_big(self, config: dict[str, Any], workers: int) -> str | None:
        """Why a playground run of ``config`` cannot fit in this machine's free memory
        (its field marked), or None: refused before the kernel tries to allocate it."""
        from tui.training.memory import launch_problem

        problem = launch_problem(config, workers)
        if problem:
            self.form.mark({problem.split(" ", 1)[0]})
        return problem

    def settings_bad(self, error: str) -> None:
        """Say what is wrong with the settings; it stays until they read cleanly."""
        self.settings_error = error
        self._say(f"Settings: {error}", "error")  # type: ignore[attr-defined]
        self.show_target()

    # -- going to a setting: o, then its letter (or the palette's "go to setting") -------
    @after_build
    def action_goto_setting(self, name: str = "") -> None:
        """``o``: the next key is a setting's underlined letter; with ``name``, go there."""
        self.remove_class("-no-config")  # type: ignore[attr-defined]
        if name:
            self.goto_pending = False
            self.form.go_to(name)
            return
        self.goto_pending = True
        self._say(  # type: ignore[attr-defined]
            "Go to a setting: press its underlined letter (l lr, s steps, b batch …); Escape: back."
        )

    def on_key(self, event: events.Key) -> None:
        """``o`` and the key after it, here, before any binding sees them: keys that come
        in one burst (a fast typist, a laggy SSH link) reach the bindings only after they
        have all passed here, so a binding for ``o`` would see its letter go by."""
        if not self.goto_pending:
            if event.key == "o" and not isinstance(self.screen.focused, Input):  # type: ignore[attr-defined]
                event.stop()
                event.prevent_default()
                self.action_goto_setting()
            return
        self.goto_pending = False
        event.stop()
        event.prevent_default()
        name = self.form.setting_for(event.character)
        if name is None:
            said = "" if event.key == "escape" else f"No setting on {event.key}: o, then a letter."
            self._say(said)  # type: ignore[attr-defined]
            return
        self._say("")  # type: ignore[attr-defined]
        self.form.go_to(name)

    def on_settings_form_left(self, message: SettingsForm.Left) -> None:
        """Escape in a field: back to the curve, where s, v, l, m ... are keys again."""
        message.stop()
        self.focus_default()  # type: ignore[attr-defined]
