"""Spaced review: exercises a learner solved come back after 1, 3, 7 and 21 days.

Each solved exercise has a card: its step in ``INTERVALS`` and when it is next due.
Solving it again once due moves it to the next interval; after the last one it is
learned and no longer offered. Stored as ``review.json`` in the data dir with the state
helpers; a save merges under the file's lock, keeping for each card the one further on
(two instances sharing the data dir both keep their reviews).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.platform import state

VERSION = 1
DAY = 86_400.0
#: Days between a solve and the next review, one step per successful review.
INTERVALS = (1, 3, 7, 21)


def review_path() -> Path:
    return state.data_dir() / "review.json"


@dataclass
class Card:
    """One exercise's place in the schedule; ``step == len(INTERVALS)`` means learned."""

    lesson: str
    exercise: str
    step: int
    due: float
    solved: float

    @property
    def key(self) -> tuple[str, str]:
        return (self.lesson, self.exercise)

    @property
    def learned(self) -> bool:
        return self.step >= len(INTERVALS)

    def is_due(self, now: float) -> bool:
        return not self.learned and self.due <= now

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "due": round(self.due, 1), "solved": round(self.solved, 1)}

    @classmethod
    def from_json(cls, lesson: str, exercise: str, data: Any) -> Card | None:
        if not isinstance(data, dict):
            return None
        step, due, solved = data.get("step"), data.get("due"), data.get("solved")
        if not (type(step) is int and 0 <= step <= len(INTERVALS)):
            return None
        due, solved = _seconds(due), _seconds(solved)
        if solved is None:
            return None
        if step == len(INTERVALS):
            due = float("inf")  # learned: never due (saved as Infinity)
        elif due is None:
            return None
        return cls(lesson, exercise, step, due, solved)


def _seconds(value: Any) -> float | None:
    """A finite time from the file (not a bool, NaN, infinity or an int past a float)."""
    if type(value) not in (int, float):
        return None
    try:
        seconds = float(value)
    except OverflowError:
        return None
    return seconds if math.isfinite(seconds) else None


def due_after(step: int, solved: float) -> float:
    """When a card at ``step`` solved at ``solved`` comes back (never, once learned)."""
    return solved + INTERVALS[step] * DAY if step < len(INTERVALS) else float("inf")


def when(card: Card, now: float) -> str:
    """ "due now", "due 2 days ago", "in 3 days", "learned": for the picker."""
    if card.learned:
        return "learned"
    days = (card.due - now) / DAY
    if days > 0:
        return "due tomorrow" if days <= 1 else f"in {int(days + 0.999)} days"
    late = int(-days)
    return "due now" if late < 1 else f"due {late} day{'s' * (late > 1)} ago"


@dataclass
class Reviews:
    cards: dict[tuple[str, str], Card] = field(default_factory=dict)
    path: Path | None = None
    #: Old lesson id -> new (``library.renames``): cards saved under an old id count for
    #: the new one.
    renamed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> Reviews:
        path = path or review_path()
        data = state.read_json(path, default={}) or {}
        lessons = found if isinstance(found := data.get("lessons"), dict) else {}
        cards: dict[tuple[str, str], Card] = {}
        for lesson, exercises in lessons.items():
            if not isinstance(exercises, dict):
                continue
            for exercise, raw in exercises.items():
                card = Card.from_json(str(lesson), str(exercise), raw)
                if card is not None:
                    cards[card.key] = card
        return cls(cards, path)

    def solved(self, lesson: str, exercise: str, now: float | None = None) -> bool:
        """Record a solve: a new card starts its schedule; a due card moves one step on.
        True when something changed (a card that is not due yet stays as it is)."""
        now = time.time() if now is None else now
        card = self.cards.get((lesson, exercise))
        if card is None:
            self.cards[(lesson, exercise)] = Card(lesson, exercise, 0, due_after(0, now), now)
            return True
        if not card.is_due(now):
            return False
        card.step += 1
        card.solved = now
        card.due = due_after(card.step, now)
        return True

    def due(
        self, now: float | None = None, known: set[tuple[str, str]] | None = None
    ) -> list[Card]:
        """Cards due now, the longest waiting first; ``known`` keeps only exercises that
        still exist in the loaded lessons."""
        now = time.time() if now is None else now
        out = [c for c in self.cards.values() if c.is_due(now)]
        if known is not None:
            out = [c for c in out if c.key in known]
        return sorted(out, key=lambda c: (c.due, c.lesson, c.exercise))

    def is_due(self, lesson: str, exercise: str, now: float | None = None) -> bool:
        card = self.cards.get((lesson, exercise))
        return card is not None and card.is_due(time.time() if now is None else now)

    def rename(self, renamed: dict[str, str]) -> bool:
        """Carry the cards of an old lesson id over to its new id; True when one moved."""
        self.renamed = dict(renamed)
        old = Reviews(self.cards)
        self.cards = {}
        self.merge(old)
        return self.cards.keys() != old.cards.keys()

    def merge(self, other: Reviews) -> None:
        """Keep, per exercise, the card further on (later step, then later solve)."""
        for theirs in other.cards.values():
            lesson = self.renamed.get(theirs.lesson, theirs.lesson)
            if lesson != theirs.lesson:
                theirs = dataclasses.replace(theirs, lesson=lesson)
            key = theirs.key
            mine = self.cards.get(key)
            if mine is None or (theirs.step, theirs.solved) > (mine.step, mine.solved):
                self.cards[key] = theirs

    def save(self) -> None:
        """Merge with the file and write atomically; ``state.StateError`` says why not."""
        path = self.path or review_path()
        with state.locked(path):
            self.merge(Reviews.load(path))
            lessons: dict[str, dict[str, Any]] = {}
            for card in sorted(self.cards.values(), key=lambda c: c.key):
                lessons.setdefault(card.lesson, {})[card.exercise] = card.to_json()
            state.atomic_write_json(path, {"version": VERSION, "lessons": lessons})


def bound_names(code: str) -> list[str]:
    """Names code binds at the top level (assignments, defs, classes, for/with targets),
    in order: what a review takes out of the namespace (a solution's) so that the check
    fails again, and which earlier block made a missing name. Unparsable code binds
    nothing."""
    import ast

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    found: list[str] = []

    def targets(node: ast.AST) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                found.append(sub.id)

    def visit(body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.append(stmt.name)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                for t in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                    targets(t)
            elif isinstance(stmt, (ast.For, ast.AsyncFor)):
                targets(stmt.target)
                visit(stmt.body + stmt.orelse)
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                for item in stmt.items:
                    if item.optional_vars is not None:
                        targets(item.optional_vars)
                visit(stmt.body)
            elif isinstance(stmt, (ast.If, ast.While)):
                visit(stmt.body + stmt.orelse)
            elif isinstance(stmt, ast.Try):
                visit(stmt.body + stmt.orelse + stmt.finalbody)

    visit(tree.body)
    return list(dict.fromkeys(n for n in found if not n.startswith("_")))


def forget_cell(names: list[str]) -> str:
    """The IPython line that removes ``names`` from the REPL (quietly, if absent)."""
    return "%reset_selective -f ^(" + "|".join(names) + ")$" if names else ""


def when_solved(card: Card, now: float) -> str:
    """ "today", "yesterday", "5 days ago": when the card was last solved."""
    days = int((now - card.solved) / DAY)
    return "today" if days < 1 else ("yesterday" if days == 1 else f"{days} days ago")
