"""The lesson pane's words: its help, its command palette entries, and block tags."""

from __future__ import annotations

from tui.lessons.document import Block, Lesson

HELP = """\
A lesson is read one **section** at a time. Its python blocks run in the REPL: select one
with **up/down** and press **Enter**; **a** runs every block of the lesson up to the selected
one (handy after a REPL reset). Exercises (✎) are checked after every REPL cell: write your
answer in the REPL (F3) and watch ✗ turn into ✓. **h** shows the next hint, **s** (twice)
the solution. **t** lists the sections, **l** all lessons with your progress, **o** the
links of this section (links to other lessons open here). Your place and progress are
saved, so the app reopens where you left off. A lesson that did not ship with torch-tui
has its checks off until you trust its folder with **T** (asked again when a file changes).
"""


def block_tag(lesson: Lesson, block: Block, exercise_id: str | None = None) -> str:
    """The stable id of a block, sent as its cell's tag: ``lesson:<id>/block-<n>``, or
    ``lesson:<id>/solution-<exercise>`` for a revealed solution."""
    if block.index < 0 and exercise_id is not None:
        return f"lesson:{lesson.id}/solution-{exercise_id}"
    return f"lesson:{lesson.id}/block-{block.index}"


#: Command palette entries: (name, action, what it does).
COMMANDS = [
    ("next section", "next_section", "Show the next section of the lesson (n)"),
    ("previous section", "prev_section", "Show the previous section (p)"),
    ("next lesson", "next_lesson", "Open the next lesson (] or N)"),
    ("previous lesson", "prev_lesson", "Open the previous lesson ([ or P)"),
    ("open picker", "picker", "Choose a lesson: completion and prerequisites (l)"),
    ("table of contents", "toc", "Jump to a section of this lesson (t)"),
    ("run selected block", "run_selected", "Send the selected code block to the REPL (Enter)"),
    (
        "run all blocks up to here",
        "run_to_here",
        "Rebuild the REPL state up to the selection (a)",
    ),
    ("next hint", "hint", "Show the next hint of the exercise (h)"),
    ("reveal solution", "solution", "Show the exercise's solution (s, twice)"),
    ("check exercises now", "check_now", "Run this lesson's exercise checks now (c)"),
    ("open a link", "links", "Follow a link of this section (o)"),
    ("trust this lesson's folder", "trust", "Let its exercise checks run (T)"),
]
