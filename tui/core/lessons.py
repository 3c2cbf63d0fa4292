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
import os
import re
from collections.abc import Iterable, Iterator
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
    _parse_body(lesson, lines, end + 1)
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


def _parse_body(lesson: Lesson, lines: list[str], start: int) -> None:
    """Split the body into sections of markdown, runnable blocks and exercises."""
    intro: list[str] = []
    current: Section | None = None
    md: list[str] = []
    exercise: Exercise | None = None
    ex_md: list[str] = []
    ex_ids: set[str] = set()
    i = start

    def flush_md() -> None:
        nonlocal md, ex_md
        if exercise is not None:
            text = "\n".join(ex_md).strip("\n")
            if text.strip():
                exercise.prompt.append(("md", text))
            ex_md = []
        else:
            text = "\n".join(md).strip("\n")
            if text.strip():
                if current is None:
                    intro.append(text)
                else:
                    current.items.append(("md", text))
            md = []

    def close_exercise() -> None:
        nonlocal exercise
        if exercise is not None:
            flush_md()
            exercise = None

    def add_block(code: str, line: int) -> None:
        section = current
        if section is None:  # code before the first ## gets its own section
            section = Section(index=0, title="Introduction", line=line)
            lesson.sections.append(section)
            _set_current(section)
        block = Block(index=len(lesson.blocks), code=code, line=line, section=section.index)
        lesson.blocks.append(block)
        if exercise is not None:
            exercise.prompt.append(("block", block))
        else:
            section.items.append(("block", block))

    def _set_current(section: Section) -> None:
        nonlocal current
        current = section

    while i < len(lines):
        line = lines[i]
        lineno = i + 1
        fence = _FENCE.match(line)
        if fence:
            indent, marker, info = fence.groups()
            if marker[0] == "`" and "`" in info:
                fence = None  # an inline code span, not a fence
        if fence:
            close_at = _fence_end(lines, i, marker)
            body = [
                ln[len(indent) :] if ln.startswith(indent) else ln.lstrip()
                for ln in lines[i + 1 : close_at]
            ]
            code = "\n".join(body)
            words = info.strip().split()
            lang = words[0].lower().strip("{}.") if words else ""
            flags = {w.lower() for w in words[1:]}
            raw = lines[i : min(close_at + 1, len(lines))]
            i = close_at + 1
            if (
                lang in RUNNABLE_LANGS
                and exercise is not None
                and ("check" in flags or "solution" in flags)
            ):
                flush_md()
                if "check" in flags:
                    exercise.check = (exercise.check + "\n" + code) if exercise.check else code
                    exercise.check_line = exercise.check_line or lineno + 1
                else:
                    exercise.solution = code
                    exercise.solution_line = lineno + 1
                continue
            if lang == "hint" and exercise is not None:
                flush_md()
                exercise.hints.append(code.strip())
                continue
            if lang in RUNNABLE_LANGS and not flags & {"norun", "no-run", "check", "solution"}:
                flush_md()
                add_block(code, lineno + 1)
                continue
            (ex_md if exercise is not None else md).extend(raw)
            continue
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            title = (heading.group(2) or "").strip()
            if level == 2:
                close_exercise()
                flush_md()
                section = Section(
                    index=len(lesson.sections), title=title or "(untitled)", line=lineno
                )
                lesson.sections.append(section)
                current = section
                i += 1
                continue
            if level <= 3:
                close_exercise()
                match = _EXERCISE.match(title) if level == 3 else None
                if match:
                    flush_md()
                    if current is None:
                        current = Section(index=0, title="Introduction", line=lineno)
                        lesson.sections.append(current)
                    ex_title = match.group(1).strip() or f"Exercise {len(lesson.exercises) + 1}"
                    ex_id = slugify(ex_title)
                    n = 2
                    while ex_id in ex_ids:
                        ex_id = f"{slugify(ex_title)}-{n}"
                        n += 1
                    ex_ids.add(ex_id)
                    exercise = Exercise(
                        id=ex_id, title=ex_title, line=lineno, section=current.index
                    )
                    lesson.exercises.append(exercise)
                    current.items.append(("exercise", exercise))
                    i += 1
                    continue
        if exercise is not None:
            hint = _HINT.match(line)
            if hint:
                flush_md()
                parts = [hint.group(1)]
                i += 1
                while i < len(lines) and _QUOTE.match(lines[i]) and not _HINT.match(lines[i]):
                    parts.append(_QUOTE.match(lines[i]).group(1))
                    i += 1
                exercise.hints.append("\n".join(parts).strip())
                continue
            ex_md.append(line)
        elif current is None:
            md.append(line)
        else:
            md.append(line)
        i += 1
    close_exercise()
    flush_md()
    lesson.intro = "\n\n".join(intro)


def _fence_end(lines: list[str], start: int, marker: str) -> int:
    """Index of the closing fence line (or len(lines) when the fence is never closed)."""
    char, length = marker[0], len(marker)
    for j in range(start + 1, len(lines)):
        stripped = lines[j].strip()
        if (
            stripped
            and set(stripped) == {char}
            and len(stripped) >= length
            and len(lines[j]) - len(lines[j].lstrip()) < 4
        ):
            return j
    return len(lines)


# -- finding lessons ----------------------------------------------------------------


def shipped_lessons_dir() -> Path:
    """The curriculum that ships with torch-tui: ``tui/_lessons`` in a wheel, ``lessons/`` in a checkout."""
    package = Path(__file__).resolve().parents[1]
    wheel = package / "_lessons"
    if wheel.is_dir():
        return wheel
    return package.parent / "lessons"


def default_dirs(extra: Iterable[Path] = ()) -> list[Path]:
    """Shipped lessons, then ``--lessons-dir`` folders, then the user's own folder."""
    from tui.core import state

    return [shipped_lessons_dir(), *[Path(p) for p in extra], state.user_lessons_dir()]


def find_files(folder: Path) -> list[Path]:
    """``*.md`` files under ``folder``; symlink loops and unreadable folders are skipped."""
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()

    def walk(path: Path, depth: int) -> None:
        try:
            st = path.stat()
        except OSError:
            return
        key = (st.st_dev, st.st_ino)
        if key in seen or depth > MAX_DEPTH:
            return
        seen.add(key)
        try:
            entries = sorted(os.scandir(path), key=lambda e: natural_key(e.name))
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                walk(Path(entry.path), depth + 1)
            elif entry.name.lower().endswith(".md") and entry.name.lower() != "readme.md":
                found.append(Path(entry.path))

    walk(Path(folder), 0)
    return found


def display_path(path: Path) -> str:
    """A short path for messages: relative to the working folder when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def load_lessons(paths: Iterable[Path]) -> list[Lesson]:
    """Load files and folders; later duplicates of an id load as broken. Sorted by id."""
    lessons: list[Lesson] = []
    seen_files: set[Path] = set()
    by_id: dict[str, Lesson] = {}
    for root in paths:
        root = Path(root)
        files = [root] if root.is_file() or not root.exists() else find_files(root)
        if not root.exists():
            continue
        for file in files:
            real = Path(os.path.realpath(file))
            if real in seen_files:
                continue
            seen_files.add(real)
            lesson = load_lesson(file, display_path(file))
            if not lesson.broken:
                first = by_id.get(lesson.id)
                if first is not None:
                    lesson.error = (
                        f"{display_path(file)}:2: duplicate id {lesson.id!r} "
                        f"(already used by {display_path(first.path)})"
                    )
                else:
                    by_id[lesson.id] = lesson
            lessons.append(lesson)
    lessons.sort(key=lambda ls: (natural_key(ls.id), ls.broken, str(ls.path)))
    return lessons


def discover(extra_dirs: Iterable[Path] = ()) -> list[Lesson]:
    """Every lesson the app shows: shipped, ``--lessons-dir``, and the user's folder."""
    return load_lessons(default_dirs(extra_dirs))


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


def prerequisites_status(lesson: Lesson, lessons: list[Lesson]) -> list[tuple[str, bool]]:
    """``(id, exists)`` for each prerequisite; a missing one is shown, not an error."""
    ids = {ls.id for ls in lessons if not ls.broken}
    return [(p, p in ids) for p in lesson.prerequisites]
