"""REPL history: persisted across runs (atomic JSON via the state helpers), capped.

The widget walks it with up/down and searches it backwards with ctrl+r. Saving is an
atomic replace, so a crash mid-save never loses the file; a corrupt file is set aside by
``state.read_json`` and history starts empty. Two instances sharing the state dir both
keep their cells: a save appends this session's new cells to what is on disk, under the
file's lock, and the session's own view (what up/down walks) stays as it was.
"""

from __future__ import annotations

import threading
from pathlib import Path

from tui.platform import state

MAX_ENTRIES = 1000


def default_path() -> Path:
    return state.state_dir() / "repl_history.json"


def _clean(raw: object) -> list[str]:
    if not isinstance(raw, list):
        return []
    return [e for e in raw if isinstance(e, str) and e.strip()]


class History:
    """Cells the user ran, oldest first, without consecutive duplicates."""

    def __init__(self, path: Path | None = None, cap: int = MAX_ENTRIES) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.cap = cap
        data = state.read_json(self.path, default={}, expect=dict) or {}
        raw = data.get("entries", [])
        self.entries: list[str] = _clean(raw)[-cap:]
        #: Cells added since the last save: what a save appends to the file.
        self._unsaved: list[str] = []
        #: Saves run on a thread (the REPL saves off the UI thread): one at a time, and
        #: ``wait_saved`` lets quitting wait for the one in flight.
        self._saving = threading.Lock()
        self._adding = threading.Lock()

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, source: str, save: bool = True) -> None:
        """Remember a cell (blank ones and an immediate repeat are skipped)."""
        source = source.rstrip()
        if not source.strip() or (self.entries and self.entries[-1] == source):
            return
        self.entries.append(source)
        del self.entries[: -self.cap]
        with self._adding:
            self._unsaved.append(source)
        if save:
            self.save()

    def save(self) -> str | None:
        """Write the file; returns an error message instead of raising."""
        with self._saving:
            with self._adding:
                new, self._unsaved = self._unsaved, []
            try:
                with state.locked(self.path):
                    data = state.read_json(self.path, default={}, expect=dict) or {}
                    merged = _clean(data.get("entries", []))
                    for source in new:
                        if not merged or merged[-1] != source:
                            merged.append(source)
                    state.atomic_write_json(
                        self.path, {"version": 1, "entries": merged[-self.cap :]}
                    )
            except state.StateError as exc:
                with self._adding:
                    self._unsaved[:0] = new  # kept for the next save
                return str(exc)
        return None

    def wait_saved(self) -> None:
        """Return once no save is in flight (the app exits without waiting for threads)."""
        with self._saving:
            pass

    def search(self, query: str, before: int | None = None) -> int | None:
        """Index of the newest entry before ``before`` that contains ``query``."""
        start = len(self.entries) if before is None else min(before, len(self.entries))
        for i in range(start - 1, -1, -1):
            if query in self.entries[i]:
                return i
        return None
