"""The lesson pane's keys, each described once (``tui.ui.common.keys``): the bindings of
the pane and of its lesson view, the rows of F1, the command palette's entries and the
keys named in the pane's help are all derived from ``KEYS``."""

from __future__ import annotations

from tui.ui.common.keys import Key, commands, key_words

#: The lesson view's own keys (``LessonBody``: the focused widget): selection and running.
BODY_KEYS = (
    Key(
        "enter,r",
        "run_selected",
        "Run block",
        "Send the selected code block to the REPL",
        "run selected block",
    ),
    Key("down,j", "select(1)", "Next block", "Select the next code block or exercise", show=False),
    Key(
        "up,k", "select(-1)", "Prev block", "Select the previous code block or exercise", show=False
    ),
)

#: The pane's keys, in the footer's order.
PANE_KEYS = (
    Key("n", "next_section", "Next §", "Show the next section of the lesson", "next section"),
    Key("p", "prev_section", "Prev §", "Show the previous section", "previous section"),
    Key(
        "right_square_bracket,N",
        "next_lesson",
        "Next lesson",
        "Open the next lesson",
        "next lesson",
        key_display="]",
    ),
    Key(
        "left_square_bracket,P",
        "prev_lesson",
        "Prev lesson",
        "Open the previous lesson",
        "previous lesson",
        key_display="[",
    ),
    Key("t", "toc", "Contents", "Jump to a section of this lesson", "table of contents"),
    Key(
        "l",
        "picker",
        "Lessons",
        "Choose a lesson: completion and prerequisites",
        "open picker",
    ),
    Key(
        "a",
        "run_to_here",
        "Run up to here",
        "Rebuild the REPL state up to the selection",
        "run all blocks up to here",
    ),
    Key("h", "hint", "Hint", "Show the next hint of the exercise", "next hint"),
    Key(
        "s",
        "solution",
        "Solution",
        "Show the exercise's solution (press it twice)",
        "reveal solution",
    ),
    Key(
        "c",
        "check_now",
        "Check",
        "Run this lesson's exercise checks now",
        "check exercises now",
        show=False,
    ),
    Key("o", "links", "Links", "Follow a link of this section", "open a link", show=False),
    Key("T", "trust", "Trust folder", "Let its exercise checks run", "trust this lesson's folder"),
)

#: Everything F1 and the palette list for the pane, the lesson view's keys first.
KEYS = (*BODY_KEYS, *PANE_KEYS)
COMMANDS = commands(KEYS)


def _key(action: str) -> str:
    """How the help names the key of ``action``: its first (``up,k`` -> ``↑``)."""
    return next(key_words(k.keys.split(",")[0]) for k in KEYS if k.action == action)


#: The pane's help in F1: the idea, with the keys named from ``KEYS``.
HELP = f"""\
A lesson is read one **section** at a time. Its python blocks run in the REPL: select one
with **{_key("select(-1)")}**/**{_key("select(1)")}** and press **{_key("run_selected")}**; **{_key("run_to_here")}** runs every block of the lesson up
to the selected one (handy after a REPL reset). Exercises (✎) are checked after every REPL
cell: write your answer in the REPL (F3) and watch ✗ turn into ✓. **{_key("hint")}** shows
the next hint, **{_key("solution")}** (twice) the solution. **{_key("toc")}** lists the
sections, **{_key("picker")}** all lessons with your progress, **{_key("links")}** the links
of this section (links to other lessons open here). Your place and progress are saved, so
the app reopens where you left off. A lesson that did not ship with torch-tui has its checks
off until you trust its folder with **{_key("trust")}** (asked again when a file changes).
"""

#: The key line under a section (an untrusted lesson's starts with what T does).
KEY_LINE = "n/p section · ↑↓ select · Enter run · a run up to here · t contents · l lessons"
