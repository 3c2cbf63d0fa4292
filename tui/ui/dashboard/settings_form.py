"""The dashboard's settings column: one row per TrainConfig field, plus data parallel.

``read()`` gives the validated ``TrainConfig`` and the worker count (``ConfigError`` names
every bad field; validating needs no torch, so it happens here in the app). An emptied
field is an error naming it, never a silent default. Enter in a field posts
``SettingsForm.Submitted`` with both (``Invalid`` when they do not read); the pane starts
a run from it, as it does for F5 and ``s``. Escape posts ``Left``: the pane takes focus
back so its letter keys act again. Every edit posts ``Edited``: the pane keeps the target
row (and a settings error on it) current as the learner types.

Each label underlines its letter (``KEYS``): ``o`` then that letter goes to the setting.
The form itself is no Tab stop, so Tab visits the settings in the order shown, wherever
it starts.

Until a setting is edited the column is one widget, ``SettingsGlance``, drawn like the
fields: Textual repaints every visible widget inside what a key changes, and the ~80
field widgets made every pane switch and lesson step repaint them. Tab onto it, ``o``
and a letter, or a click opens the fields there; focus leaving them shows the glance
again. While F5 trains the REPL's model (``show_use``), the settings that run does
not read are greyed, each with the word why (``tui.training.target.repl_uses``), and
``read`` validates only the ones it does read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from tui.training.config import (
    ACTIVATIONS,
    INITS,
    LOSSES,
    OPTIMIZERS,
    SCHEDULES,
    ConfigError,
    TrainConfig,
)
from tui.ui.common.focus_moves import TabStandIn
from tui.ui.common.ordered_input import OrderedInput
from tui.ui.common.plain import plain_cell

FIELDS: list[tuple[str, str, str]] = [
    # (config field, label, kind: select/input)
    ("dataset", "data", "select"),
    ("hidden", "hidden", "input"),
    ("activation", "act", "select"),
    ("optimizer", "optim", "select"),
    ("lr", "lr", "input"),
    ("batch_size", "batch", "input"),
    ("epochs", "epochs", "input"),
    ("steps", "steps", "input"),
    ("samples", "samples", "input"),
    ("noise", "noise", "input"),
    ("train_share", "train", "input"),
    ("init", "init", "select"),
    ("dropout", "dropout", "input"),
    ("schedule", "schedule", "select"),
    ("loss", "loss fn", "select"),
    ("momentum", "momentum", "input"),
    ("weight_decay", "w.decay", "input"),
    ("seed", "rng seed", "input"),
    ("device", "device", "select"),
]
#: The letter after ``o`` that goes to each setting (``ddp``: the parallel row), one of
#: its label's own letters, underlined there.
KEYS = {
    "dataset": "d", "hidden": "h", "activation": "a", "optimizer": "o", "lr": "l",
    "batch_size": "b", "epochs": "e", "steps": "s", "samples": "m", "noise": "n",
    "train_share": "t", "init": "i", "dropout": "r", "schedule": "c", "loss": "f",
    "momentum": "u", "weight_decay": "w", "seed": "g", "device": "v", "ddp": "p",
}  # fmt: skip
#: Every row's field name and label, in the order shown (Tab's order).
ROWS: list[tuple[str, str]] = [(name, label) for name, label, _ in FIELDS] + [("ddp", "parallel")]
#: Fields that may stay empty: no steps means "from epochs" (the placeholder says so).
OPTIONAL = ("steps",)
#: What to type into an emptied field, when it is not just a number.
EMPTY_HINTS = {"hidden": "layer widths like 16,16, or none for a linear model"}
#: (label, workers) of the data parallel row; 1 means the single-process Trainer.
WORKER_CHOICES: list[tuple[str, int]] = [
    ("off", 1),
    ("2 workers", 2),
    ("4 workers", 4),
    ("8 workers", 8),
]


def key_label(label: str, key: str) -> Text:
    """``label`` with its ``o``-key letter underlined."""
    text = Text(label)
    at = label.find(key)
    if at >= 0:
        text.stylize("underline", at, at + 1)
    return text


def _literal(devices: list[tuple[str, str]]) -> list[tuple[Any, str]]:
    """The kernel's device labels (``NVIDIA H100 …``) as literal prompts, never markup."""
    return [(plain_cell(label), name) for label, name in devices]


class SettingsGlance(TabStandIn, Static, can_focus=True):
    """The settings as the fields show them, in one widget (the form's idle face)."""

    COMPONENT_CLASSES = {
        "settings-glance--label",
        "settings-glance--field",
        "settings-glance--faint",
        "settings-glance--placeholder",
        "settings-glance--unused-label",
        "settings-glance--unused-field",
        "settings-glance--unused-faint",
        "settings-glance--invalid",
        "settings-glance--why",
        "settings-glance--applies",
    }
    DEFAULT_CSS = """
    SettingsGlance {
        height: auto;
        .settings-glance--label { color: $text-muted; }
        .settings-glance--field { color: $foreground; background: $surface; }
        .settings-glance--faint { color: $foreground 50%; background: $surface; }
        .settings-glance--placeholder { color: $text-disabled; background: $surface; }
        /* a setting the REPL model's run does not read: as the fields at 45% opacity */
        .settings-glance--unused-label { color: $text-muted 45%; }
        .settings-glance--unused-field { color: $foreground 45%; }
        .settings-glance--unused-faint { color: $foreground 20%; }
        .settings-glance--invalid { color: $error; text-style: bold; }
        .settings-glance--why { color: $text-muted; }
        .settings-glance--applies { color: $success; }
    }
    """

    def __init__(self, form: SettingsForm, **kwargs: Any) -> None:
        super().__init__("", markup=False, **kwargs)
        self.form = form

    def render(self) -> Text:
        style = self.get_component_rich_style
        invalid, why_style = style("settings-glance--invalid"), style("settings-glance--why")
        applies = style("settings-glance--applies")
        width = self.size.width or 29
        out = Text(no_wrap=True, overflow="crop", end="")
        for i, (name, label) in enumerate(ROWS):
            shown, placeholder, choice = self.form.shown_value(name)
            row = self.form.row_state(name)
            unused = "unused-" if row.unused else ""
            field = style(f"settings-glance--{unused}field")
            faint = style(f"settings-glance--{unused}faint")
            why = row.why if self.form.repl_uses is not None else ""
            line = Text(no_wrap=True, overflow="crop", end="")
            line.append_text(key_label(f"{label:<9}"[:9], KEYS[name]))
            line.stylize_before(
                invalid if row.invalid else style(f"settings-glance--{unused}label")
            )
            room = max(0, width - 9 - (len(why) + 1 if why else 0))
            if choice:  # a Select: its choice's first line (it wraps at words), the arrow
                fit = max(0, room - 3)
                if len(shown) > fit:
                    head = shown[: fit + 1]
                    shown = head.rsplit(" ", 1)[0] if " " in head.strip() else shown[:fit]
                line.append(f"{shown[:fit]:<{fit}}", field)
                line.append(" ▼ "[:room], faint)
            elif shown or not placeholder:
                line.append(f"{shown[:room]:<{room}}", field)
            else:
                hint = faint if unused else style("settings-glance--placeholder")
                line.append(f"{placeholder[:room]:<{room}}", hint)
            if why:
                line.append(" ")
                line.append(why, applies if row.applies else why_style)
            out.append_text(line)
            if i < len(ROWS) - 1:
                out.append("\n")
        return out

    def on_focus(self) -> None:
        """Focused otherwise than by Tab (which opens the fields at once): the fields, at
        the one a click opened (the screen focuses what was clicked after the press), else
        the first."""
        self.call_later(self._open_if_focused)

    def _open_if_focused(self) -> None:
        if self.has_focus:
            self.form.open(self.form.opened_at if self.form.editing else None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        """On the press, not the click: the fields take the glance's place under the mouse."""
        if 0 <= event.y < len(ROWS):
            self.form.open(ROWS[event.y][0])

    def enter_by_tab(self, step: int) -> None:
        """Tab (``step`` 1) or shift+Tab (-1) landed here: the first or last setting."""
        self.form.open(ROWS[0][0] if step > 0 else ROWS[-1][0])


@dataclass(frozen=True, slots=True)
class RowState:
    """What a row shows besides its value: a bad value, a setting a run does not use."""

    invalid: bool
    unused: bool
    applies: bool
    why: str


class SettingsForm(VerticalScroll):
    """The settings; ids ``cfg-<field>`` and ``cfg-ddp``."""

    DEFAULT_CSS = """
    SettingsForm { width: 30; height: 1fr; padding: 0 1 0 0; }
    SettingsForm #dash-rows { height: auto; display: none; }
    SettingsForm .dash-row { height: 1; }
    SettingsForm .dash-row Label { width: 9; color: $text-muted; }
    /* compact fields show no focus of their own: the row's label does */
    SettingsForm .dash-row:focus-within Label { color: $accent; text-style: bold; }
    /* (no change: this rule makes Textual restyle a row, and only the row, when the
       focus enters or leaves it; the rule above alone never restyles the label) */
    SettingsForm .dash-row:focus-within { height: 1; }
    SettingsForm .dash-row Input, SettingsForm .dash-row Select { width: 1fr; }
    SettingsForm .dash-row.-invalid Label { color: $error; text-style: bold; }
    SettingsForm .dash-row .why { display: none; width: auto; padding-left: 1; }
    SettingsForm.-repl .dash-row .why { display: block; color: $text-muted; }
    SettingsForm.-repl .dash-row.-applies .why { color: $success; }
    SettingsForm .dash-row.-unused Label, SettingsForm .dash-row.-unused Input,
    SettingsForm .dash-row.-unused Select { opacity: 45%; }
    """
    BINDINGS = [Binding("escape", "leave", "Leave the field", show=False)]

    class Left(Message):
        """Escape in a field: the pane focuses its curve, where letters are keys again."""

    class Edited(Message):
        """A setting changed (typed, or picked in a list)."""

    class Submitted(Message):
        """Enter in a field: the settings, validated, to start a run with."""

        def __init__(self, config: TrainConfig, workers: int) -> None:
            super().__init__()
            self.config, self.workers = config, workers

    class Invalid(Message):
        """Enter in a field with a bad setting; ``error`` names every bad field."""

        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self, devices: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._devices = devices or [("cpu", "cpu")]
        #: Scrolled by focusing a field, never a Tab stop of its own: Tab's stops are the
        #: fields, the same ones in the same order wherever it starts.
        self.can_focus = False
        #: What a REPL-model run takes from each setting (``show_use``); None: the
        #: playground's run, which reads them all.
        self.repl_uses: dict[str, tuple[bool, str, str]] | None = None
        #: The fields ``mark`` marked bad, and each choice's (prompt, value) list.
        self._bad: set[str] = set()
        self._choices: dict[str, list[tuple[Any, Any]]] = {}
        #: The setting ``open`` last focused.
        self.opened_at = ROWS[0][0]

    def compose(self) -> ComposeResult:
        from tui.training.datasets import DATASETS
        from tui.training.settings import load_settings

        defaults = TrainConfig()
        saved = load_settings()
        options = {
            "dataset": [(f"{k}: {v[0].description}", k) for k, v in DATASETS.items()],
            "activation": [(a, a) for a in ACTIVATIONS],
            "optimizer": [(o, o) for o in OPTIMIZERS],
            "loss": [(lo, lo) for lo in LOSSES],
            "init": [(i, i) for i in INITS],
            "schedule": [(sc, sc) for sc in SCHEDULES],
            "device": _literal(self._devices),
        }
        self._choices = {**options, "ddp": list(WORKER_CHOICES)}
        self.glance = SettingsGlance(self, id="dash-glance")
        yield self.glance
        #: The fields' rows, hidden while the glance shows.
        self.rows = Vertical(id="dash-rows")
        with self.rows:
            yield from self._rows(options, saved, defaults)

    def _rows(self, options: dict, saved: dict, defaults: TrainConfig) -> ComposeResult:
        for name, label, kind in FIELDS:
            with Horizontal(classes="dash-row"):
                yield Label(key_label(label, KEYS[name]))
                value = saved.get(name, getattr(defaults, name))
                if kind == "select":
                    yield Select(
                        options[name], value=value, allow_blank=False, compact=True,
                        id=f"cfg-{name}",
                    )  # fmt: skip
                else:
                    text = (
                        ",".join(map(str, value))
                        if isinstance(value, tuple)
                        else ("" if value is None else str(value))
                    )
                    yield OrderedInput(
                        text, compact=True, id=f"cfg-{name}",
                        placeholder="from epochs" if name == "steps" else "",
                    )  # fmt: skip
                yield Static("", classes="why", markup=False)
        with Horizontal(classes="dash-row", id="dash-ddp-row"):
            yield Label(key_label("parallel", KEYS["ddp"]))
            workers = saved.get("workers", 1)
            if workers not in [n for _, n in WORKER_CHOICES]:
                workers = 1
            yield Select(
                WORKER_CHOICES, value=workers, allow_blank=False, compact=True, id="cfg-ddp"
            )
            yield Static("", classes="why", markup=False)

    # -- keys and what a REPL-model run reads ---------------------------------------------
    def setting_for(self, key: str | None) -> str | None:
        """The setting whose letter ``key`` is, or None."""
        return next((name for name, k in KEYS.items() if k == key), None)

    def go_to(self, name: str) -> None:
        """Focus the setting ``name`` now (``Widget.focus`` waits for a refresh, and a key
        typed meanwhile would go to the old focus); it scrolls into view."""
        self.open(name)

    # -- the glance and the fields ---------------------------------------------------------
    @property
    def editing(self) -> bool:
        """Whether the fields are shown (else the glance)."""
        return bool(self.rows.display)

    def open(self, name: str | None = None) -> None:
        """Show the fields in place of the glance and focus ``name``'s (the first)."""
        rows = self.rows
        if not rows.display:
            rows.display = True
            self.glance.display = False
        self.opened_at = name or ROWS[0][0]
        self.screen.set_focus(self.query_one(f"#cfg-{self.opened_at}"))

    def close(self) -> None:
        """The glance again, showing what the fields now hold."""
        rows = self.rows
        if rows.display:
            rows.display = False
            self.glance.display = True
            self.glance.refresh()

    def on_mount(self) -> None:
        self.watch(self.screen, "focused", self._focus_moved, init=False)

    def _focus_moved(self, focused: Widget | None) -> None:
        if self.editing and (focused is None or self not in focused.ancestors):
            self.close()

    def shown_value(self, name: str) -> tuple[str, str, bool]:
        """(what the field shows, its placeholder, whether it is a choice) for the glance."""
        widget = self.query_one(f"#cfg-{name}")
        if isinstance(widget, Select):
            value = widget.value
            prompt = next((str(p) for p, v in self._choices.get(name, ()) if v == value), "")
            return prompt, "", True
        if isinstance(widget, Input):
            return widget.value, widget.placeholder, False
        return "", "", False

    def row_state(self, name: str) -> RowState:
        """The row's marks, as ``mark`` and ``show_use`` set them on the fields."""
        uses = self.repl_uses
        applies, tag, _why = uses.get(name, (True, "", "")) if uses else (True, "", "")
        return RowState(
            name in self._bad, uses is not None and not applies, uses is not None and applies, tag
        )

    def show_use(self, uses: dict[str, tuple[bool, str, str]] | None) -> None:
        """Grey the settings a REPL-model run does not read, each with its word why, and
        say on the others that they apply (``uses``: ``tui.training.target.repl_uses``);
        None: the playground's run, which reads every one."""
        if uses == self.repl_uses:
            return
        self.repl_uses = uses
        self.set_class(uses is not None, "-repl")
        for name, _ in ROWS:
            row = self.query_one(f"#cfg-{name}").parent
            if not isinstance(row, Widget):
                continue
            applies, tag, why = uses.get(name, (True, "", "")) if uses else (True, "", "")
            row.set_class(uses is not None and not applies, "-unused")
            row.set_class(uses is not None and applies, "-applies")
            row.query_one(".why", Static).update(tag)
            row.tooltip = why or None
        self.glance.refresh()

    def raw(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, _, kind in FIELDS:
            widget = self.query_one(f"#cfg-{name}")
            value = widget.value if isinstance(widget, (Input, Select)) else None
            out[name] = None if kind == "select" and value is Select.BLANK else value
        return out

    def remember(self) -> str | None:
        """Save the form for the next start; the reason when it could not be saved."""
        from tui.platform import state
        from tui.training.settings import save_settings

        try:
            save_settings(self.raw(), self.worker_count())
        except state.StateError as exc:
            return str(exc)
        return None

    def worker_count(self) -> int:
        value = self.query_one("#cfg-ddp", Select).value
        return value if isinstance(value, int) else 1

    def read(self, repl: bool | None = None) -> tuple[TrainConfig, int]:
        """The validated settings and the worker count; ConfigError says what is wrong
        (an emptied field by its label: ``batch is empty: type a number``). The rows of
        the bad fields are marked until the next ``read``. For a REPL-model run (``repl``;
        None: while the form shows one) only the settings it reads are read; the others
        are its defaults, whatever their fields say."""
        raw = self.raw()
        unread: set[str] = set()
        if repl if repl is not None else self.repl_uses is not None:
            from tui.training.target import REPL_APPLIES

            defaults = TrainConfig().to_dict()
            unread = {name for name, _, _ in FIELDS if name not in REPL_APPLIES}
            raw.update({name: defaults[name] for name in unread})
        labels = {name: label for name, label, _ in FIELDS}
        empty = [
            name
            for name, _, kind in FIELDS
            if kind == "input"
            and name not in OPTIONAL
            and name not in unread
            and not str(raw[name]).strip()
        ]
        errors = [f"{labels[n]} is empty: type {EMPTY_HINTS.get(n, 'a number')}" for n in empty]
        bad = set(empty)
        config: TrainConfig | None = None
        try:
            config = TrainConfig.from_mapping(raw)
        except ConfigError as exc:
            errors.append(str(exc))
            bad |= {part.split(" ", 1)[0] for part in str(exc).split("; ")} & set(labels)
        self.mark(bad)
        if errors or config is None:
            raise ConfigError("; ".join(errors))
        return config, self.worker_count()

    def mark(self, bad: set[str]) -> None:
        """Mark the rows of the fields named in ``bad`` (their labels turn red)."""
        self._bad = set(bad)
        for name, _, _ in FIELDS:
            row = self.query_one(f"#cfg-{name}").parent
            if row is not None:
                row.set_class(name in bad, "-invalid")
        self.glance.refresh()

    def action_leave(self) -> None:
        # The field lets go now, so the keys behind Escape wait for the pane to pick
        # the new focus (the main screen holds them) instead of landing in the field.
        self.screen.set_focus(None)
        self.post_message(self.Left())

    def set_devices(self, devices: list[tuple[str, str]], wanted: str) -> None:
        """The devices the kernel has (``(label, name)``) and the one to select."""
        self._devices = devices or [("cpu", "cpu")]
        select = self.query_one("#cfg-device", Select)
        self._choices["device"] = _literal(self._devices)
        select.set_options(self._choices["device"])
        names = [name for _, name in self._devices]
        select.value = wanted if wanted in names else names[0]
        self.glance.refresh()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.glance.refresh()
        self.post_message(self.Edited())

    def on_select_changed(self, event: Select.Changed) -> None:
        self.glance.refresh()
        self.post_message(self.Edited())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            config, workers = self.read()
        except ConfigError as exc:
            self.post_message(self.Invalid(str(exc)))
            return
        self.post_message(self.Submitted(config, workers))
