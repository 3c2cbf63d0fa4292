"""The dashboard's settings come back after a restart; a bad file is ignored."""

from __future__ import annotations

from tui.training.settings import load_settings, save_settings, settings_path


def test_settings_round_trip_without_the_device(tmp_home):
    save_settings({"lr": "0.3", "dataset": "spiral", "device": "cuda:3", "steps": ""}, 2)
    got = load_settings()
    assert got == {"lr": "0.3", "dataset": "spiral", "steps": "", "workers": 2}
    assert settings_path().is_file()


def test_a_file_that_no_longer_parses_is_ignored(tmp_home):
    save_settings({"lr": "-1"})
    assert load_settings() == {}
    settings_path().write_text("{not json")
    assert load_settings() == {}
