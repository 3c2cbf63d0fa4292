import json
import os

import pytest

from tui.platform import state


def test_paths_live_under_the_test_home(tmp_home):
    for path in (state.data_dir(), state.config_dir(), state.state_dir(), state.runs_dir()):
        assert str(path).startswith(str(tmp_home))


def test_atomic_write_then_read_round_trips(tmp_home):
    path = state.data_dir() / "progress.json"
    state.atomic_write_json(path, {"lesson": "08", "sections": [1, 2]})
    assert state.read_json(path) == {"lesson": "08", "sections": [1, 2]}
    assert [p.name for p in path.parent.iterdir()] == ["progress.json"]  # no temp left


def test_missing_file_gives_default(tmp_home):
    assert state.read_json(tmp_home / "nope.json", default={"a": 1}) == {"a": 1}


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00garbage", b"[1, 2]"])
def test_corrupt_file_is_set_aside_with_a_warning(tmp_home, content):
    state.warnings.drain()
    path = tmp_home / "history.json"
    path.write_bytes(content)
    assert state.read_json(path, default={}) == {}
    assert not path.exists()
    kept = list(tmp_home.glob("history.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == content
    (msg,) = state.warnings.drain()
    assert "history.json" in msg and kept[0].name in msg


def test_interrupted_write_keeps_the_old_file(tmp_home, monkeypatch):
    path = tmp_home / "progress.json"
    state.atomic_write_json(path, {"v": 1})

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(state.StateError, match="No space left"):
        state.atomic_write_json(path, {"v": 2})
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"v": 1}
    assert [p.name for p in tmp_home.iterdir()] == ["progress.json"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_dir_raises_state_error(tmp_home):
    ro = tmp_home / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(state.StateError, match="cannot save"):
        state.atomic_write_json(ro / "x.json", {})


# -- no state file can block a start or a save (issue 23) ------------------------------
def _set_aside_once(home, name: str) -> str:
    """The one warning about ``name``, which is gone from its place and kept aside."""
    msgs = state.warnings.drain()
    assert len(msgs) == 1 and name in msgs[0], msgs
    assert len(list(home.rglob(f"{name}.corrupt-*"))) == 1
    return msgs[0]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"[" * 100_000, "nested too deep"),
        (b'{"a": ' + b"1" * 5000 + b"}", "a value Python cannot read"),
        (b"\x00\x01\x02\xff binary", "not UTF-8"),
        (b'"a string"', "expected a JSON dict"),
    ],
)
def test_any_file_that_fails_to_load_is_set_aside_with_its_reason(tmp_home, content, reason):
    state.warnings.drain()
    path = tmp_home / "progress.json"
    path.write_bytes(content)
    assert state.read_json(path, default={}) == {}
    assert not path.exists()
    assert f"({reason})" in _set_aside_once(tmp_home, "progress.json")


def test_a_huge_file_is_set_aside_unread(tmp_home, monkeypatch):
    state.warnings.drain()
    path = tmp_home / "review.json"
    with open(path, "wb") as fh:
        fh.truncate(state.MAX_STATE_BYTES + 1)  # sparse: costs no disk
    real_read = os.read
    reads = []

    def counting_read(fd, n):
        reads.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(state.os, "read", counting_read)
    assert state.read_json(path, default={}) == {}
    monkeypatch.undo()
    assert not reads  # sized before anything was read
    assert "(larger than 16 MB)" in _set_aside_once(tmp_home, "review.json")


def test_a_fifo_or_a_folder_in_its_place_is_set_aside_without_hanging(tmp_home):
    state.warnings.drain()
    fifo, folder = tmp_home / "a.json", tmp_home / "b.json"
    os.mkfifo(fifo)  # a plain open() for reading would wait for a writer forever
    folder.mkdir()
    assert state.read_json(fifo, default={}) == {}
    assert state.read_json(folder, default={}) == {}
    msgs = state.warnings.drain()
    assert len(msgs) == 2 and all("not a regular file" in m for m in msgs)
    assert not fifo.exists() and not folder.exists()


def test_an_unreadable_file_is_set_aside(tmp_home, monkeypatch):
    state.warnings.drain()
    path = tmp_home / "trust.json"
    path.write_text("{}")
    real_open = os.open

    def denied(p, *args, **kw):
        if str(p) == str(path):
            raise PermissionError(13, "Permission denied", str(p))
        return real_open(p, *args, **kw)

    monkeypatch.setattr(state.os, "open", denied)
    assert state.read_json(path, default={}) == {}
    monkeypatch.undo()
    assert "(Permission denied)" in _set_aside_once(tmp_home, "trust.json")


def test_a_file_that_cannot_be_moved_aside_is_still_not_raised(tmp_home, monkeypatch):
    state.warnings.drain()
    path = tmp_home / "progress.json"
    path.write_bytes(b"[" * 100_000)

    def read_only(*args):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(state.os, "replace", read_only)
    assert state.read_json(path, default={}) == {}
    (msg,) = state.warnings.drain()
    assert "could not be moved aside" in msg and "nested too deep" in msg


def test_wrong_types_inside_valid_json_load_as_nothing(tmp_home):
    from tui.console.history import History
    from tui.lessons import progress, review, trust
    from tui.training import settings as train_settings

    def put(path, data):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))

    put(
        progress.progress_path(),
        {
            "last": {"lesson": 3, "section": True},
            "lessons": {"a": "x", "b": {"blocks_run": [True, 2]}},
        },
    )
    got = progress.Progress.load()
    assert got.last_lesson is None and got.last_section == 0
    assert got.lessons["a"].visited == set() and got.lessons["b"].blocks_run == {2}

    text = json.dumps({"lessons": {"l": {
        "nan": {"step": 1, "due": float("nan"), "solved": 1.0},
        "inf": {"step": 1, "due": float("inf"), "solved": 1.0},
        "bool": {"step": True, "due": 1.0, "solved": 1.0},
        "huge": {"step": 1, "due": 10**400, "solved": 1.0},
        "learned": {"step": 4, "due": float("inf"), "solved": 5.0},
    }}})  # fmt: skip
    review.review_path().write_text(text)
    cards = review.Reviews.load().cards
    assert list(cards) == [("l", "learned")]
    assert review.when(cards[("l", "learned")], 0) == "learned"

    put(train_settings.settings_path(), {"settings": {"lr": True, "dataset": 5}, "workers": True})
    assert train_settings.load_settings() == {}
    put(trust.store_path(), {"folders": {"a": 3, "b": {"hash": 1, "files": {}}}})
    assert trust.TrustStore.load().folders == {}
    put(History().path, {"entries": [1, None, "x = 1"]})
    assert History().entries == ["x = 1"]
    assert not state.warnings.drain()  # valid JSON of the right shape: nothing set aside


def test_a_save_that_finds_a_corrupt_file_sets_it_aside_and_saves(tmp_home):
    from tui.console.history import History
    from tui.lessons import progress, review, trust

    state.warnings.drain()
    deep = "[" * 100_000
    history = History()
    prog = progress.Progress.load()
    reviews = review.Reviews.load()
    store = trust.TrustStore.load()
    folder = tmp_home / "lessons"
    folder.mkdir()
    for path in (history.path, progress.progress_path(), review.review_path(), trust.store_path()):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(deep)  # written behind the app's back (a cell can do it)
    history.add("x = 1")  # saves
    prog.last_lesson = "a"
    prog.save()
    reviews.solved("a", "e")
    reviews.save()
    store.trust(folder, {})
    assert json.loads(history.path.read_text())["entries"] == ["x = 1"]
    assert json.loads(progress.progress_path().read_text())["last"]["lesson"] == "a"
    assert review.Reviews.load().cards[("a", "e")].step == 0
    assert trust.TrustStore.load().folders
    msgs = state.warnings.drain()
    assert len(msgs) == 4 and all("nested too deep" in m for m in msgs), msgs
