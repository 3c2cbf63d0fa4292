"""The body of a lesson: sections, runnable blocks and exercises, read line by line.

Fences, headings and quotes are matched here with the lesson format's own rules (see
``tui.lessons.document``); a broken construct becomes the lesson's ``error``, never a raise.
"""

from __future__ import annotations

from tui.lessons.document import (
    _EXERCISE,
    _FENCE,
    _HEADING,
    _HINT,
    _QUOTE,
    RUNNABLE_LANGS,
    Block,
    Exercise,
    Lesson,
    Section,
    slugify,
)

# -- the body -----------------------------------------------------------------------


def parse_body(lesson: Lesson, lines: list[str], start: int) -> None:
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
