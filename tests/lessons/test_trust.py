"""Trusting lesson folders: hashes of their lesson files, remembered per path and hash."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tui.lessons import trust
from tui.lessons.library import default_dirs, load_lessons, shipped_lessons_dir
from tui.platform import state

LESSON = """---
id: {id}
title: A lesson
---
## One

### Exercise: e
Do it.
```python check
assert x == 1
```
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.md").write_text(LESSON.format(id="a"))
    (folder / "sub" / "b.md").write_text(LESSON.format(id="b"))
    (folder / "README.md").write_text("not a lesson")
    (folder / "notes.txt").write_text("not a lesson either")
    return folder


def test_the_digest_covers_the_lesson_files_only(folder):
    files = trust.digest(folder)
    assert sorted(files) == ["a.md", "sub/b.md"]
    assert all(len(h) == 64 for h in files.values())
    (folder / "notes.txt").write_text("changed")
    (folder / "README.md").write_text("changed")
    assert trust.digest(folder) == files
    (folder / "a.md").write_text(LESSON.format(id="a") + "\nmore\n")
    assert trust.digest(folder)["a.md"] != files["a.md"]


def test_the_combined_hash_depends_on_names_and_contents():
    assert trust.combined_hash({"a.md": "1", "b.md": "2"}) == trust.combined_hash(
        {"b.md": "2", "a.md": "1"}
    )
    assert trust.combined_hash({"a.md": "1"}) != trust.combined_hash({"c.md": "1"})
    assert trust.combined_hash({"a.md": "1"}) != trust.combined_hash({"a.md": "2"})


def test_a_folder_is_untrusted_until_trusted_and_remembered(folder, tmp_home):
    verdict = trust.is_trusted(folder)
    assert (verdict.trusted, verdict.status) == (False, trust.NEW)
    assert str(folder.resolve()) in verdict.reason()
    trust.TrustStore.load().trust(folder)
    assert trust.is_trusted(folder).trusted  # a fresh store: read back from the file
    saved = trust.store_path()
    assert saved.is_relative_to(tmp_home), "the store lives under the test's home"
    # the same folder by another spelling (a symlink) is the same folder
    link = folder.parent / "link"
    link.symlink_to(folder, target_is_directory=True)
    assert trust.is_trusted(link).trusted
    # another folder with the same files is not trusted by it
    other = folder.parent / "copy"
    other.mkdir()
    (other / "a.md").write_text((folder / "a.md").read_text())
    assert not trust.is_trusted(other).trusted


def test_a_changed_file_is_named_and_trust_asked_again(folder):
    store = trust.TrustStore.load()
    store.trust(folder)
    (folder / "sub" / "b.md").write_text(LESSON.format(id="b").replace("x == 1", "True"))
    (folder / "c.md").write_text(LESSON.format(id="c"))
    verdict = trust.is_trusted(folder)
    assert verdict.status == trust.CHANGED and not verdict.trusted
    assert verdict.changed == ("c.md (new)", "sub/b.md")
    assert "sub/b.md" in verdict.reason() and "c.md (new)" in verdict.reason()
    (folder / "a.md").unlink()
    assert "a.md (removed)" in trust.is_trusted(folder).changed
    trust.TrustStore.load().trust(folder)
    assert trust.is_trusted(folder).trusted


def test_a_corrupt_store_is_set_aside_and_nothing_is_trusted(folder):
    path = trust.store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{ not json")
    state.warnings.drain()
    assert trust.is_trusted(folder).status == trust.NEW
    assert any("trusted-lessons.json" in w for w in state.warnings.drain())
    assert not path.exists() and list(path.parent.glob("trusted-lessons.json.corrupt-*"))
    # malformed entries are ignored, the good ones kept
    good = trust.combined_hash(trust.digest(folder))
    key = trust.folder_key(folder)
    path.write_text(
        json.dumps({"folders": {"/x": 3, "/y": {"hash": 1}, key: {"hash": good, "files": {}}}})
    )
    assert trust.is_trusted(folder).trusted
    trust.TrustStore.load().trust(folder.parent)  # saving over it keeps what was good
    assert set(json.loads(path.read_text())["folders"]) == {key, trust.folder_key(folder.parent)}


def test_saving_merges_with_another_instance(folder, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    first, second = trust.TrustStore.load(), trust.TrustStore.load()
    first.trust(folder)
    second.trust(other)
    fresh = trust.TrustStore.load()
    assert fresh.verdict(folder).trusted and fresh.verdict(other).trusted


def test_a_store_that_cannot_be_written_still_trusts_for_this_run(folder, tmp_home):
    data = state.data_dir()
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text("a file where the data dir should be")
    store = trust.TrustStore.load()
    with pytest.raises(state.StateError):
        store.trust(folder)
    assert store.verdict(folder).trusted


def test_the_shipped_lessons_are_trusted_without_asking():
    assert trust.is_trusted(shipped_lessons_dir()).trusted


def test_lessons_know_their_folder_and_the_bytes_read(folder, monkeypatch):
    lessons, folders = trust.load_with_trust(default_dirs([folder]), load_lessons)
    mine = [ls for ls in lessons if ls.id in ("a", "b")]
    assert len(mine) == 2
    assert all(folders.folder_of(ls) == folder for ls in mine)
    assert all(folders.verdict(ls).status == trust.NEW for ls in mine)
    shipped = [ls for ls in lessons if ls.id not in ("a", "b") and not ls.broken]
    assert shipped and all(folders.verdict(ls).trusted for ls in shipped)
    # the file changes after it was read: the app still holds what it read, and that is
    # what trusting covers; the next start sees the change and asks again
    (folder / "a.md").write_text(LESSON.format(id="a").replace("x == 1", "x == 2"))
    assert folders.trust(mine[0]).trusted
    assert trust.is_trusted(folder).changed == ("a.md",)
    # a file that changes while the lessons are read is never trusted
    calls = []

    def load(roots):
        calls.append(1)
        (folder / "a.md").write_text(LESSON.format(id="a") + "\n# changing\n")
        return load_lessons(roots)

    lessons, folders = trust.load_with_trust([folder], load)
    lesson = next(ls for ls in lessons if ls.id == "a")
    verdict = folders.verdict(lesson)
    assert calls and verdict.status == trust.CHANGING and verdict.changed == ("a.md",)
    assert not folders.trust(lesson).trusted
    assert "restart" in verdict.reason()


def test_no_test_touches_the_real_home(tmp_home):
    assert Path(os.environ["TORCH_TUI_HOME"]) == tmp_home
    assert trust.store_path().is_relative_to(tmp_home)
