"""What the kernel link reports to the UI (through ``KernelLink.on_event``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.protocol import messages as p


@dataclass
class Ready:
    welcome: p.Welcome


@dataclass
class Died:
    reason: str


@dataclass
class NotResponding:
    what: str


@dataclass
class InputWanted:
    prompt: str
    password: bool


@dataclass
class Pushed:
    message: Any


@dataclass
class Failed:
    """The kernel could not be started or the agent not loaded; ``text`` says why."""

    text: str


class KernelGone(Exception):
    """The kernel ended (or was replaced) while a request waited."""


@dataclass
class Ignored:
    """Messages from the kernel that were dropped (malformed, too big, too many);
    ``text`` is the one line the UI shows."""

    text: str


@dataclass
class AgentLost:
    """The learner's code closed the agent's comm: cards, checks and training go quiet
    until the kernel is restarted."""
