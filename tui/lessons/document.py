"""Lessons: markdown files with YAML front matter, parsed into sections, code blocks and exercises.

The seed lesson (``08-pytorch-intro.md``) is the format contract: YAML front matter between
``---`` lines (``id``, ``title``, ``concepts``, ``why``, ``prerequisites``, ``sources``; unknown
keys are kept and ignored), then a markdown body whose ``##`` headings are sections and whose
```` ```python ```` fences are runnable blocks. Other fences are shown, never run.

Exercises extend the format while keeping plain, readable markdown::

    ### Exercise: Make a tensor
    Prompt text (markdown) ...
    > Hint: one hint per blockquote (or a ```hint fence)
    ```python check
    assert t.shape == (3, 4), "t should be 3x4"
    ```
    ```python solution
    t = torch.zeros(3, 4)
    ```
    ```python wrong
    # hard-coded: the right shape, the wrong numbers
    t = torch.ones(3, 4)
    ```

A ``wrong`` fence is a cheat the check must reject (a borrowed library call, the example's
output, a hard-coded value): it belongs to the exercise it follows, an exercise may have
several, and only ``torch-tui lessons check`` runs them (``tui.cli.lesson_check``); the
app never shows or runs one. Its first line may be a ``# comment`` naming the cheat.

A python fence may carry the flags ``check``, ``solution``, ``wrong`` and ``norun`` (or
``no-run``) after its language, nothing else: a fence with an unknown flag (a typo such as ``chek``)
is shown and never run, and the lesson gets a warning naming the line, instead of the
typo silently turning a check into a runnable block.

The body is read from markdown-it's block tokens (the parser under Textual's Markdown
widget), so what counts as a fence, a heading or a quote is what the reader sees: a
fence's info string and line range come from its token. Only top-level constructs take
part; a python fence inside a list or a quote is shown, not run, with a warning. The
markdown between them is kept as the file's own lines.

A broken file never raises: it loads as a ``Lesson`` whose ``error`` says why, in one line,
with ``file:line`` where the line is known, so its neighbours still load. A problem that
does not stop the lesson loading is one of its ``warnings`` (one line each, ``file:line``).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.platform.text import visible

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

#: Files bigger than this are refused: a lesson is a few KB; 5 MB is a mistake.
MAX_BYTES = 1_000_000
RUNNABLE_LANGS = {"python", "py", "python3"}
#: The flags a python fence may carry after its language.
FENCE_FLAGS = ("check", "solution", "wrong", "norun", "no-run")
#: The flags that make a fence part of an exercise (never a runnable block of the lesson).
EXERCISE_FLAGS = {"check", "solution", "wrong"}
_EXERCISE = re.compile(r"^exercise\s*[:\-–—]?\s*(.*)$", re.IGNORECASE)
_HINT = re.compile(r"^ {0,3}>\s?\s*hint\s*[:\-–—]\s*(.*)$", re.IGNORECASE)
_QUOTE = re.compile(r"^ {0,3}>\s?(.*)$")
#: ATX headings that end an exercise (``###`` may start one; ``##`` starts a section).
_SECTIONING = ("h1", "h2", "h3")
_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


@dataclass
class Block:
    """A runnable ```` ```python ```` fence; ``line`` is the file line of its first code line."""

    index: int
    code: str
    line: int
    section: int


@dataclass
class WrongAnswer:
    """A ```` ```python wrong ```` fence: a cheat its exercise's check must reject.

    ``line`` is the file line of its first code line; ``label`` the text of its first
    line when that is a ``# comment`` (which cheat it is), else empty."""

    code: str
    line: int
    label: str = ""

    def name(self, number: int) -> str:
        """How a report names it: ``wrong answer 2 (borrowed: torch.relu)``."""
        return f"wrong answer {number}" + (f" ({self.label})" if self.label else "")


@dataclass
class Exercise:
    """A prompt, a check run against the REPL namespace, hints, and an optional solution."""

    id: str
    title: str
    line: int
    section: int
    #: ("md", text) and ("block", Block) items, in order, shown as the prompt.
    prompt: list[tuple[str, Any]] = field(default_factory=list)
    check: str = ""
    check_line: int = 0
    solution: str | None = None
    solution_line: int = 0
    hints: list[str] = field(default_factory=list)
    #: The ```python wrong fences: never shown or run by the app (``lessons check`` runs them).
    wrongs: list[WrongAnswer] = field(default_factory=list)


@dataclass
class Section:
    """A ``##`` heading and what follows it up to the next one."""

    index: int
    title: str
    line: int
    #: ("md", text), ("block", Block) and ("exercise", Exercise) items, in document order.
    items: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return slugify(self.title)


@dataclass
class Lesson:
    """One lesson file; ``error`` is set (one line) when the file could not be loaded."""

    path: Path
    id: str
    title: str = ""
    concepts: list[str] = field(default_factory=list)
    why: str = ""
    prerequisites: list[str] = field(default_factory=list)
    sources: list[Any] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    #: Reads the body into the fields below, on first use: the app opens one lesson of
    #: the course, and reading all 18 bodies delayed its first screen by ~0.1 s.
    _unread: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    _intro: str = field(default="", init=False, repr=False, compare=False)
    _sections: list[Section] = field(default_factory=list, init=False, repr=False, compare=False)
    _blocks: list[Block] = field(default_factory=list, init=False, repr=False, compare=False)
    _exercises: list[Exercise] = field(default_factory=list, init=False, repr=False, compare=False)
    _warnings: list[str] = field(default_factory=list, init=False, repr=False, compare=False)

    def _read(self) -> None:
        if self._unread is not None:
            read, self._unread = self._unread, None
            try:
                read()
            except RecursionError:  # a body nested past the parser's limits: shown as read
                self._warnings.append(f"{self.path.name}: nested too deeply; the rest is not shown")

    @property
    def intro(self) -> str:
        """The markdown before the first section."""
        self._read()
        return self._intro

    @property
    def sections(self) -> list[Section]:
        self._read()
        return self._sections

    @property
    def blocks(self) -> list[Block]:
        """The runnable blocks, in order (an exercise's prompt blocks included)."""
        self._read()
        return self._blocks

    @property
    def exercises(self) -> list[Exercise]:
        self._read()
        return self._exercises

    @property
    def warnings(self) -> list[str]:
        """One line each (``file:line: ...``): problems that leave the lesson loadable,
        such as a fence flag the format does not know (that fence is shown, not run)."""
        self._read()
        return self._warnings

    @property
    def broken(self) -> bool:
        return self.error is not None

    def intro_links(self) -> list[tuple[str, str]]:
        return _LINK.findall(self.intro)

    def links(self) -> list[tuple[str, str]]:
        """``(text, target)`` of every markdown link in the lesson, in order."""
        out = self.intro_links()
        for section in self.sections:
            out += section_links(section)
        return out

    def items_in_order(self) -> Iterator[tuple[str, Any]]:
        """Blocks and exercises in document order (what ``lessons check`` runs)."""
        for section in self.sections:
            for kind, item in section.items:
                if kind == "block":
                    yield kind, item
                elif kind == "exercise":
                    for pkind, pitem in item.prompt:
                        if pkind == "block":
                            yield pkind, pitem
                    yield kind, item


def _label(code: str) -> str:
    """A wrong answer's first line, when it is a ``# comment``: which cheat it is."""
    first = next((ln.strip() for ln in code.splitlines() if ln.strip()), "")
    return first.lstrip("#").strip() if first.startswith("#") else ""


def section_links(section: Section) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for kind, item in section.items:
        if kind == "md":
            out += _LINK.findall(item)
        elif kind == "exercise":
            for pkind, pitem in item.prompt:
                if pkind == "md":
                    out += _LINK.findall(pitem)
            for hint in item.hints:
                out += _LINK.findall(hint)
    return out


def resolve_link(lesson: Lesson, target: str, lessons: list[Lesson]) -> Lesson | None:
    """The loaded lesson a relative link points at, or None (links never leave the lesson set)."""
    target = target.split("#", 1)[0].split("?", 1)[0].strip()
    if not target or "://" in target or target.startswith("mailto:"):
        return None
    if target.startswith("lesson:"):
        wanted = target.removeprefix("lesson:")
        return next((ls for ls in lessons if ls.id == wanted and not ls.broken), None)
    real = Path(os.path.realpath(lesson.path.parent / target))
    for other in lessons:
        if Path(os.path.realpath(other.path)) == real:
            return other
    return None


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "x"


def natural_key(text: str) -> list[Any]:
    """Sort key that puts ``2`` before ``10``: digits compare as numbers."""
    return [
        (0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in re.split(r"(\d+)", text) if p
    ]


# -- loading ------------------------------------------------------------------------


class _Broken(Exception):
    """Raised inside the parser; the message is the one-line reason (with file:line)."""


def load_lesson(path: Path, display: str | None = None) -> Lesson:
    """Read and parse one file; never raises for a bad file (see ``Lesson.error``)."""
    path = Path(path)
    name = display or str(path)
    fallback_id = path.stem
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _Broken(
                f"{name}: file too big ({size / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB)"
            )
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise _Broken(f"{name}: file too big (over {MAX_BYTES / 1e6:.0f} MB)")
    except _Broken as exc:
        return Lesson(path=path, id=fallback_id, error=str(exc))
    except OSError as exc:
        return Lesson(
            path=path, id=fallback_id, error=f"{name}: unreadable ({exc.strerror or exc})"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return Lesson(
            path=path, id=fallback_id, error=f"{name}:{line}: not UTF-8 text (byte {exc.start})"
        )
    return parse_lesson(text, path, display=name)


def parse_lesson(text: str, path: Path | str = "<lesson>", display: str | None = None) -> Lesson:
    """Parse lesson text; a problem gives a broken ``Lesson`` instead of an exception."""
    path = Path(path)
    name = display or str(path)
    try:
        return _parse(text, path, name)
    except _Broken as exc:
        return Lesson(path=path, id=path.stem, error=str(exc))
    except RecursionError:
        return Lesson(path=path, id=path.stem, error=f"{name}: front matter nested too deeply")


def _parse(text: str, path: Path, name: str) -> Lesson:
    # A lone CR is drawn as U+240D, like every other control character: a lesson never
    # drives the terminal (write '\\x1b' in code to print an escape).
    text = visible(text.removeprefix("\ufeff").replace("\r\n", "\n"))
    if not text.strip():
        raise _Broken(f"{name}: empty file")
    lines = text.split("\n")  # not splitlines(): line numbers must be the editor's
    if lines[0].strip() != "---":
        raise _Broken(f"{name}:1: no front matter (the file must start with a '---' line)")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise _Broken(f"{name}:1: front matter is not closed (no second '---' line)")
    meta = _front_matter("\n".join(lines[1:end]), name)
    lesson_id = meta.get("id")
    if isinstance(lesson_id, (int, float)) and not isinstance(lesson_id, bool):
        lesson_id = str(lesson_id)
    title = meta.get("title")
    if not isinstance(lesson_id, str) or not lesson_id.strip():
        raise _Broken(f"{name}:2: front matter has no 'id' (a text such as \"08-pytorch-intro\")")
    if not isinstance(title, str) or not title.strip():
        raise _Broken(f"{name}:2: front matter has no 'title'")
    lesson = Lesson(
        path=path,
        id=lesson_id.strip(),
        title=visible(title.strip()),  # YAML escapes ("\\e") can make control characters
        concepts=[visible(c) for c in _str_list(meta.get("concepts"), "concepts", name)],
        why=visible(str(meta.get("why") or "").strip()),
        prerequisites=_str_list(meta.get("prerequisites"), "prerequisites", name),
        sources=sources if isinstance(sources := meta.get("sources"), list) else [],
        meta=meta,
    )
    lesson._unread = _Body(lesson, lines, end + 1, name).read
    return lesson


@functools.cache
def _yaml_loader() -> type:
    """safe_load's loader, but with a clear message for tags that would build Python objects.

    Built on first use: PyYAML takes ~25 ms to import, which the app's first frame
    (it reads no lesson) should not wait for."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster

    class NoPythonLoader(base):  # type: ignore[misc, valid-type]
        pass

    def refuse(loader: Any, suffix: str, node: yaml.Node) -> Any:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"YAML tag {node.tag!r} is refused (plain YAML only: tags that build Python objects are never run)",
            node.start_mark,
        )

    NoPythonLoader.add_multi_constructor("tag:yaml.org,2002:python/", refuse)
    NoPythonLoader.add_multi_constructor("!", refuse)
    return NoPythonLoader


def _front_matter(source: str, name: str) -> dict[str, Any]:
    import yaml

    try:
        # A SafeLoader subclass: yaml.safe_load semantics, plus a clearer refusal of python tags.
        meta = yaml.load(source, Loader=_yaml_loader())  # noqa: S506
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark is not None else 2
        problem = exc.problem or exc.context or "invalid YAML"
        if "could not determine a constructor" in problem:
            problem = "unknown YAML tag (tags that build Python objects are refused)"
        raise _Broken(f"{name}:{line}: YAML error in front matter: {problem}") from None
    except yaml.YAMLError as exc:
        raise _Broken(f"{name}:2: YAML error in front matter: {exc}") from None
    if not isinstance(meta, dict):
        kind = "empty" if meta is None else f"a {type(meta).__name__}"
        raise _Broken(f"{name}:2: front matter must be a mapping of keys (it is {kind})")
    return {str(k): v for k, v in meta.items()}


def _str_list(value: Any, key: str, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    raise _Broken(f"{name}:2: front matter '{key}' must be a list")


# -- the body -----------------------------------------------------------------------


@functools.cache
def _markdown() -> MarkdownIt:
    """The block parser: CommonMark plus tables (as the lesson view, ``Prose``, reads them).

    Built on first use, like the YAML loader: the app's first frame reads no lesson.
    Inline parsing is off: only block tokens (their types, info strings and line maps)
    are used, and a heading's title is its raw inline text."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])


class _Body:
    """Reads the body (the file's lines from ``start``) into the lesson's sections of
    markdown, runnable blocks and exercises, from markdown-it's top-level block tokens."""

    def __init__(self, lesson: Lesson, lines: list[str], start: int, name: str) -> None:
        self.lesson = lesson
        self.lines = lines[start:]
        self.start = start  # file line index of the body's first line
        self.name = name
        self.section: Section | None = None
        self.exercise: Exercise | None = None
        self.pending: list[str] = []  # markdown lines not yet given to a section or exercise
        self.intro: list[str] = []
        self.exercise_ids: set[str] = set()

    def read(self) -> None:
        tokens: list[Token] = _markdown().parse("\n".join(self.lines))
        cursor = 0  # the body line up to which lines are placed
        for i, token in enumerate(tokens):
            if token.map is None:
                continue
            begin, end = token.map
            if token.level > 0:
                if token.type == "fence":
                    self.nested_fence(token, begin)
                continue
            if token.type == "fence":
                self.pending += self.lines[cursor:begin]
                self.fence(token, begin, end)
            elif (
                token.type == "heading_open"
                and token.markup.startswith("#")
                and token.tag in _SECTIONING
            ):
                self.pending += self.lines[cursor:begin]
                self.heading(int(token.tag[1]), tokens[i + 1].content.strip(), begin, end)
            elif token.type == "blockquote_open" and self.exercise is not None:
                self.pending += self.lines[cursor:begin]
                self.quote(begin, end)
            else:
                continue  # markdown: placed with the lines before the next construct
            cursor = end
        self.pending += self.lines[cursor:]
        self.close_exercise()
        self.flush()
        self.lesson._intro = "\n\n".join(self.intro)

    # -- where markdown goes ---------------------------------------------------------
    def flush(self) -> None:
        """The pending markdown to the open exercise, else the section, else the intro."""
        text = "\n".join(self.pending).strip("\n")
        self.pending = []
        if not text.strip():
            return
        if self.exercise is not None:
            self.exercise.prompt.append(("md", text))
        elif self.section is not None:
            self.section.items.append(("md", text))
        else:
            self.intro.append(text)

    def close_exercise(self) -> None:
        if self.exercise is not None:
            self.flush()
            self.exercise = None

    def open_section(self, title: str, line: int) -> Section:
        section = Section(index=len(self.lesson._sections), title=title, line=line)
        self.lesson._sections.append(section)
        self.section = section
        return section

    # -- constructs ------------------------------------------------------------------
    def fence(self, token: Token, begin: int, end: int) -> None:
        line = self.start + begin + 1  # the fence's own line, 1-based
        words = token.info.split()
        lang = words[0].lower().strip("{}.") if words else ""
        flags = {w.lower() for w in words[1:]}
        code = token.content.removesuffix("\n")
        exercise = self.exercise
        if lang in RUNNABLE_LANGS:
            unknown = sorted(flags.difference(FENCE_FLAGS))
            if unknown:
                hidden = "wrong" in flags  # a cheat is never shown, even with a typo beside it
                self.warn(
                    line,
                    f"unknown fence flag {', '.join(map(repr, unknown))} "
                    f"(a python fence knows {', '.join(FENCE_FLAGS)}): "
                    + ("it is ignored" if hidden else "it is shown, not run"),
                )
                if hidden:
                    return
            elif exercise is not None and flags & EXERCISE_FLAGS:
                self.flush()
                if "check" in flags:
                    exercise.check = f"{exercise.check}\n{code}" if exercise.check else code
                    exercise.check_line = exercise.check_line or line + 1
                elif "solution" in flags:
                    exercise.solution = code
                    exercise.solution_line = line + 1
                else:
                    exercise.wrongs.append(WrongAnswer(code, line + 1, _label(code)))
                return
            elif "wrong" in flags:  # a cheat is never shown, even out of place
                self.warn(
                    line,
                    "a python wrong fence belongs to an exercise (after its "
                    "'### Exercise:' heading): this one is ignored",
                )
                return
            elif not flags & {"norun", "no-run", "check", "solution"}:
                self.flush()
                self.block(code, line + 1)
                return
        elif lang == "hint" and exercise is not None:
            self.flush()
            exercise.hints.append(code.strip())
            return
        self.pending += self.lines[begin:end]  # shown, never run

    def nested_fence(self, token: Token, begin: int) -> None:
        """A python fence inside a list or a quote is part of that markdown: say so."""
        words = token.info.split()
        lang = words[0].lower().strip("{}.") if words else ""
        if lang in RUNNABLE_LANGS and not {w.lower() for w in words[1:]} & {"norun", "no-run"}:
            self.warn(
                self.start + begin + 1,
                "a python fence inside a list or a quote is shown, not run "
                "(move it out to run it, or mark it norun)",
            )

    def block(self, code: str, line: int) -> None:
        if self.section is None:  # code before the first ## gets its own section
            self.open_section("Introduction", line)
        assert self.section is not None
        block = Block(
            index=len(self.lesson._blocks), code=code, line=line, section=self.section.index
        )
        self.lesson._blocks.append(block)
        if self.exercise is not None:
            self.exercise.prompt.append(("block", block))
        else:
            self.section.items.append(("block", block))

    def heading(self, level: int, title: str, begin: int, end: int) -> None:
        line = self.start + begin + 1
        self.close_exercise()
        if level == 2:
            self.flush()
            self.open_section(title or "(untitled)", line)
            return
        match = _EXERCISE.match(title) if level == 3 else None
        if match is None:  # a # or ### heading ends an exercise and stays in the markdown
            self.pending += self.lines[begin:end]
            return
        self.flush()
        section = self.section or self.open_section("Introduction", line)
        ex_title = match.group(1).strip() or f"Exercise {len(self.lesson._exercises) + 1}"
        ex_id, n = slugify(ex_title), 2
        while ex_id in self.exercise_ids:
            ex_id, n = f"{slugify(ex_title)}-{n}", n + 1
        self.exercise_ids.add(ex_id)
        self.exercise = Exercise(id=ex_id, title=ex_title, line=line, section=section.index)
        self.lesson._exercises.append(self.exercise)
        section.items.append(("exercise", self.exercise))

    def quote(self, begin: int, end: int) -> None:
        """A quote in an exercise: each ``> Hint:`` line starts a hint that goes on over
        the quote's next ``>`` lines; the quote's other lines are prompt markdown."""
        assert self.exercise is not None
        lines = self.lines[begin:end]
        j = 0
        while j < len(lines):
            hint = _HINT.match(lines[j])
            if hint is None:
                self.pending.append(lines[j])
                j += 1
                continue
            self.flush()
            parts = [hint.group(1)]
            j += 1
            while j < len(lines) and not _HINT.match(lines[j]):
                more = _QUOTE.match(lines[j])
                if more is None:
                    break
                parts.append(more.group(1))
                j += 1
            self.exercise.hints.append("\n".join(parts).strip())

    def warn(self, line: int, message: str) -> None:
        self.lesson._warnings.append(f"{self.name}:{line}: {message}")
