"""The lesson parser: the seed file as the format contract, and every broken case."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tui.lessons.document import MAX_BYTES, load_lesson, natural_key, parse_lesson, resolve_link
from tui.lessons.library import discover, load_lessons, prerequisites_status, shipped_lessons_dir

FIXTURES = Path(__file__).parents[1] / "fixtures"
SEED = FIXTURES / "08-pytorch-intro.md"
GOOD = '---\nid: "{id}"\ntitle: "{title}"\n---\n\n## One\n\n```python\nx = 1\n```\n'


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_seed_loads_unchanged_with_all_its_parts():
    lesson = load_lesson(SEED)
    assert lesson.error is None
    assert lesson.id == "08-pytorch-intro"
    assert lesson.title == "PyTorch Introduction"
    assert lesson.concepts == ["tensors", "autograd", "nn-module", "training-loop"]
    assert lesson.prerequisites == ["07-neural-networks"]
    assert lesson.why.startswith("PyTorch is the leading deep learning framework")
    assert lesson.sources[0]["repo"] == "pytorch/pytorch"
    assert [s.title for s in lesson.sections] == [
        "Tensors",
        "Tensor Operations",
        "NumPy Interoperability",
        "Autograd: Automatic Differentiation",
        "Building Models with nn.Module",
        "Loss Functions and Optimizers",
        "The Training Loop",
        "Making Predictions",
        "GPU Acceleration",
        "Key Takeaways",
    ]
    assert len(lesson.blocks) == 9
    assert lesson.intro.startswith("# PyTorch Introduction")
    assert lesson.exercises == []


def test_block_lines_are_the_files_lines():
    lesson = load_lesson(SEED)
    lines = SEED.read_text().splitlines()
    for block in lesson.blocks:
        assert lines[block.line - 1] == block.code.splitlines()[0]
        assert lines[block.line - 2].startswith("```python")
    assert lesson.blocks[0].code.startswith("import torch")
    assert lesson.blocks[0].line == 27


def test_unknown_front_matter_keys_are_kept_and_ignored():
    lesson = parse_lesson("---\nid: a\ntitle: A\ndifficulty: hard\nauthor: {name: x}\n---\n## S\n")
    assert lesson.error is None
    assert lesson.meta["difficulty"] == "hard"
    assert lesson.meta["author"] == {"name": "x"}


def test_other_fences_are_shown_not_run():
    text = "---\nid: a\ntitle: A\n---\n## S\n```bash\nls\n```\n```\nplain\n```\n```python norun\nboom()\n```\n"
    lesson = parse_lesson(text)
    assert lesson.blocks == []
    md = "\n".join(item for kind, item in lesson.sections[0].items if kind == "md")
    assert "```bash" in md and "boom()" in md


def test_exercise_format():
    text = """---
id: ex
title: Ex
---
## Tensors

```python
a = 1
```

### Exercise: Make zeros

Make `z`.

> Hint: use torch.zeros
> with three.

```hint
second hint
```

```python check
assert z.shape == (3,), "want (3,)"
```

```python solution
z = torch.zeros(3)
```

### Not an exercise

text
"""
    lesson = parse_lesson(text)
    assert lesson.error is None
    assert [b.code for b in lesson.blocks] == ["a = 1"], "check and solution fences are not blocks"
    (ex,) = lesson.exercises
    assert ex.id == "make-zeros" and ex.title == "Make zeros"
    assert ex.hints == ["use torch.zeros\nwith three.", "second hint"]
    assert ex.check.startswith("assert z.shape")
    assert ex.solution == "z = torch.zeros(3)"
    assert text.splitlines()[ex.check_line - 1].startswith("assert z.shape")
    assert text.splitlines()[ex.solution_line - 1] == "z = torch.zeros(3)"
    prompt = " ".join(p for k, p in ex.prompt if k == "md")
    assert "Make `z`." in prompt and "Not an exercise" not in prompt
    kinds = [k for k, _ in lesson.sections[0].items]
    assert kinds == ["block", "exercise", "md"]


BROKEN = [
    ("empty.md", "", "empty file"),
    ("nofm.md", "# Just markdown\n", ":1: no front matter"),
    ("unclosed.md", "---\nid: x\ntitle: y\n", "not closed"),
    ("yaml.md", "---\nid: [1\ntitle: t\n---\n", "YAML error"),
    ("list.md", "---\n- a\n- b\n---\n", "must be a mapping"),
    ("scalar.md", "---\njust text\n---\n", "must be a mapping"),
    ("noid.md", "---\ntitle: T\n---\n", "no 'id'"),
    ("notitle.md", "---\nid: x\n---\n", "no 'title'"),
    ("badlist.md", "---\nid: x\ntitle: T\nconcepts: {a: 1}\n---\n", "'concepts' must be a list"),
    ("tag.md", "---\nid: !!python/object/apply:os.getcwd []\ntitle: T\n---\n", "refused"),
    ("tag2.md", "---\nid: !custom x\ntitle: T\n---\n", "refused"),
    ("latin1.md", b"---\nid: x\ntitle: caf\xe9\n---\n", ":3: not UTF-8"),
]


@pytest.mark.parametrize(("name", "text", "reason"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_file_has_a_one_line_reason(tmp_path, name, text, reason):
    path = write(tmp_path, name, text)
    lesson = load_lesson(path, name)
    assert lesson.broken
    assert reason in lesson.error
    assert lesson.error.startswith(name)
    assert "\n" not in lesson.error
    assert "Traceback" not in lesson.error


def test_yaml_error_reports_the_file_line(tmp_path):
    path = write(tmp_path, "x.md", "---\nid: x\ntitle: T\nconcepts: [a\nwhy: w\n---\n")
    error = load_lesson(path, "x.md").error
    assert error.startswith("x.md:") and int(error.split(":")[1]) >= 4


def test_python_tags_are_refused_never_run(tmp_path):
    marker = tmp_path / "pwned"
    text = f'---\nid: !!python/object/apply:os.mkdir ["{marker}"]\ntitle: T\n---\n'
    lesson = load_lesson(write(tmp_path, "evil.md", text))
    assert lesson.broken and "refused" in lesson.error
    assert not marker.exists()


def test_a_big_file_is_refused_without_reading_it(tmp_path):
    path = write(tmp_path, "big.md", GOOD.format(id="big", title="B") + "x" * (5 * 1024 * 1024))
    assert path.stat().st_size > MAX_BYTES
    lesson = load_lesson(path)
    assert lesson.broken and "too big" in lesson.error


def test_an_unreadable_file_is_broken(tmp_path, monkeypatch):
    path = write(tmp_path, "locked.md", GOOD.format(id="locked", title="L"))
    path.chmod(0)
    if os.access(path, os.R_OK):  # running as root: simulate the permission error
        real_open = open

        def deny(file, *args, **kw):
            if str(file) == str(path):
                raise PermissionError(13, "Permission denied")
            return real_open(file, *args, **kw)

        monkeypatch.setattr("builtins.open", deny)
    lesson = load_lesson(path)
    path.chmod(0o644)
    assert lesson.broken and "unreadable" in lesson.error and "ermission" in lesson.error


def test_broken_files_do_not_hide_their_neighbours(tmp_path):
    for name, text, _reason in BROKEN:
        write(tmp_path, name, text)
    write(tmp_path, "01-good.md", GOOD.format(id="01-good", title="Good"))
    write(tmp_path, "dup.md", GOOD.format(id="01-good", title="Again"))
    lessons = load_lessons([tmp_path])
    ok = [ls for ls in lessons if not ls.broken]
    assert [ls.id for ls in ok] == ["01-good"]
    assert ok[0].title == "Good"
    dup = next(ls for ls in lessons if ls.path.name == "dup.md")
    assert dup.broken and "duplicate id '01-good'" in dup.error
    assert len(lessons) == len(BROKEN) + 2


def test_symlink_loops_do_not_hang(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path)
    (tmp_path / "self.md").symlink_to(tmp_path / "self.md")
    write(tmp_path, "01-a.md", GOOD.format(id="01-a", title="A"))
    start = time.monotonic()
    lessons = load_lessons([tmp_path])
    assert time.monotonic() - start < 5
    assert [ls.id for ls in lessons if not ls.broken] == ["01-a"]
    loop = next(ls for ls in lessons if ls.path.name == "self.md")
    assert loop.broken and "unreadable" in loop.error


def test_ordering_is_natural(tmp_path):
    for lid in ("10-ten", "2-two", "1-one", "02b"):
        write(tmp_path, f"{lid}.md", GOOD.format(id=lid, title=lid))
    assert [ls.id for ls in load_lessons([tmp_path])] == ["1-one", "2-two", "02b", "10-ten"]
    assert sorted(["a10", "a2"], key=natural_key) == ["a2", "a10"]


def test_missing_prerequisite_is_shown_not_an_error(tmp_path):
    write(tmp_path, "a.md", "---\nid: a\ntitle: A\nprerequisites: [b, nope]\n---\n")
    write(tmp_path, "b.md", GOOD.format(id="b", title="B"))
    lessons = load_lessons([tmp_path])
    a = next(ls for ls in lessons if ls.id == "a")
    assert not a.broken
    assert prerequisites_status(a, lessons) == [("b", True), ("nope", False)]


def test_links_resolve_only_to_loaded_lessons(tmp_path):
    inner = tmp_path / "lessons"
    inner.mkdir()
    write(
        inner,
        "a.md",
        "---\nid: a\ntitle: A\n---\n[b](b.md) [out](../secret.md) [web](https://x.org)\n",
    )
    write(inner, "b.md", GOOD.format(id="b", title="B"))
    write(tmp_path, "secret.md", GOOD.format(id="secret", title="S"))
    lessons = load_lessons([inner])
    a = next(ls for ls in lessons if ls.id == "a")
    assert [t for _, t in a.links()] == ["b.md", "../secret.md", "https://x.org"]
    assert resolve_link(a, "b.md#one", lessons).id == "b"
    assert resolve_link(a, "lesson:b", lessons).id == "b"
    assert resolve_link(a, "../secret.md", lessons) is None
    assert resolve_link(a, "https://x.org", lessons) is None


def test_shipped_lessons_are_found_and_load():
    folder = shipped_lessons_dir()
    assert folder.is_dir()
    lessons = discover()
    ids = [ls.id for ls in lessons if not ls.broken]
    assert "07-neural-networks" in ids and "08-pytorch-intro" in ids
    assert all(not ls.broken for ls in lessons)
    assert [w for ls in lessons for w in ls.warnings] == []


def test_shipped_intro_keeps_the_seed_front_matter_and_covers_every_section():
    seed = load_lesson(SEED)
    ours = next(ls for ls in discover() if ls.id == "08-pytorch-intro")
    for key in ("id", "title", "concepts", "why", "prerequisites"):
        assert ours.meta[key] == seed.meta[key], key
    # The seed credits Learn the Basics to pytorch/pytorch; it lives in pytorch/tutorials.
    assert ours.meta["sources"] == [
        {"repo": "pytorch/tutorials", "section": "Learn the Basics", "license": "BSD-3-Clause"}
    ]
    assert {s.title for s in seed.sections} <= {s.title for s in ours.sections}
    concept_sections = {
        "tensors": "Tensors",
        "autograd": "Autograd: Automatic Differentiation",
        "nn-module": "Building Models with nn.Module",
        "training-loop": "The Training Loop",
    }
    for concept, title in concept_sections.items():
        section = next(s for s in ours.sections if s.title == title)
        assert any(e.section == section.index for e in ours.exercises), concept
    assert all(e.solution and e.check for e in ours.exercises)
    training = next(s for s in ours.sections if s.title == "The Training Loop")
    text = " ".join(item for kind, item in training.items if kind == "md")
    assert "F5" in text and "train this model live" in text.lower()


def test_line_numbers_match_an_editor_with_crlf_and_odd_separators():
    text = "---\r\nid: c\r\ntitle: T\r\n---\r\n## A\r\n```python\r\nx = 1\r\n```\r\n"
    text += "odd\x1cline\u2028here \x1b[2J\r\n```python\r\ny = 2\r\n```\r\n"
    lesson = parse_lesson(text)
    assert [(b.line, b.code) for b in lesson.blocks] == [(7, "x = 1"), (11, "y = 2")]
    md = "\n".join(item for kind, item in lesson.sections[0].items if kind == "md")
    assert "\x1b" not in md and "\u241b[2J" in md


FLAGS = """---
id: flags
title: Flags
---
## S

```python title="setup.py"
made_by_titled_fence = 1
```

### Exercise: Typo

Make `z`.

```python chek
assert z == 3
```

```python solution
z = 3
```
"""


def test_an_unknown_fence_flag_is_shown_not_run_and_named_in_a_warning():
    lesson = parse_lesson(FLAGS, "flags.md")
    assert not lesson.broken
    assert lesson.blocks == [], "a fence with an unknown flag never runs"
    (ex,) = lesson.exercises
    assert ex.check == "", "a misspelt check is not a check"
    assert ex.solution == "z = 3"
    lines = FLAGS.splitlines()
    titled = lines.index('```python title="setup.py"') + 1
    typo = lines.index("```python chek") + 1
    assert lesson.warnings == [
        f"flags.md:{titled}: unknown fence flag 'title=\"setup.py\"' "
        "(a python fence knows check, solution, wrong, norun, no-run): it is shown, not run",
        f"flags.md:{typo}: unknown fence flag 'chek' "
        "(a python fence knows check, solution, wrong, norun, no-run): it is shown, not run",
    ]
    section_md = "\n".join(item for kind, item in lesson.sections[0].items if kind == "md")
    assert "made_by_titled_fence = 1" in section_md
    prompt = "\n".join(item for kind, item in ex.prompt if kind == "md")
    assert "```python chek\nassert z == 3\n```" in prompt


def test_known_fence_flags_give_no_warning():
    text = (
        "---\nid: a\ntitle: A\n---\n## S\n```Python NoRun\nx\n```\n```py no-run\ny\n```\n"
        "### Exercise: E\n```python3 CHECK\nassert z\n```\n```{python} solution\nz = 1\n```\n"
    )
    lesson = parse_lesson(text)
    assert lesson.warnings == [] and lesson.blocks == []
    assert lesson.exercises[0].check == "assert z" and lesson.exercises[0].solution == "z = 1"
    assert not load_lesson(SEED).warnings


def test_a_python_fence_inside_a_list_is_shown_with_a_warning():
    text = (
        "---\nid: a\ntitle: A\n---\n## S\n1. Run this:\n\n   ```python\n   x = 1\n   ```\n\n"
        "> ```python norun\n> quoted = 1\n> ```\n"
    )
    lesson = parse_lesson(text, "a.md")
    assert lesson.blocks == []
    assert lesson.warnings == [
        "a.md:8: a python fence inside a list or a quote is shown, not run "
        "(move it out to run it, or mark it norun)"
    ]
    (md,) = [item for kind, item in lesson.sections[0].items if kind == "md"]
    assert "   x = 1" in md and "quoted = 1" in md


def test_headings_and_fences_are_what_markdown_says():
    """A ``#`` inside a title is kept; backticks with a backtick in their info are an
    inline span, not a fence; a ``~~~`` fence runs; a ``##`` line inside it is code."""
    text = (
        "---\nid: a\ntitle: A\n---\n## C# and F#\n``` python `x` ```\n\n"
        "~~~python\n## not a section\n~~~\n"
    )
    lesson = parse_lesson(text)
    assert [s.title for s in lesson.sections] == ["C# and F#"]
    assert [(b.code, b.line) for b in lesson.blocks] == [("## not a section", 9)]
    assert lesson.sections[0].items[0] == ("md", "``` python `x` ```")


WRONGS = """---
id: w
title: W
---
## S

```python
base = 1
```

### Exercise: Double

Make `double`.

> Hint: `base * 2`.

```python check
assert double == 2 * base, "double should be 2 * base"
```

```python solution
double = 2 * base
```

```python wrong
# hard-coded: the example's value
double = 1
```

```python wrong
double = base + base + 1
```

## After

After the exercise.

```python wrong
# out of place: no exercise is open here
nothing = 0
```
"""


def test_wrong_fences_belong_to_their_exercise_and_are_never_shown():
    """A ``wrong`` fence is a cheat for ``lessons check``: the exercise keeps it (code,
    file line, the comment naming it); nothing the lesson pane shows (prompt, hints,
    section markdown, blocks, intro) holds it, and one outside an exercise is dropped
    with a warning instead of being shown."""
    lesson = parse_lesson(WRONGS, "w.md")
    assert lesson.error is None
    (ex,) = lesson.exercises
    assert [(w.code, w.label) for w in ex.wrongs] == [
        ("# hard-coded: the example's value\ndouble = 1", "hard-coded: the example's value"),
        ("double = base + base + 1", ""),
    ]
    lines = WRONGS.splitlines()
    assert [lines[w.line - 1] for w in ex.wrongs] == ["# hard-coded: the example's value"] + [
        "double = base + base + 1"
    ]
    assert [w.name(n) for n, w in enumerate(ex.wrongs, 1)] == [
        "wrong answer 1 (hard-coded: the example's value)",
        "wrong answer 2",
    ]
    assert ex.solution == "double = 2 * base" and ex.check.startswith("assert double")
    assert [b.code for b in lesson.blocks] == ["base = 1"]

    shown = [lesson.intro, *ex.hints]
    shown += [item for kind, item in ex.prompt if kind == "md"]
    shown += [item.code for kind, item in ex.prompt if kind == "block"]
    for section in lesson.sections:
        shown += [item for kind, item in section.items if kind == "md"]
    text = "\n".join(shown)
    assert "After the exercise." in text  # the markdown after the fences is still shown
    for secret in ("double = 1", "base + base + 1", "hard-coded", "nothing = 0", "out of place"):
        assert secret not in text, secret
    out_of_place = lines.index("```python wrong", lines.index("After the exercise.")) + 1
    assert lesson.warnings == [
        f"w.md:{out_of_place}: a python wrong fence belongs to an exercise "
        "(after its '### Exercise:' heading): this one is ignored"
    ]


def test_a_wrong_fence_with_a_typo_beside_it_is_hidden_too():
    text = (
        "---\nid: a\ntitle: A\n---\n## S\n### Exercise: E\n```python check\nassert z\n```\n"
        "```python wrong chek\nz = 2\n```\n"
    )
    lesson = parse_lesson(text, "a.md")
    assert lesson.exercises[0].wrongs == [] and lesson.blocks == []
    assert "z = 2" not in "\n".join(i for k, i in lesson.exercises[0].prompt if k == "md")
    assert lesson.warnings == [
        "a.md:10: unknown fence flag 'chek' "
        "(a python fence knows check, solution, wrong, norun, no-run): it is ignored"
    ]


def test_a_course_is_read_with_one_lesson_body_parsed_when_it_is_opened(monkeypatch):
    """The app opens one lesson: reading all 18 bodies up front delayed its first
    screen. Each body is parsed when first used, and once."""
    from tui.lessons import document

    parsed: list[str] = []
    read = document._Body.read

    def counting(body: document._Body) -> None:
        parsed.append(body.lesson.id)
        read(body)

    monkeypatch.setattr(document._Body, "read", counting)
    lessons = discover()
    assert len(lessons) >= 18 and all(ls.title for ls in lessons) and parsed == []
    first = lessons[0]
    assert first.sections and first.blocks and first.exercises
    assert first.intro and first.warnings == []
    assert parsed == [first.id]
