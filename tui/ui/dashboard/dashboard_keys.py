"""The dashboard's keys, each described once, and its help prose.

``KEYS`` (``tui.ui.common.keys``) gives the pane its bindings, its palette commands and
its rows in F1; the help prose says what the keys cannot. The palette also goes straight
to each setting, one command per row of the settings form (``settings_form.ROWS``), named
by the letter ``o`` takes there (``settings_form.KEYS``).
"""

from __future__ import annotations

from tui.ui.common.keys import Key, bindings, commands
from tui.ui.dashboard.settings_form import KEYS as SETTING_KEYS
from tui.ui.dashboard.settings_form import ROWS

HELP = """\
Train a small network live and watch its loss fall, on the device you pick.
Training runs in the kernel, beside the REPL; F5 starts or stops, from anywhere, what
the row above the metrics names.

The curve shows the training loss and, in yellow (no run's colour), the validation
loss (the held-out share of the data, 20% by default: `train` sets it). Its x-axis is
the current run's: older runs are drawn up to its last step. Under it: the learning rate
when a schedule moves it, and the coach's line when it has something to say (a loss far
from ln K at the start, divergence, vanishing gradients, a plateau, overfitting, an lr
too small). The layer panel shows each layer's gradient norm, weight norm,
update-to-weight ratio per step (healthy near 1e-3) and the share of dead ReLU or
saturated tanh/sigmoid units.

Settings: Tab moves between them, always in the order shown; o and a label's underlined
letter go straight to one; Enter in a field starts a run; Escape leaves the field, so
letters are keys again. An emptied field is named until you fill it. While F5 trains
the REPL model, the settings it does not read are greyed with the word why (its own
layers, X and y, optimizer, criterion); batch, epochs, steps and rng seed say they apply.
The curve overlays the last five runs; the legend names each by what differs (the
model's class, the data, optimizer, lr). Training the REPL model changes the REPL's own
weights, so the REPL sees the trained model afterwards.
"""

#: Every key of the dashboard: the binding, the footer's word, F1's sentence (also the
#: palette's) and the palette's title.
KEYS = (
    Key(
        "s",
        "start",
        "Start",
        "start what the target row names: the playground's settings, or the REPL model "
        "(as F5 does from anywhere)",
        "start",
    ),
    Key(
        "p",
        "switch_target",
        "F5 target",
        "switch what F5 trains: the playground or the REPL's model (once it has X and y)",
        "switch F5 target",
    ),
    Key(
        "t",
        "train_repl",
        "Train REPL model",
        "train the REPL's own model on its X and y (with its criterion and optimizer)",
        "REPL model",
    ),
    Key("space", "pause", "Pause/Resume", "pause or resume the run", "pause or resume"),
    Key(
        "full_stop",
        "step_once",
        "Step",
        "step: run exactly one batch, then pause (starts a paused run if none)",
        "step one batch",
    ),
    Key(
        "g",
        "toggle_layers",
        "Layers",
        "show or hide the per-layer panel (gradient norms, update ratios, dead units)",
        "toggle layer panel",
        show=False,
    ),
    Key(
        "o",
        "goto_setting",
        "Go to setting",
        "go to a setting: o, then the letter its label underlines (o l: lr)",
        show=False,
    ),
    Key("x", "stop", "Stop", "stop the run", "stop"),
    Key(
        "r",
        "reset",
        "Reset",
        "reset: forget the curves of earlier runs, at once",
        "reset",
        show=False,
    ),
    Key("l", "toggle_log", "Log", "log view: plot log10(loss)", "toggle log scale", show=False),
    Key(
        "m",
        "toggle_smooth",
        "Smooth",
        "smooth the curve (EMA)",
        "toggle smoothing",
        show=False,
    ),
    Key(
        "v",
        "toggle_view",
        "Boundary",
        "switch between the loss curve and the decision boundary (2-D sets)",
        "toggle boundary view",
        show=False,
    ),
    Key(
        "f",
        "toggle_filters",
        "Filters",
        "show the first Conv2d's filters, live (a CNN trained with t)",
        "toggle filters view",
        show=False,
    ),
    Key(
        "c",
        "toggle_config",
        "Settings",
        "show or hide the settings column",
        "toggle settings column",
        show=False,
    ),
    Key(
        "e",
        "export",
        "Export",
        "export the last run to the runs folder: config.json, history.csv, train.py and model.pt",
        "export run",
        show=False,
    ),
)
BINDINGS = bindings(KEYS)
#: The palette: the keys', then one "go to setting" per row of the form.
COMMANDS: list[tuple[str, str, str]] = [
    *commands(KEYS),
    *[
        (
            f"go to setting {label}",
            f"goto_setting('{name}')",
            f"Focus {label} (o {SETTING_KEYS[name]})",
        )
        for name, label in ROWS
    ],
]
