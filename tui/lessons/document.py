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

A broken file never raises: it loads as a ``Lesson`` whose ``error`` says why, in one line,
with ``file:line`` where the line is known, so its neighbours still load.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Files bigger than this are refused: a lesson is a few KB; 5 MB is a mistake.
MAX_BYTES = 1_000_000
#: Folders deeper than this under a lessons dir are not searched.
MAX_DEPTH = 4
RUNNABLE_LANGS = {"python", "py", "python3"}
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")
_EXERCISE = re.compile(r"^exercise\s*[:\-–—]?\s*(.*)$", re.IGNORECASE)
_HINT = re.compile(r"^ {0,3}>\s?\s*hint\s*[:\-–—]\s*(.*)$", re.IGNORECASE)
_QUOTE = re.compile(r"^ {0,3}>\s?(.*)$")
_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


@dataclass
class Block:
    """A runnable ```` ```python ```` fence; ``line`` is the file line of its first code line."""

    index: int
    code: str
    line: int
    section: int


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
    intro: str = ""
    sections: list[Section] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    exercises: list[Exercise] = field(default_factory=list)
    error: str | None = None

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


#: Raw control characters (ESC, BEL, C1...) but not tab/newline: a lesson must never drive
#: the terminal, so they are shown as visible symbols (write '\\x1b' in code to print one).
_RAW_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    """``text`` with raw control characters replaced by their U+2400 symbols (or U+FFFD)."""

    def symbol(m: re.Match) -> str:
        if m[0] == "\x7f":
            return "\u2421"
        return chr(0x2400 + ord(m[0])) if m[0] < " " else "\ufffd"

    return _RAW_CONTROLS.sub(symbol, text)


def _parse(text: str, path: Path, name: str) -> Lesson:
    text = _visible(text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\u240d"))
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
        title=_visible(title.strip()),  # YAML escapes ("\\e") can make control characters
        concepts=[_visible(c) for c in _str_list(meta.get("concepts"), "concepts", name)],
        why=_visible(str(meta.get("why") or "").strip()),
        prerequisites=_str_list(meta.get("prerequisites"), "prerequisites", name),
        sources=meta.get("sources") if isinstance(meta.get("sources"), list) else [],
        meta=meta,
    )
    from tui.lessons.body import parse_body

    parse_body(lesson, lines, end + 1)
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


# The folder and link functions live in lesson_library (which imports this module);
# they are looked up there on first use, for the callers that import them from here.
_LIBRARY = {
    "default_dirs",
    "discover",
    "display_path",
    "find_files",
    "load_lessons",
    "prerequisites_status",
    "resolve_link",
    "shipped_lessons_dir",
}


def __getattr__(name: str) -> Any:
    if name in _LIBRARY:
        from tui.lessons import library as lesson_library

        return getattr(lesson_library, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
