"""The REPL's help text and palette commands, and the kernel's completion and signature
hints put into the input (tab, ``(``)."""

from __future__ import annotations

import logging
from typing import Any

from tui.platform.text import strip_escapes
from tui.ui.common.keys import Key, commands

log = logging.getLogger(__name__)

HELP = """\
# REPL

IPython, running in a Jupyter kernel, with `torch`, `nn`, `F` (torch.nn.functional), `np`
and `device` preloaded. The value of a cell's last expression is shown as `Out[n]`;
tensors, modules and optimizers get a card in the inspector, a drawer over the right of
the REPL's column (stacked under the log below 120 columns): closed, the pane's bottom
border says when a card is ready.

**Pictures**: a plot (`plt.plot(...); plt.show()`, `%matplotlib inline` as in Jupyter)
or an `IPython.display.Image` is drawn in the log in half-blocks, scaled in the kernel to
the log's width; `show(x)` draws a tensor or an array (a heatmap, an image, a grid).

IPython works as you know it: `torch.zeros?` and `torch.zeros??` show the docstring and
the source, `%timeit`, `%time`, `%who`, `%history`, and `%debug` after an exception (a
post-mortem debugger: `input()` works, the REPL shows its prompt). `In`, `Out` and `_`
keep displayed results alive: `%xdel x` deletes `x` everywhere, `%reset -f out` forgets
the outputs.

**When things go wrong**, the kernel takes the blow, never the app: a crash
(`os._exit`, a segfault, the OOM killer) is reported in one line, and ctrl+n gives a
fresh kernel in a few seconds. A restart is also how you free all memory (GPU memory
included) and clear a CUDA error ("device-side assert triggered"), which otherwise stays
until the process ends. `exit()` does not close the app: quit with ctrl+q.
"""

#: Draws the last picture left as a placeholder (``--low-bandwidth``).
PICTURE_KEY = "ctrl+g"

#: Every key of the REPL, described once: bindings, F1 and the palette come from here
#: (``tui.ui.common.keys``). Those with no action are the input's own (``ReplInput``).
KEYS = (
    Key("enter", "", "", "run the cell when it is complete, else add an (indented) line"),
    Key(
        "ctrl+j,alt+enter", "", "", "always add a line (shift+enter is not seen by most terminals)"
    ),
    Key("", "", "", "an empty last line + Enter ends a block (for, def, if...) and runs it"),
    Key(
        "up,down",
        "",
        "",
        "previous / next cell from history (on the first / last line); Enter runs a "
        "recalled cell as it is, esc goes back to what you were typing",
    ),
    Key("ctrl+r", "", "", "search history backwards; enter accepts, esc cancels"),
    Key(
        "tab",
        "",
        "",
        "complete a name or attribute: a list opens, narrows as you type, ↑↓ choose, tab "
        "or enter puts it in, esc closes (at the start of a line tab indents)",
    ),
    Key("(", "", "", "show the signature of what is before it", key_display="("),
    Key(
        "ctrl+c",
        "",
        "",
        "interrupt the running cell; again when it is stuck: offer a restart; idle: empty "
        "the input",
    ),
    Key("", "interrupt", "", "Stop the running cell (SIGINT to the kernel)", "interrupt"),
    Key("ctrl+u", "", "", "empty the input (every line of it)"),
    Key(
        "pageup,pagedown",
        "",
        "",
        "scroll the output log (the mouse wheel too; the input keeps the keyboard)",
    ),
    Key(
        "ctrl+n",
        "restart_kernel",
        "Restart",
        "restart the kernel: a fresh namespace, all memory given back",
        "restart kernel",
    ),
    Key("ctrl+l", "clear_output", "Clear", "clear the output log", "clear output"),
    Key(
        "ctrl+o",
        "toggle_inspector",
        "Inspector",
        "show or hide the inspector (the keyboard stays in the input)",
        "toggle inspector",
    ),
    # priority: the input (a TextArea) binds f6 to "select line"
    Key(
        "f6",
        "focus_inspector",
        "Focus the inspector",
        "open the inspector and focus it (esc goes back to the input, closing what f6 opened)",
        "focus inspector",
        show=False,
        priority=True,
    ),
    Key(
        PICTURE_KEY,
        "show_picture",
        "Draw the last picture placeholder",
        "draw the last picture left as a placeholder (--low-bandwidth shows plots as one line)",
        "draw picture",
        show=False,
    ),
)
COMMANDS = commands(KEYS)


def signature_line(inspected: str) -> str:
    """The signature out of IPython's ``inspect_reply`` text (first lines, no colour)."""
    text = strip_escapes(inspected)
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(("Signature:", "Init signature:", "Call signature:")):
            return line.split(":", 1)[1].strip()[:300]
        if line.startswith("Docstring:") and i + 1 < len(lines):
            first = lines[i + 1].strip()
            if "(" in first:
                return first[:300]
    return ""


async def complete_into(kernel: Any, input: Any, text: str, insert: bool = True) -> None:
    """Tab: IPython's completions for the line up to the cursor, applied to the input
    (``insert`` False: only the list, as it narrows while the learner types)."""
    try:
        start, _end, matches = await kernel.complete(text, len(text))
    except Exception as exc:  # noqa: BLE001 - no kernel, or it did not answer in time
        log.warning("completion failed: %r", exc)
        input.post_message(input.Hint("completion needs a running kernel"))
        return
    word = text[start:]
    found = [m for m in matches if m.startswith(word)]
    input.apply_completion(text, start, word, found, insert=insert)


async def signature_into(kernel: Any, input: Any, text: str) -> None:
    """``(``: the signature of what comes before it, on the hint line."""
    try:
        found = await kernel.inspect(text, len(text) - 1)
    except Exception as exc:  # noqa: BLE001
        log.warning("signature not found: %r", exc)
        return
    line = signature_line(found)
    if line:
        input.post_message(input.Hint(line))
