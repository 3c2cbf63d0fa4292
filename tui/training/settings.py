"""The dashboard's settings, remembered across restarts (``dashboard.json`` in the config
dir, written atomically). What loads is validated like a run's settings: a file that no
longer parses (hand-edited, an older version) is ignored, never a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui.platform import state

VERSION = 1
#: Remembered per machine, not per file: the device list is the kernel's.
NOT_REMEMBERED = ("device",)


def settings_path() -> Path:
    return state.config_dir() / "dashboard.json"


def load_settings(path: Path | None = None) -> dict[str, Any]:
    """The saved form values (``{field: value}`` plus ``"workers"``), or {} when none."""
    from tui.training.config import ConfigError, TrainConfig

    data = state.read_json(path or settings_path(), default={}) or {}
    saved = data.get("settings")
    values: dict[str, Any] = saved if isinstance(saved, dict) else {}
    known = set(TrainConfig.__dataclass_fields__) - set(NOT_REMEMBERED)
    values = {k: v for k, v in values.items() if k in known and type(v) in (str, int, float)}
    try:
        TrainConfig.from_mapping(values)
    except ConfigError:
        return {}
    workers = data.get("workers")
    if type(workers) is int and workers >= 1:
        values["workers"] = workers
    return values


def save_settings(values: dict[str, Any], workers: int = 1, path: Path | None = None) -> None:
    """Remember the form; ``state.StateError`` says why not (a read-only config dir)."""
    keep = {k: v for k, v in values.items() if k not in NOT_REMEMBERED and v is not None}
    data = {"version": VERSION, "settings": keep, "workers": workers}
    state.atomic_write_json(path or settings_path(), data)
