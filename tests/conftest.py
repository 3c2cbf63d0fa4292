"""Shared fixtures: every test gets its own state home, never the real one."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def tmp_home(tmp_path, monkeypatch):
    """Point all torch-tui paths (platformdirs) at a fresh temp folder."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("TORCH_TUI_HOME", str(home))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    return home
