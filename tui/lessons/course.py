"""The course: lessons in the order their prerequisites chain them, and where a learner is.

The order is a topological sort of the ``prerequisites`` graph, ties broken by id (so a
lesson's number orders lessons the chain does not). The shipped course is one chain
whose ids run in its order. A prerequisite that is not loaded is ignored for the
order (the picker shows it as missing); lessons caught in a cycle follow the rest by id.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

from tui.lessons.document import Lesson, natural_key


def course_order(lessons: list[Lesson]) -> list[Lesson]:
    """Every lesson once: each after the loaded lessons it needs, ties by id."""
    by_id = {ls.id: ls for ls in lessons if not ls.broken}
    needs = {
        ls.id: {p for p in ls.prerequisites if p in by_id and p != ls.id} for ls in by_id.values()
    }
    unlocks: dict[str, list[str]] = {lid: [] for lid in by_id}
    for lid, wanted in needs.items():
        for p in wanted:
            unlocks[p].append(lid)
    ready = [(natural_key(lid), lid) for lid, wanted in needs.items() if not wanted]
    heapq.heapify(ready)
    ordered: list[str] = []
    while ready:
        _, lid = heapq.heappop(ready)
        ordered.append(lid)
        for after in unlocks[lid]:
            needs[after].discard(lid)
            if not needs[after]:
                heapq.heappush(ready, (natural_key(after), after))
    placed = set(ordered)
    cycle = sorted((lid for lid in by_id if lid not in placed), key=natural_key)
    out = [by_id[lid] for lid in ordered + cycle]
    seen = {id(ls) for ls in out}
    broken = [ls for ls in lessons if id(ls) not in seen]
    return out + sorted(broken, key=lambda ls: (natural_key(ls.id), str(ls.path)))


@dataclass(frozen=True)
class Place:
    """Where a lesson sits in the course, as the picker shows it."""

    number: int  # 1-based position in the course
    needs: list[tuple[str, str]]  # (prerequisite id, "done" | "open" | "missing")
    next_id: str | None  # the lesson the course goes on to

    @property
    def ready(self) -> bool:
        """Every prerequisite done (missing ones do not block: they cannot be done)."""
        return all(state != "open" for _, state in self.needs)


def places(lessons: list[Lesson], is_done: Callable[[str], bool]) -> dict[str, Place]:
    """``{lesson id: Place}`` for the lessons in course order (as ``course_order`` gives)."""
    ids = {ls.id for ls in lessons if not ls.broken}
    working = [ls for ls in lessons if not ls.broken]
    out: dict[str, Place] = {}
    for n, lesson in enumerate(working):
        needs = [
            (p, "missing" if p not in ids else ("done" if is_done(p) else "open"))
            for p in lesson.prerequisites
        ]
        following = next_lesson(lesson, working)
        out[lesson.id] = Place(n + 1, needs, following.id if following else None)
    return out


def next_lesson(lesson: Lesson, ordered: list[Lesson]) -> Lesson | None:
    """The lesson after ``lesson``: the first later one that names it as a prerequisite,
    else simply the next in the course."""
    working = [ls for ls in ordered if not ls.broken]
    if lesson not in working:
        return None
    later = working[working.index(lesson) + 1 :]
    return next((ls for ls in later if lesson.id in ls.prerequisites), later[0] if later else None)
