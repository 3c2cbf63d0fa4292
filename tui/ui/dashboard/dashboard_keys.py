"""The dashboard's keys, palette commands and help text (kept apart from its logic)."""

from __future__ import annotations

from textual.binding import Binding

from tui.ui.dashboard.settings_form import KEYS, ROWS

HELP = """\
### Training dashboard

Train a small network live and watch its loss fall, on the device you pick.
Training runs in the kernel, beside the REPL.

| key | does |
|---|---|
| F5 | start / stop training what the row above the metrics names (from anywhere) |
| s | start that run: the playground's settings, or the REPL model |
| p | switch what F5 trains: the playground or the REPL's `model` (once it has `X`, `y`) |
| t | train the REPL's own `model` on its `X`, `y` (+ `criterion`, `optimizer`) |
| space | pause / resume |
| . | step: run exactly one batch, then pause (starts a paused run if none) |
| g | show / hide the per-layer panel |
| o, then a letter | go to that setting: each label underlines its letter (o l: lr) |
| x | stop |
| r | reset: forget the curves, at once |
| l | log view: plots log10(loss) |
| m | smooth the curve (EMA) |
| v | switch loss curve / decision boundary (2-D sets) |
| f | show the first Conv2d's filters, live (a CNN trained with t) |
| c | show / hide the settings column |
| e | export the last run to the runs folder |

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
COMMANDS: list[tuple[str, str, str]] = [
    ("start", "start", "Train what the target row names (F5, s)"),
    ("switch F5 target", "switch_target", "F5 trains the playground or the REPL model (p)"),
    ("REPL model", "train_repl", "Train the REPL's model on its X and y"),
    ("pause or resume", "pause", "Pause or resume the run"),
    ("stop", "stop", "Stop the run"),
    ("reset", "reset", "Forget the curves of earlier runs"),
    ("export run", "export", "Write config.json, history.csv and model.pt"),
    ("toggle log scale", "toggle_log", "Plot log10(loss)"),
    ("toggle smoothing", "toggle_smooth", "Smooth the curve with an EMA"),
    ("toggle boundary view", "toggle_view", "Loss curve or decision boundary"),
    ("toggle filters view", "toggle_filters", "The first Conv2d's filters, live (f)"),
    ("step one batch", "step_once", "Run exactly one batch, then pause (.)"),
    ("toggle layer panel", "toggle_layers", "Show or hide the per-layer gradient panel (g)"),
    *[
        (f"go to setting {label}", f"goto_setting('{name}')", f"Focus {label} (o {KEYS[name]})")
        for name, label in ROWS
    ],
]
BINDINGS = [
    Binding("s", "start", "Start"),
    Binding("p", "switch_target", "F5 target"),
    Binding("t", "train_repl", "Train REPL model"),
    Binding("space", "pause", "Pause/Resume"),
    Binding("full_stop", "step_once", "Step"),
    Binding("g", "toggle_layers", "Layers", show=False),
    Binding("o", "goto_setting", "Go to setting", show=False),
    Binding("x", "stop", "Stop"),
    Binding("r", "reset", "Reset", show=False),
    Binding("l", "toggle_log", "Log", show=False),
    Binding("m", "toggle_smooth", "Smooth", show=False),
    Binding("v", "toggle_view", "Boundary", show=False),
    Binding("f", "toggle_filters", "Filters", show=False),
    Binding("c", "toggle_config", "Settings", show=False),
    Binding("e", "export", "Export", show=False),
]
