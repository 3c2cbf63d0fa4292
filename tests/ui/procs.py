"""Finding our child processes in /proc (tests that check nothing is left behind)."""

from __future__ import annotations

from pathlib import Path


def children(parent: int, marker: bytes) -> list[int]:
    """Live (not zombie) children of ``parent`` whose command line contains ``marker``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent and marker in cmdline and fields[0] != "Z":
            found.append(int(proc.name))
    return found


def gone(pid: int) -> bool:
    """The process has ended (or is a zombie waiting to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def with_env(entry: str) -> list[int]:
    """Live (not zombie) processes whose environment holds ``entry`` (``KEY=value``):
    a test's marker reaches the app, its kernel and everything they start."""
    needle = entry.encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if needle not in (proc / "environ").read_bytes().split(b"\0"):
                continue
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.append(int(proc.name))
    return found
