"""Which lesson folders the learner trusts to run their exercise checks by themselves.

A lesson's ``check`` fences run in the kernel after every REPL cell, unasked. That is
fine for the shipped curriculum, but a folder from ``--lessons-dir`` or the user's own
lessons folder is code someone else may have written, so its checks stay off until the
learner trusts the folder. Trust is remembered per folder path *and* the hash of its
lesson files (Jupyter's notebook trust works the same way): when a file changes, the
folder is untrusted again and the changed files are named.

Pure functions and a small JSON store (``trusted-lessons.json`` in the data dir, written
atomically and merged under a lock like the progress file). Never imports textual.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.lessons.document import MAX_BYTES, Lesson
from tui.lessons.library import find_files, shipped_lessons_dir
from tui.platform import state

VERSION = 1
TRUSTED, NEW, CHANGED = "trusted", "never trusted", "changed"
#: Files changed while the app read them: what it parsed is unknown, so not trustable.
CHANGING = "changed while loading"
#: The value of a file whose bytes changed while the lessons were being read: it never
#: matches a real hash, so such a folder is never taken as trusted.
UNSTABLE = "changed-while-loading"


def store_path() -> Path:
    return state.data_dir() / "trusted-lessons.json"


def folder_key(folder: Path) -> str:
    """The folder as the store knows it: absolute, symlinks resolved."""
    return os.path.realpath(os.path.expanduser(str(folder)))


def lesson_files(folder: Path) -> list[Path]:
    """The files whose content the trust covers: the folder's lessons (``*.md``)."""
    folder = Path(folder)
    return [folder] if folder.is_file() else find_files(folder)


def hash_file(path: Path) -> str:
    """sha256 of the file's bytes; a file too big to be a lesson (never loaded) or an
    unreadable one gets a marker instead, which changes when the file does."""
    try:
        size = os.stat(path).st_size
        if size > MAX_BYTES:
            return f"too-big:{size}"
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            digest.update(fh.read(MAX_BYTES + 1))
        return digest.hexdigest()
    except OSError as exc:
        return f"unreadable:{exc.errno}"


def digest(folder: Path) -> dict[str, str]:
    """``{relative name: hash}`` of every lesson file of ``folder``."""
    folder = Path(folder)
    base = folder.parent if folder.is_file() else folder
    return {Path(os.path.relpath(f, base)).as_posix(): hash_file(f) for f in lesson_files(folder)}


def combined_hash(files: Mapping[str, str]) -> str:
    """One hash for the whole folder: names and contents, in a fixed order."""
    lines = "".join(f"{name}\0{value}\n" for name, value in sorted(files.items()))
    return hashlib.sha256(lines.encode("utf-8", "surrogateescape")).hexdigest()


def changed_names(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """The files that differ: changed, new (``+``) or removed (``(removed)``), sorted."""
    out = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            out.append(f"{name} (new)")
        elif name not in new:
            out.append(f"{name} (removed)")
        elif old[name] != new[name]:
            out.append(name)
    return out


def is_shipped(folder: Path) -> bool:
    """The package's own curriculum is always trusted."""
    return folder_key(folder) == folder_key(shipped_lessons_dir())


@dataclass(frozen=True)
class Verdict:
    """Whether a folder's checks may run: trusted, never trusted, or changed (names)."""

    folder: str
    status: str
    changed: tuple[str, ...] = ()

    @property
    def trusted(self) -> bool:
        return self.status == TRUSTED

    def reason(self) -> str:
        """One line saying why checks are off (empty when trusted)."""
        names = ", ".join(self.changed[:5])
        if len(self.changed) > 5:
            names += f" and {len(self.changed) - 5} more"
        if self.status == NEW:
            return f"this lesson's folder is not trusted: {self.folder}"
        if self.status == CHANGED:
            return f"lesson files changed since you trusted {self.folder}: {names}"
        if self.status == CHANGING:
            return f"lesson files changed while being read (restart torch-tui): {names}"
        return ""


@dataclass
class TrustStore:
    """Trusted folders: ``{folder key: {"hash", "files", "when"}}``, saved as JSON."""

    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> TrustStore:
        """Read the store; a missing or corrupt file gives an empty one (set aside, warned)."""
        path = path or store_path()
        data = state.read_json(path, default={}) or {}
        raw = found if isinstance(found := data.get("folders"), dict) else {}
        folders = {}
        for key, entry in raw.items():
            files = entry.get("files") if isinstance(entry, dict) else None
            if isinstance(files, dict) and isinstance(entry.get("hash"), str):
                files = {str(k): str(v) for k, v in files.items()}
                folders[str(key)] = {**entry, "files": files}
        return cls(folders=folders, path=path)

    def verdict(self, folder: Path, files: Mapping[str, str] | None = None) -> Verdict:
        """``files`` is the folder's digest as loaded (default: as it is on disk now)."""
        key = folder_key(folder)
        if is_shipped(folder):
            return Verdict(key, TRUSTED)
        files = digest(folder) if files is None else files
        unstable = sorted(name for name, value in files.items() if value == UNSTABLE)
        if unstable:
            return Verdict(key, CHANGING, tuple(unstable))
        entry = self.folders.get(key)
        if entry is None:
            return Verdict(key, NEW)
        if entry["hash"] == combined_hash(files):
            return Verdict(key, TRUSTED)
        return Verdict(key, CHANGED, tuple(changed_names(entry["files"], files)))

    def trust(self, folder: Path, files: Mapping[str, str] | None = None) -> None:
        """Trust ``folder`` with these files (default: as on disk now). Trusted here at
        once; saved merged with the file, or ``state.StateError`` says why not."""
        files = dict(digest(folder) if files is None else files)
        key = folder_key(folder)
        entry = {"hash": combined_hash(files), "files": files, "when": time.time()}
        self.folders[key] = entry
        path = self.path or store_path()
        with state.locked(path):
            merged = TrustStore.load(path).folders
            merged[key] = entry
            state.atomic_write_json(path, {"version": VERSION, "folders": merged})


def is_trusted(
    folder: Path, files: Mapping[str, str] | None = None, store: TrustStore | None = None
) -> Verdict:
    """The verdict on ``folder`` from the saved store (see ``TrustStore.verdict``)."""
    return (store or TrustStore.load()).verdict(folder, files)


@dataclass
class LessonFolders:
    """Which folder each loaded lesson came from, and each folder's digest when loaded.

    The digest is of what was read, not what is on disk later: the app runs the checks
    it parsed at start, so those are the bytes the learner trusts.
    """

    roots: list[Path]
    digests: dict[str, dict[str, str]]
    owner: dict[str, Path]
    store: TrustStore
    #: Verdicts by folder (the UI asks on every key binding refresh); cleared on trust.
    _verdicts: dict[str, Verdict] = field(default_factory=dict)

    def folder_of(self, lesson: Lesson) -> Path | None:
        return self.owner.get(os.path.realpath(lesson.path))

    def verdict(self, lesson: Lesson) -> Verdict:
        folder = self.folder_of(lesson)
        if folder is None:  # not from a known folder: nothing vouches for it
            return Verdict(folder_key(lesson.path.parent), NEW)
        key = folder_key(folder)
        if key not in self._verdicts:
            self._verdicts[key] = self.store.verdict(folder, self.digests.get(key, {}))
        return self._verdicts[key]

    def trust(self, lesson: Lesson) -> Verdict:
        """Trust the folder of ``lesson`` as it was loaded, unless it changed while being
        read; the verdict after (saving may raise ``state.StateError``, trusted anyway)."""
        folder = self.folder_of(lesson)
        if folder is not None and self.verdict(lesson).status in (NEW, CHANGED):
            self._verdicts.clear()
            self.store.trust(folder, self.digests.get(folder_key(folder), {}))
        return self.verdict(lesson)


def load_with_trust(
    roots: Iterable[Path],
    load: Callable[[list[Path]], list[Lesson]],
    store: TrustStore | None = None,
) -> tuple[list[Lesson], LessonFolders]:
    """``load(roots)``, and the folders' digests taken before and after it: a file that
    changed while it was read is marked ``UNSTABLE``, so its folder is not trusted."""
    roots = [Path(r) for r in roots]
    others = [r for r in roots if r.exists() and not is_shipped(r)]  # shipped: always trusted
    before = {folder_key(r): digest(r) for r in others}
    lessons = load(roots)
    digests: dict[str, dict[str, str]] = {}
    for root in others:
        key = folder_key(root)
        old = before.get(key, {})
        digests[key] = {n: (h if old.get(n) == h else UNSTABLE) for n, h in digest(root).items()}
    owner: dict[str, Path] = {}
    for root in roots:
        if not root.exists():
            continue
        for file in lesson_files(root):
            owner.setdefault(os.path.realpath(file), root)  # the first root wins, as in load
    return lessons, LessonFolders(roots, digests, owner, store or TrustStore.load())
