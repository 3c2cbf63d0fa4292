"""The shipped course as a learner walks it: in order, linked, exercised, current PyTorch."""

from __future__ import annotations

import re

from tui.lessons.course import course_order, next_lesson
from tui.lessons.document import natural_key, resolve_link, section_links
from tui.lessons.library import find_files, load_lessons, shipped_lessons_dir

COURSE = load_lessons([shipped_lessons_dir()])
DEPRECATED = re.compile(r"\bVariable\(|\bvolatile\b|(?<!utils)\.data\b(?!_ptr)")


def test_the_course_is_one_chain_in_the_order_of_its_ids():
    assert len(COURSE) >= 11 and not [ls.error for ls in COURSE if ls.broken]
    assert COURSE == course_order(COURSE)
    assert COURSE[0].id == "07-neural-networks"
    assert [ls.id for ls in COURSE] == sorted((ls.id for ls in COURSE), key=natural_key)
    for before, after in zip(COURSE, COURSE[1:], strict=False):
        assert after.prerequisites == [before.id], f"{after.id} should need {before.id}"


def test_each_lesson_ends_with_a_link_to_the_next_one():
    for lesson in COURSE[:-1]:
        links = section_links(lesson.sections[-1])
        targets = [resolve_link(lesson, target, COURSE) for _, target in links]
        assert next_lesson(lesson, COURSE) in targets, f"{lesson.id}'s last section"


def test_new_lessons_have_exercises_with_hints_solutions_and_sources():
    for lesson in COURSE:
        if lesson.id < "10":
            continue
        assert len(lesson.exercises) >= 2, lesson.id
        for ex in lesson.exercises:
            assert ex.hints and ex.solution and ex.check.strip(), f"{lesson.id}: {ex.title}"
        assert lesson.sources and lesson.why and lesson.concepts, lesson.id


def test_the_code_is_current_pytorch():
    for lesson in COURSE:
        code = [b.code for b in lesson.blocks] + [e.solution or "" for e in lesson.exercises]
        for text in code:
            assert not DEPRECATED.search(text), f"{lesson.id}: {DEPRECATED.search(text)}"


def test_the_digits_ship_with_their_attribution():
    digits = next(ls for ls in COURSE if "digits" in ls.id)
    assert "CC BY 4.0" in str(digits.sources) and "Alpaydin" in str(digits.sources)
    assert any('files("tui")' in b.code for b in digits.blocks)
    assert len(find_files(shipped_lessons_dir())) == len(COURSE)
