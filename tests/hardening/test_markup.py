"""No dynamic text is markup: names, messages, titles, settings and kernel text are literal.

Textual reads a ``str`` given to a Static, a notification, an Option, a DataTable cell or
a border title as markup: an unmatched ``[/x]`` there raised MarkupError and ended the
app, ``[b]`` turned bold and ``[@click=app.quit]`` became a live link. One app (on the
tests' shared kernel, with a hostile ``--lessons-dir`` and ``--lesson '[/x]'``) is fed
those strings through every field a learner or a lesson controls; each case asserts the
literal text is on screen and the app still runs. The helper's unit tests come last.
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from textual.content import Content
from textual.widgets import DataTable, Input, OptionList, Static

from hardening.conftest import (
    SIZE,
    HardApp,
    dashboard,
    lesson_pane,
    log_text,
    ready,
    repl_pane,
    run_cell,
    static_text,
    still_usable,
    wait_until,
)
from tui.ui.common.confirm import ConfirmScreen
from tui.ui.common.plain import notify_plain, plain, plain_cell, styled, visible
from tui.ui.common.status_line import StatusLine
from tui.ui.dashboard.metrics import figures
from tui.ui.inspector.card_widgets import ModuleCard
from tui.ui.lessons.picker import ChoiceList, LessonPicker

#: The app cases share one app, so one event loop (the helper's unit tests are plain).
shared_loop = pytest.mark.asyncio(loop_scope="module")

#: Each would crash, style or act if read as markup; ESC would drive the terminal.
HOSTILE = "[/x] [b]bold [@click=app.quit]q \x1b[31m"
#: How it reads on screen: the same, with ESC drawn as its visible symbol.
SHOWN = "[/x] [b]bold [@click=app.quit]q ␛[31m"
CLASS = "Net[/x][b]bold[@click=app.quit]q\x1b[31m"
LESSON_ID = "mk-[/x]"

LESSON = f"""---
id: "{LESSON_ID}"
title: "M [/x] [b]bold [@click=app.quit]q \\e[31m"
concepts: ["[/x]", "[b]bold"]
why: "[@click=app.quit]why"
---
## Sec one [/x]

A [web link](http://e.com/[/x][b]bold) and a [file](mk[/x].md).

### Exercise: Ex [/x] [b]bold [@click=app.quit]q

Set `answer`.

```python check
assert answer == 42, "[/x] answer should be 42 [b]"
```

## Sec two [b]bold [@click=app.quit]q

The end.
"""


class MarkupApp(HardApp):
    """Every notification, kept (a toast's timeout must not race the assertions)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.said: list[tuple[str, bool]] = []

    def notify(self, message: str, *, markup: bool = True, **kw: Any) -> None:
        self.said.append((message, markup))
        super().notify(message, markup=markup, **kw)


def said(app: MarkupApp) -> str:
    return "\n".join(message for message, _ in app.said)


def shown(app) -> str:
    """Everything on the screen now, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def toasts(app) -> str:
    """The notifications on screen now, as their toasts draw them."""
    return "\n".join(str(toast.render()) for toast in app.screen.query("Toast"))


def title_of(widget, which: str = "border_title") -> str:
    """A border title as shown (the getter gives it back as escaped markup)."""
    return Content.from_markup(getattr(widget, which) or "").plain


class Typed:
    """What the field holds, read when a wait on it times out."""

    def __init__(self, field: Input) -> None:
        self.field = field

    def __str__(self) -> str:
        return f"the typing (the field holds {self.field.value!r})"


def alive(app) -> None:
    assert app.is_running and app.return_code is None


async def open_hostile(pilot, app) -> Any:
    """The lesson pane, showing the hostile lesson (each case may run alone)."""
    pane = lesson_pane(app)
    lesson = pane._find(LESSON_ID)
    assert lesson is not None and not lesson.broken, lesson and lesson.error
    if pane.lesson is not lesson:
        await pane.open_lesson(lesson)
    await wait_until(pilot, lambda: pane.query(".ex-title"), what="the lesson's widgets")
    return pane


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def hostile(tmp_path_factory, _shared):
    root = tmp_path_factory.mktemp("markup")
    folder = root / "lessons"
    folder.mkdir()
    (folder / "mk-hostile.md").write_text(LESSON)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TORCH_TUI_HOME", str(root / "home"))
        mp.setenv("HOME", str(root / "home"))
        mp.delenv("SSH_CONNECTION", raising=False)
        app = MarkupApp(
            lessons_dirs=[folder], lesson="[/x]", kernel=_shared.get(), keep_kernel=True
        )
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await ready(pilot, app)
            await wait_until(pilot, lambda: lesson_pane(app).lesson is not None, what="a lesson")
            yield app, pilot


@shared_loop
async def test_an_unknown_lesson_on_the_command_line_is_said_plainly(hostile):
    app, pilot = hostile
    await wait_until(pilot, lambda: "no lesson '[/x]'" in said(app), what="the notification")
    assert ("no lesson '[/x]'; see 'torch-tui lessons list'", False) in app.said
    alive(app)


@shared_loop
async def test_a_lesson_from_a_lessons_dir_shows_its_titles_literally(hostile):
    app, pilot = hostile
    pane = await open_hostile(pilot, app)
    header = static_text(pane.query_one("#lesson-header"))
    assert "M [/x] [b]bold [@click=app.quit]q ␛[31m" in header
    assert "[@click=app.quit]why" in header and " [/x] " in header
    assert title_of(pane, "border_subtitle") == f"{LESSON_ID} · untrusted"
    assert "Ex [/x] [b]bold [@click=app.quit]q" in static_text(pane.query_one(".ex-title"))
    ends = " ".join(static_text(w) for w in pane.query(".lesson-end"))
    assert "“Sec two [b]bold [@click=app.quit]q”" in ends
    await wait_until(pilot, lambda: "Sec one [/x]" in shown(app), what="the section on screen")
    alive(app)


@shared_loop
async def test_the_contents_links_and_picker_list_a_lesson_literally(hostile):
    app, pilot = hostile
    pane = await open_hostile(pilot, app)
    pane.action_toc()
    toc = await wait_until(pilot, lambda: isinstance(app.screen, ChoiceList) and app.screen)
    await wait_until(pilot, lambda: toc.query(OptionList))
    assert static_text(toc.query_one(".modal-title", Static)).startswith("M [/x] [b]bold")
    options = toc.query_one(OptionList)
    prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    assert any("Sec two [b]bold [@click=app.quit]q" in p for p in prompts), prompts
    await pilot.press("escape")
    await wait_until(pilot, lambda: not isinstance(app.screen, ChoiceList))

    pane.action_links()
    links = await wait_until(pilot, lambda: isinstance(app.screen, ChoiceList) and app.screen)
    await wait_until(pilot, lambda: links.query(OptionList))
    options = links.query_one(OptionList)
    prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    assert "web link  →  http://e.com/[/x][b]bold" in prompts, prompts
    await pilot.press("enter")  # the first: the web link, said, not opened
    await wait_until(
        pilot, lambda: "External link, not opened here: http://e.com/[/x]" in said(app)
    )
    await pane.follow_link("mk[/x].md")
    assert "Not a lesson, not opened: mk[/x].md" in said(app)

    await pilot.press("f2", "l")
    picker = await wait_until(pilot, lambda: isinstance(app.screen, LessonPicker) and app.screen)
    table = picker.query_one(DataTable)
    await wait_until(pilot, lambda: table.row_count > 0)
    rows = [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
    assert any(LESSON_ID in row and "M [/x] [b]bold" in row for row in rows), rows
    await pilot.press("escape")
    await wait_until(pilot, lambda: not isinstance(app.screen, LessonPicker))
    alive(app)


@shared_loop
async def test_a_trusted_exercise_that_passes_is_announced_literally(hostile):
    app, pilot = hostile
    pane = await open_hostile(pilot, app)
    assert (await run_cell(pilot, app, "answer = 42")).ok
    pane.action_trust()
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
    await pilot.press("enter")
    passed = "✓ Exercise passed: Ex [/x] [b]bold [@click=app.quit]q"
    await wait_until(pilot, lambda: passed in said(app), what="the exercise's notification")
    assert (passed, False) in app.said
    await wait_until(pilot, lambda: passed in toasts(app), what="the toast")
    alive(app)


@shared_loop
async def test_a_repl_model_with_a_hostile_class_name(hostile):
    app, pilot = hostile
    source = (
        "import torch.nn as nn\n"
        f"Net = type({CLASS!r}, (nn.Sequential,), {{}})\n"
        "model = Net(nn.Linear(2, 1)); X = torch.zeros(4, 2); y = torch.zeros(4)"
    )
    assert (await run_cell(pilot, app, source)).ok
    name = visible(CLASS)
    dash = dashboard(app)
    await wait_until(pilot, lambda: dash.repl_text is not None, what="the REPL model")
    row = static_text(dash.query_one("#dash-target"))
    assert f"REPL model: {name} on X 4x2" in row, row
    assert any(name in message and not markup for message, markup in app.said)
    # the Vars tab: its kind column names the class
    table = repl_pane(app).query_one("#variables", DataTable)
    await wait_until(pilot, lambda: table.row_count >= 3, what="the variables")
    kinds = {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[1]) for i in range(3)}
    assert kinds.get("model") == name, kinds
    # its card
    inspector = repl_pane(app).query_one("#repl-inspector")
    inspector.open_card("model")
    card = await wait_until(pilot, lambda: isinstance(app.focused, ModuleCard) and app.focused)
    assert name in str(card.render())
    alive(app)


@shared_loop
async def test_a_setting_typed_into_hidden_is_literal(hostile):
    app, pilot = hostile
    dash = dashboard(app)
    dash.target = "playground"  # the row names the settings (not a REPL model)
    field = dash.query_one("#cfg-hidden", Input)
    old = field.value
    field.focus()
    await wait_until(pilot, lambda: app.focused is field)
    field.value = ""
    typed = "[/x] [b]bold [@click=app.quit]q"
    await pilot.press(*typed)
    await wait_until(pilot, lambda: field.value == typed, what=Typed(field))
    row = dash.query_one("#dash-target", Static)
    assert "hidden not layer widths" in static_text(row)  # read as a run reads it
    await pilot.press("enter")  # not layer widths: the error quotes them
    await wait_until(pilot, lambda: dash.settings_error is not None, what="the error")
    assert f"got '{typed}'" in static_text(row)
    assert f"got '{typed}'" in static_text(dash.query_one("#dash-message", Static))
    assert any(f"got '{typed}'" in m and not markup for m, markup in app.said)
    field.value = old
    await wait_until(pilot, lambda: dash.settings_error is None, what="the fix")
    alive(app)


@shared_loop
async def test_printed_text_an_exception_and_an_input_prompt(hostile):
    app, pilot = hostile
    await run_cell(pilot, app, f"print({HOSTILE!r})")
    await run_cell(pilot, app, "raise ValueError('[/x] bad [b]value')")
    log = log_text(app)
    assert "[/x] [b]bold [@click=app.quit]q" in log
    assert "ValueError: [/x] bad [b]value" in log
    repl = repl_pane(app)
    before = len(app.cells)
    repl.run_source("reply = input('[/x] [b]who? ')")
    await wait_until(pilot, lambda: repl.input.raw_mode, what="input() asking")
    assert title_of(repl.input) == "[/x] [b]who?"
    await pilot.press("f3")
    await wait_until(pilot, lambda: app.focused is repl.input)
    await pilot.press("o", "k", "enter")
    await wait_until(pilot, lambda: len(app.cells) > before, what="the input() cell")
    assert (await run_cell(pilot, app, "reply")).text() == "'ok'\n"
    alive(app)


@shared_loop
async def test_watches_the_autograd_tree_and_completions(hostile):
    app, pilot = hostile
    repl = repl_pane(app)
    watch = repl.query_one("#watch-input", Input)
    watch.value = "'[/x]' + '[b]'"
    await watch.action_submit()
    await run_cell(pilot, app, "1")
    items = repl.query("#watch-list Static")
    await wait_until(pilot, lambda: any("'[/x][b]'" in static_text(w) for w in items))
    tree = repl.query_one("#autograd")
    tree.show_graph(HOSTILE, None)
    assert str(tree.root.label).startswith(SHOWN)
    menu = repl.query_one("#repl-complete", OptionList)
    menu.open((0, 0), "", ["[/x]", "[b]bold", "[@click=app.quit]q"])
    await wait_until(pilot, lambda: "[@click=app.quit]q" in shown(app), what="the list")
    menu.close()
    alive(app)


@shared_loop
async def test_the_status_line_and_clicks_on_hostile_text(hostile):
    app, pilot = hostile
    app.set_status(f"kernel died ({HOSTILE}) · ctrl+n in the REPL restarts it")
    line = app._main().query_one(StatusLine)
    assert f"kernel died ({SHOWN})" in static_text(line)
    for x in range(14, 50, 3):  # over "[@click=app.quit]q": no link there
        await pilot.click(StatusLine, offset=(x, 0))
    notify_plain(app, f"a message [@click=app.quit]q {HOSTILE}")
    await wait_until(pilot, lambda: f"a message [@click=app.quit]q {SHOWN}" in toasts(app))
    await pilot.pause()
    alive(app)
    await still_usable(pilot, app)


# -- the helper -------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["[/x]", "[b]bold", "[@click=app.quit]q", "a\\[b]", "[/]"])
def test_plain_is_the_literal_text(text):
    content = plain(text)
    assert isinstance(content, Content)
    assert content.plain == text and not content.spans


def test_control_characters_are_drawn_as_symbols():
    assert visible("\x1b[31mred\x07\x7f\x9b") == "␛[31mred␇␡\ufffd"
    assert visible("tab\tand\nnewline") == "tab\tand\nnewline"
    assert plain("\x1b[2J").plain == "␛[2J"
    assert plain_cell("[/x]\x1b").plain == "[/x]␛"


def test_styled_substitutes_values_literally():
    content = styled("[b]$name[/b] is $what", name="[/x]", what="[@click=app.quit]q")
    assert content.plain == "[/x] is [@click=app.quit]q"
    assert [(s.start, s.end) for s in content.spans] == [(0, 4)]


def test_notify_plain_turns_markup_off():
    class Node:
        def notify(self, message: str, **kw: Any) -> None:
            self.got = (message, kw)

    node = Node()
    notify_plain(node, "[/x]\x1b", title="[b]t", severity="warning", timeout=3)
    assert node.got == (
        "[/x]␛",
        {"title": "[b]t", "markup": False, "severity": "warning", "timeout": 3},
    )


def test_the_figures_keep_only_their_own_bold():
    content = figures("[b]loss[/b] 0.5  [b]acc[/b] 9%\nstarting…  #1 Net[/x] [@click=app.quit]q")
    assert content.plain == "loss 0.5  acc 9%\nstarting…  #1 Net[/x] [@click=app.quit]q"
    assert [(s.start, s.end) for s in content.spans] == [(0, 4), (10, 13)]


def test_a_status_line_is_literal():
    line = StatusLine("[/x] loading")
    assert str(line.render()) == "[/x] loading"
    line.update("kernel failed: [b]x[/b] \x1b")
    assert str(line.render()) == "kernel failed: [b]x[/b] ␛"
