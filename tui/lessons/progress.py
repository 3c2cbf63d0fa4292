"""Learner progress: sections visited, blocks run, exercises passed, and where they were.

Stored as one JSON file in the data dir, written atomically (``state.atomic_write_json``);
a corrupt file is set aside by ``state.read_json`` and progress starts fresh, never a crash.
Progress only grows, so a save merges: under the file's lock it unions each lesson's
visited sections, run blocks and passed exercises with what is on disk, so two
instances sharing the data dir both keep theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.lessons.document import Lesson
from tui.platform import state

VERSION = 1


def progress_path() -> Path:
    return state.data_dir() / "progress.json"


@dataclass
class LessonProgress:
    visited: set[str] = field(default_factory=set)  # section slugs
    blocks_run: set[int] = field(default_factory=set)  # block indexes
    passed: set[str] = field(default_factory=set)  # exercise ids

    def to_json(self) -> dict[str, Any]:
        return {
            "visited": sorted(self.visited),
            "blocks_run": sorted(self.blocks_run),
            "exercises_passed": sorted(self.passed),
        }

    @classmethod
    def from_json(cls, data: Any) -> LessonProgress:
        if not isinstance(data, dict):
            return cls()

        def items(key: str, kind: type) -> set:
            value = data.get(key)
            if not isinstance(value, list):
                return set()
            return {v for v in value if isinstance(v, kind) and not isinstance(v, bool)}

        return cls(items("visited", str), items("blocks_run", int), items("exercises_passed", str))


@dataclass
class Progress:
    lessons: dict[str, LessonProgress] = field(default_factory=dict)
    last_lesson: str | None = None
    last_section: int = 0
    path: Path | None = None
    #: Old lesson id -> new (``library.renames``): what is saved under an old id, in the
    #: file or merged from it, counts for the lesson's new id.
    renamed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> Progress:
        path = path or progress_path()
        data = state.read_json(path, default={}) or {}
        last = found if isinstance(found := data.get("last"), dict) else {}
        lessons_data = found if isinstance(found := data.get("lessons"), dict) else {}
        section = last.get("section")
        return cls(
            lessons={str(k): LessonProgress.from_json(v) for k, v in lessons_data.items()},
            last_lesson=last.get("lesson") if isinstance(last.get("lesson"), str) else None,
            last_section=section if type(section) is int and section >= 0 else 0,
            path=path,
        )

    def rename(self, renamed: dict[str, str]) -> bool:
        """Carry what was saved under an old lesson id over to its new id (and the place
        the learner was); True when something moved, so it is worth saving."""
        self.renamed = dict(renamed)
        old = Progress(self.lessons, self.last_lesson, self.last_section)
        self.lessons = {}
        self.merge(old)
        if self.last_lesson in renamed:
            self.last_lesson = renamed[self.last_lesson]
        return self.lessons.keys() != old.lessons.keys()

    def merge(self, other: Progress) -> None:
        """Fold ``other``'s progress into this one (``last`` stays ours)."""
        for lesson_id, theirs in other.lessons.items():
            mine = self.of(self.renamed.get(lesson_id, lesson_id))
            mine.visited |= theirs.visited
            mine.blocks_run |= theirs.blocks_run
            mine.passed |= theirs.passed

    def save(self) -> None:
        """Merge with the file and write atomically; raises ``state.StateError`` with a
        one-line reason on failure."""
        path = self.path or progress_path()
        with state.locked(path):
            self.merge(Progress.load(path))
            self._write(path)

    def _write(self, path: Path) -> None:
        data = {
            "version": VERSION,
            "last": {"lesson": self.last_lesson, "section": self.last_section},
            "lessons": {k: v.to_json() for k, v in sorted(self.lessons.items())},
        }
        state.atomic_write_json(path, data)

    def of(self, lesson_id: str) -> LessonProgress:
        return self.lessons.setdefault(lesson_id, LessonProgress())

    def visit(self, lesson: Lesson, section: int) -> bool:
        """Record a visit; True when something changed."""
        changed = (self.last_lesson, self.last_section) != (lesson.id, section)
        self.last_lesson, self.last_section = lesson.id, section
        if 0 <= section < len(lesson.sections):
            slug = lesson.sections[section].slug
            mine = self.of(lesson.id)
            if slug not in mine.visited:
                mine.visited.add(slug)
                changed = True
        return changed

    def block_run(self, lesson: Lesson, index: int) -> bool:
        mine = self.of(lesson.id)
        if index in mine.blocks_run:
            return False
        mine.blocks_run.add(index)
        return True

    def exercise_passed(self, lesson: Lesson, exercise_id: str) -> bool:
        mine = self.of(lesson.id)
        if exercise_id in mine.passed:
            return False
        mine.passed.add(exercise_id)
        return True

    def completion(self, lesson: Lesson) -> float:
        """Fraction done: sections visited, blocks run and exercises passed, all counted
        alike; a lesson only opened (its first section shown, nothing run) is 0%."""
        if lesson.broken:
            return 0.0
        total = len(lesson.sections) + len(lesson.blocks) + len(lesson.exercises)
        if total == 0:
            return 0.0
        mine = self.lessons.get(lesson.id) or LessonProgress()
        slugs = {s.slug for s in lesson.sections}
        ids = {e.id for e in lesson.exercises}
        run = len({i for i in mine.blocks_run if 0 <= i < len(lesson.blocks)})
        passed = len(mine.passed & ids)
        seen = mine.visited & slugs
        first = {lesson.sections[0].slug} if lesson.sections else set()
        if not run and not passed and seen <= first:
            return 0.0  # only opened: not started
        return (len(seen) + run + passed) / total

    def is_done(self, lesson_id: str, lessons: list[Lesson]) -> bool:
        lesson = next((ls for ls in lessons if ls.id == lesson_id and not ls.broken), None)
        return lesson is not None and self.completion(lesson) >= 0.999
