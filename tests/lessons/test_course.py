"""The course order, a lesson's place in it, and the next lesson."""

from __future__ import annotations

from pathlib import Path

from tui.lessons.course import course_order, next_lesson, places
from tui.lessons.document import Lesson


def lesson(lid: str, *needs: str, broken: bool = False) -> Lesson:
    return Lesson(
        Path(f"/l/{lid}.md"),
        lid,
        lid.title(),
        prerequisites=list(needs),
        error="bad" if broken else None,
    )


def ids(lessons: list[Lesson]) -> list[str]:
    return [ls.id for ls in lessons]


def test_prerequisites_come_first_and_ties_go_by_id():
    got = course_order(
        [
            lesson("09-multi", "17-perf"),
            lesson("17-perf", "10-bc"),
            lesson("10-bc", "08-intro"),
            lesson("08-intro", "07-nn"),
            lesson("07-nn"),
            lesson("2-extra"),
        ]
    )
    assert ids(got) == ["2-extra", "07-nn", "08-intro", "10-bc", "17-perf", "09-multi"]


def test_missing_prerequisites_cycles_and_broken_files_still_show():
    got = course_order(
        [
            lesson("b", "a"),
            lesson("a", "b"),
            lesson("c", "nowhere"),
            lesson("z", broken=True),
            lesson("d"),
        ]
    )
    assert ids(got) == ["c", "d", "a", "b", "z"]


def test_places_say_what_is_done_missing_and_next():
    course = course_order([lesson("1-a"), lesson("2-b", "1-a", "0-gone"), lesson("3-c", "2-b")])
    got = places(course, is_done=lambda lid: lid == "1-a")
    assert got["2-b"].number == 2 and got["2-b"].next_id == "3-c"
    assert got["2-b"].needs == [("1-a", "done"), ("0-gone", "missing")] and got["2-b"].ready
    assert got["3-c"].needs == [("2-b", "open")] and not got["3-c"].ready
    assert got["3-c"].next_id is None
    assert next_lesson(course[0], course) is course[1]
