import json
import os

import pytest

from tui.core import state


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
