"""A lesson that changes its id (front matter ``formerly``) keeps the learner's work:
progress, review cards, ``--lesson`` and links under the old id all reach it."""

from __future__ import annotations

import json
from pathlib import Path

from tui.lessons.library import find_lesson, load_lessons, renames
from tui.lessons.progress import Progress, progress_path
from tui.lessons.review import Reviews, review_path

MOVED = """---
id: "18-multi-gpu"
title: "Many GPUs"
formerly: ["09-multi-gpu"]
---
## One

```python
a = 1
```
"""


def _lessons(tmp_path: Path) -> list:
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "18-multi-gpu.md").write_text(MOVED)
    (folder / "10-other.md").write_text('---\nid: "10-other"\ntitle: "Other"\n---\n## A\n')
    return load_lessons([folder])


def test_an_old_id_finds_the_lesson_and_a_used_id_is_never_taken_over(tmp_path):
    lessons = _lessons(tmp_path)
    assert renames(lessons) == {"09-multi-gpu": "18-multi-gpu"}
    assert find_lesson("09-multi-gpu", lessons).id == "18-multi-gpu"
    assert find_lesson("18-multi-gpu.md", lessons).id == "18-multi-gpu"
    clash = lessons[0]
    clash.meta["formerly"] = ["10-other"]  # an id another lesson still has
    assert "10-other" not in renames(lessons)


def test_old_progress_counts_for_the_new_id_and_the_file_keeps_only_the_new(tmp_home, tmp_path):
    lessons = _lessons(tmp_path)
    old = {"section": 2, "lesson": "09-multi-gpu"}
    progress_path().parent.mkdir(parents=True, exist_ok=True)
    progress_path().write_text(
        json.dumps(
            {
                "version": 1,
                "last": old,
                "lessons": {"09-multi-gpu": {"visited": ["one"], "exercises_passed": ["ddp"]}},
            }
        )
    )
    progress = Progress.load()
    assert progress.rename(renames(lessons)), "something moved: worth saving"
    assert progress.of("18-multi-gpu").passed == {"ddp"}
    assert progress.last_lesson == "18-multi-gpu" and progress.last_section == 2
    progress.save()  # merges with the file, which still has the old id
    saved = json.loads(progress_path().read_text())
    assert list(saved["lessons"]) == ["18-multi-gpu"]
    assert set(saved["lessons"]["18-multi-gpu"]["exercises_passed"]) == {"ddp"}
    assert not Progress.load().rename(renames(lessons)), "the second start moves nothing"


def test_old_review_cards_count_for_the_new_id(tmp_home, tmp_path):
    lessons = _lessons(tmp_path)
    reviews = Reviews.load()
    reviews.solved("09-multi-gpu", "ddp", now=1000.0)
    reviews.save()
    again = Reviews.load()
    assert again.rename(renames(lessons))
    assert ("18-multi-gpu", "ddp") in again.cards and ("09-multi-gpu", "ddp") not in again.cards
    again.save()
    saved = json.loads(review_path().read_text())
    assert list(saved["lessons"]) == ["18-multi-gpu"]
