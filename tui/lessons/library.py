"""Finding lessons: the shipped, extra and user folders, and loading them all in course order.

Kept apart from the parser (``tui.lessons.document``), which only turns one file into a
Lesson (and resolves a lesson's links among lessons already loaded).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from tui.lessons.course import course_order
from tui.lessons.document import Lesson, load_lesson, natural_key

#: Folders deeper than this under a lessons dir are not searched.
MAX_DEPTH = 4

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
    from tui.platform import state

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
    """Load files and folders; later duplicates of an id load as broken. In course order
    (``tui.lessons.course``: prerequisites first, ties by id)."""
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
    return course_order(lessons)


def discover(extra_dirs: Iterable[Path] = ()) -> list[Lesson]:
    """Every lesson the app shows: shipped, ``--lessons-dir``, and the user's folder."""
    return load_lessons(default_dirs(extra_dirs))


def prerequisites_status(lesson: Lesson, lessons: list[Lesson]) -> list[tuple[str, bool]]:
    """``(id, exists)`` for each prerequisite; a missing one is shown, not an error."""
    ids = {ls.id for ls in lessons if not ls.broken}
    return [(p, p in ids) for p in lesson.prerequisites]


def former_ids(lesson: Lesson) -> list[str]:
    """The ids a lesson had before (front matter ``formerly: [old-id, ...]``): progress,
    reviews, ``--lesson`` and links under an old id still find it."""
    found = lesson.meta.get("formerly")
    if isinstance(found, str):
        found = [found]
    return [str(x) for x in found if isinstance(x, str | int)] if isinstance(found, list) else []


def renames(lessons: Iterable[Lesson]) -> dict[str, str]:
    """Old id -> current id, for every lesson that says what it was called before (an id
    still in use by a loaded lesson is never taken over)."""
    ids = {ls.id for ls in lessons if not ls.broken}
    return {
        old: ls.id for ls in lessons if not ls.broken for old in former_ids(ls) if old not in ids
    }


def find_lesson(key: str, lessons: list[Lesson]) -> Lesson | None:
    """A lesson by id (or an id it had before), file name or file stem; a loaded one first."""
    key = renames(lessons).get(key, key)
    for lesson in lessons:
        if lesson.id == key and not lesson.broken:
            return lesson
    for lesson in lessons:
        if key in (lesson.id, lesson.path.name, lesson.path.stem):
            return lesson
    return None
