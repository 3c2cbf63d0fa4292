"""Lesson faults through the real app: broken files, hostile markdown, vanishing folders.

One app serves the module, started on a lessons folder that holds every broken case at
once (they must not hide each other), a symlink loop, a lesson with escape sequences, one
with a 10,000-line code block, and a link to a lesson file outside the lessons folders.
The folder is deleted by the last test, while the app runs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import pytest_asyncio
from textual.widgets import DataTable

import tui.ui.app as app_module
from hardening.conftest import SIZE, lesson_pane, log_text, repl_pane, static_text, wait_until
from tui.ui.app import TorchTUI
from tui.ui.lessons.code_block import CodeBlock
from tui.ui.lessons.picker import ChoiceList, LessonPicker


class LessonApp(TorchTUI):
    """The real app on the tests' shared kernel, recording each cell's outcome."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

    def __init__(self, **kw) -> None:
        kw.setdefault("device", "cpu")
        super().__init__(**kw)
        self.cells: list = []

    def on_repl_pane_cell_done(self, message) -> None:
        super().on_repl_pane_cell_done(message)
        self.cells.append(message.outcome)


async def ready(pilot, app: LessonApp) -> None:
    """The kernel is up and every pane has its body."""
    await wait_until(pilot, lambda: app.kernel.ready, 120, "the kernel")
    main = app._main()
    await wait_until(
        pilot,
        lambda: (
            all(main.pane(n).is_built for n in ("lessons", "repl", "dashboard"))
            and repl_pane(app).query_one("#repl-inspector").built
        ),
        what="the panes",
    )


async def kernel_text(app, code: str) -> str:
    """What ``code`` prints in the kernel (beside the REPL, not through it)."""
    outcome = await app.kernel.execute(code, lambda out: None)
    return outcome.text().strip()


async def still_usable(pilot, app: LessonApp) -> None:
    """The next REPL cell runs and prints the right value: the app survived."""
    before = len(app.cells)
    repl_pane(app).run_source("print(6 * 7)")
    await wait_until(pilot, lambda: len(app.cells) > before, what="a cell after the fault")
    outcome = app.cells[before]
    assert outcome.ok and "42" in outcome.text(), outcome.text()
    assert app.is_running


pytestmark = pytest.mark.asyncio(loop_scope="module")

GOOD = """---
id: h-good
title: A good lesson
concepts: [tensors]
why: it loads next to broken neighbours
---
Intro with a [link outside](../outside.md) and one to [the seed](lesson:08-pytorch-intro).

## First

```python
good_value = 40 + 2
```

## Second

More text.
"""

ESCAPES = (
    '---\nid: h-escapes\ntitle: "Escapes \\e[31mred\\e[0m \\e]0;pwned\\a"\n---\n'
    "## Hostile \x1b[2J section\n\n"
    "Text with \x1b[2J\x1b[H clear-screen, \x1b]52;c;ZXZpbA==\x07 clipboard, a bell \x07,"
    " a \r carriage return and \x9b31m eight-bit CSI.\n\n"
    "```python\nprint('\\x1b[31m')  # \x1b[5m blink\x07\n```\n"
)

LONG = (
    "---\nid: h-long\ntitle: A 10,000-line block\n---\n## Long\n\n```python\n"
    + "\n".join(f"x{i} = {i}" for i in range(10_000))
    + "\n```\n\n## After\n\nStill here.\n"
)

#: stem -> (file bytes, words the one-line reason must contain)
BROKEN: dict[str, tuple[bytes | None, str]] = {
    "h-b01-no-front-matter": (b"# Just markdown\n\nno front matter here\n", "no front matter"),
    "h-b02-yaml-error": (b"---\nid: [unclosed\ntitle: x\n---\n", "YAML error in front matter"),
    "h-b03-not-mapping": (b"---\n- a\n- b\n---\n## S\n", "must be a mapping"),
    "h-b04-no-id": (b"---\ntitle: No id\n---\n## S\n", "no 'id'"),
    "h-b05-no-title": (b"---\nid: h-b05\n---\n## S\n", "no 'title'"),
    "h-zz-duplicate": (b"---\nid: h-good\ntitle: Dup\n---\n## S\n", "duplicate id 'h-good'"),
    "h-b07-latin1": (b"---\nid: h-b07\ntitle: caf\xe9\n---\n", "not UTF-8"),
    "h-b08-empty": (b"", "empty file"),
    "h-b09-five-mb": (b"---\nid: big\ntitle: big\n---\n" + b"x" * 5_000_000, "too big"),
    "h-b10-unreadable": (None, "unreadable"),  # a dangling symlink
    "h-b11-python-tag": (
        b"---\nid: h-b11\ntitle: t\nx: !!python/object/apply:os.system ['touch PWNED']\n---\n",
        "refused",
    ),
}


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def lessons_app(tmp_path_factory, _shared):
    root = tmp_path_factory.mktemp("lesson-faults")
    folder = root / "lessons"
    folder.mkdir()
    (folder / "h-good.md").write_text(GOOD)
    (folder / "h-escapes.md").write_text(ESCAPES)
    (folder / "h-long.md").write_text(LONG)
    for stem, (data, _) in BROKEN.items():
        if data is None:
            (folder / f"{stem}.md").symlink_to(root / "nowhere.md")
        else:
            (folder / f"{stem}.md").write_bytes(data)
    (folder / "loop").symlink_to(folder, target_is_directory=True)  # a symlink loop
    (folder / "deeper").mkdir()
    (folder / "deeper" / "again").symlink_to(folder, target_is_directory=True)
    (root / "outside.md").write_text(GOOD.replace("h-good", "outside-lesson"))
    home = root / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TORCH_TUI_HOME", str(home))
        mp.chdir(root)  # a 'touch PWNED' would land here
        app = LessonApp(
            lessons_dirs=[folder], lesson="h-good", kernel=_shared.get(), keep_kernel=True
        )
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            pane = lesson_pane(app)
            await wait_until(pilot, lambda: pane.lesson is not None, what="a lesson shown")
            yield app, pilot, folder, root


def shown_text(app) -> str:
    """Everything on the screen now, as plain text."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def screen_controls(app) -> list[str]:
    bad = []
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            bad += [c for c in segment.text if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0]
    return bad


async def open_in_picker(pilot, app, wanted) -> None:
    """F2, l, move to the row of ``wanted`` (an id, or a Lesson), Enter."""
    pane = lesson_pane(app)
    await pilot.press("f2")
    await pilot.press("l")
    picker = await wait_until(pilot, lambda: isinstance(app.screen, LessonPicker) and app.screen)
    if isinstance(wanted, str):
        row = next(i for i, ls in enumerate(pane.lessons) if ls.id == wanted and not ls.broken)
    else:
        row = next(i for i, ls in enumerate(pane.lessons) if ls is wanted)
    lesson_id = pane.lessons[row].id
    table = picker.query_one(DataTable)
    table.move_cursor(row=row)
    await pilot.pause()
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, LessonPicker), what="picker closed")
    await wait_until(pilot, lambda: pane.lesson is pane.lessons[row], what=f"{lesson_id} opened")


async def test_symlink_loop_and_broken_files_do_not_hide_the_good_lessons(lessons_app):
    app, pilot, folder, _ = lessons_app
    pane = lesson_pane(app)
    ids = [ls.id for ls in pane.lessons]
    assert "h-good" in ids and "08-pytorch-intro" in ids and "07-neural-networks" in ids
    assert ids.count("h-good") == 2  # the good one and the duplicate (broken)
    assert sum(1 for ls in pane.lessons if ls.id == "h-good" and not ls.broken) == 1
    await pilot.press("f2", "l")
    picker = await wait_until(pilot, lambda: isinstance(app.screen, LessonPicker) and app.screen)
    table = picker.query_one(DataTable)
    rows = [" | ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
    for stem, (_, reason) in BROKEN.items():
        lesson = next(ls for ls in pane.lessons if ls.path.name == f"{stem}.md")
        assert lesson.broken and reason in lesson.error, (stem, lesson.error)
        assert "\n" not in lesson.error  # one line
        assert "⚠ broken" in rows[pane.lessons.index(lesson)]
    await pilot.press("escape")
    await wait_until(pilot, lambda: not isinstance(app.screen, LessonPicker))


@pytest.mark.parametrize("stem", sorted(BROKEN))
async def test_a_broken_lesson_says_why_and_the_next_lesson_opens(lessons_app, stem):
    app, pilot, _, _ = lessons_app
    pane = lesson_pane(app)
    lesson = next(ls for ls in pane.lessons if ls.path.name == f"{stem}.md")
    await open_in_picker(pilot, app, lesson)
    message = " ".join(static_text(w) for w in pane.query(".lesson-broken"))
    assert "This lesson could not be loaded" in message
    assert BROKEN[stem][1] in message and f"{stem}.md" in message
    assert "Traceback" not in shown_text(app)
    last = pane.lessons.index(lesson) == len(pane.lessons) - 1  # broken files sort last
    await pilot.press("left_square_bracket" if last else "right_square_bracket")
    await wait_until(pilot, lambda: pane.lesson is not lesson, what="a neighbouring lesson")
    assert app.is_running


async def test_yaml_python_tag_runs_nothing(lessons_app):
    _, _, folder, root = lessons_app
    assert not (root / "PWNED").exists() and not (folder / "PWNED").exists()
    assert not Path("PWNED").exists()


async def test_escape_sequences_in_a_lesson_cannot_reach_the_terminal(lessons_app):
    app, pilot, _, _ = lessons_app
    await open_in_picker(pilot, app, "h-escapes")
    await pilot.pause()
    assert screen_controls(app) == []
    text = shown_text(app)
    assert "clear-screen" in text
    assert "\u241b[2J" in text  # shown as a visible symbol, never sent to the terminal
    # the header (title) and the code block render safely too; the next lesson still opens
    pane = lesson_pane(app)
    await pilot.press("right_square_bracket")
    await wait_until(pilot, lambda: pane.lesson.id != "h-escapes", what="the next lesson")


async def test_a_10000_line_code_block_opens_and_runs(lessons_app):
    app, pilot, _, _ = lessons_app
    pane = lesson_pane(app)
    await open_in_picker(pilot, app, "h-long")
    block = await wait_until(pilot, lambda: list(pane.query(CodeBlock)), what="the code block")
    assert block[0].block.code.count("\n") == 9_999
    labels = " ".join(static_text(w) for w in block[0].query(".code-label"))
    assert "9,700 more lines (Enter runs the whole block)" in labels  # drawn: the head only
    await pilot.press("enter")  # selected as the section opens: send it to the REPL
    await wait_until(
        pilot, lambda: app.cells and app.cells[-1].source.startswith("x0 = 0"), what="the block ran"
    )
    assert app.cells[-1].ok
    assert app.cells[-1].tag == "lesson:h-long/block-0"
    assert await kernel_text(app, "print(x9999)") == "9999"
    assert "9,800 more lines not echoed" in log_text(app)  # the echo is capped, the run is not
    await pilot.press("f2", "n")
    await wait_until(pilot, lambda: "Still here." in shown_text(app), what="the next section")


async def test_a_link_outside_the_lessons_dirs_is_not_opened(lessons_app):
    app, pilot, _, root = lessons_app
    pane = lesson_pane(app)
    await open_in_picker(pilot, app, "h-good")
    assert (root / "outside.md").exists()
    await pilot.press("o")
    await wait_until(pilot, lambda: isinstance(app.screen, ChoiceList), what="the links")
    assert "../outside.md" in shown_text(app)
    await pilot.press("enter")  # the first link: ../outside.md
    await wait_until(pilot, lambda: not isinstance(app.screen, ChoiceList))
    await wait_until(
        pilot, lambda: "Not a lesson, not opened: ../outside.md" in notes_of(app), what="refusal"
    )
    assert pane.lesson.id == "h-good"
    # a link to a real lesson still opens
    await pane.follow_link("lesson:08-pytorch-intro")
    assert pane.lesson.id == "08-pytorch-intro"


def notes_of(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def test_the_lessons_dir_vanishing_while_the_app_runs(lessons_app):
    app, pilot, folder, _ = lessons_app
    pane = lesson_pane(app)
    await open_in_picker(pilot, app, "h-good")
    good = pane.lesson
    shutil.rmtree(folder)
    assert not folder.exists()
    # already loaded lessons keep working: sections, next lesson, picker, running a block
    await pilot.press("f2", "n")
    await wait_until(pilot, lambda: pane.section == 1, what="the next section")
    await pilot.press("p", "enter")
    block = pane.selected_widget()
    assert isinstance(block, CodeBlock)
    await wait_until(pilot, lambda: block.state == "ok", what="the block ran")
    assert await kernel_text(app, "print(good_value)") == "42"
    await pilot.press("right_square_bracket")
    await wait_until(pilot, lambda: pane.lesson is not good, what="the next lesson")
    await open_in_picker(pilot, app, "08-pytorch-intro")
    assert not pane.lesson.broken
    assert os.path.isdir(Path(pane.lesson.path).parent)
    await still_usable(pilot, app)
