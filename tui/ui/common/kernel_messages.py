"""Kernel events as Textual messages: one class per event, one table from what the link
reports (``tui.kernel.events``) and what the agent pushes (``tui.protocol.messages``).

The link's callback posts a ``KernelEvent`` to the app; the app drops events of a kernel
that was replaced since, takes its own part through ``on_kernel_*`` handlers like any
widget, and the main screen posts a fresh message to each pane (``message_for``). A pane
handles what concerns it (``on_kernel_ready``, ``on_cell_payload_arrived``...); Textual
drops the messages a pane has no handler for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message

from tui.console import outputs
from tui.kernel import events as ke
from tui.kernel import hub as kh
from tui.protocol import messages as p


class KernelEvent(Message):
    """What the link reported (``Ready``, ``Died``, ``Pushed``...), tagged with the
    generation of the kernel it came from: the one way in for kernel events."""

    def __init__(self, event: object, generation: int) -> None:
        super().__init__()
        self.event = event
        self.generation = generation


class KernelStarting(Message, bubble=False):
    """A kernel is being started: at launch, or by a restart (``restart``)."""

    def __init__(self, restart: bool) -> None:
        super().__init__()
        self.restart = restart


class KernelReady(Message, bubble=False):
    """The kernel is up and the agent answered: torch's version, the devices."""

    def __init__(self, welcome: p.Welcome) -> None:
        super().__init__()
        self.welcome = welcome


class KernelDied(Message, bubble=False):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class KernelNotResponding(Message, bubble=False):
    """A cell ended without its reply or its idle; ``what`` says which."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what


class KernelFailed(Message, bubble=False):
    """The kernel could not be started or the agent not loaded; ``text`` says why."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class KernelInputWanted(Message, bubble=False):
    """The learner's code called ``input()`` (or ``getpass``)."""

    def __init__(self, prompt: str, password: bool) -> None:
        super().__init__()
        self.prompt = prompt
        self.password = password


class KernelIgnored(Message, bubble=False):
    """Messages from the kernel were dropped; ``text`` is the one line to show."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class KernelAgentLost(Message, bubble=False):
    """The learner's code closed the agent's comm: cards, checks and training go quiet."""


class CellPayloadArrived(Message, bubble=False):
    """What the agent computed after a cell: cards, variables, exercise checks."""

    def __init__(self, payload: p.CellPayload) -> None:
        super().__init__()
        self.payload = payload


class WatchValuesArrived(Message, bubble=False):
    def __init__(self, values: p.WatchValues) -> None:
        super().__init__()
        self.values = values


class TrainNews(Message, bubble=False):
    """A run began, reported or ended (``p.TrainBegun``, ``p.TrainReport``, ``p.TrainEnded``)."""

    def __init__(self, news: p.TrainBegun | p.TrainReport | p.TrainEnded) -> None:
        super().__init__()
        self.news = news


class StreamArrived(Message, bubble=False):
    """Output printed outside any running cell (a thread's print)."""

    def __init__(self, stream: outputs.Stream) -> None:
        super().__init__()
        self.stream = stream


#: The one table: a link event's type to the message that carries it.
EVENTS: dict[type, Callable[[Any], Message]] = {
    kh.Starting: lambda e: KernelStarting(e.restart),
    ke.Ready: lambda e: KernelReady(e.welcome),
    ke.Died: lambda e: KernelDied(e.reason),
    ke.NotResponding: lambda e: KernelNotResponding(e.what),
    ke.Failed: lambda e: KernelFailed(e.text),
    ke.InputWanted: lambda e: KernelInputWanted(e.prompt, e.password),
    ke.Ignored: lambda e: KernelIgnored(e.text),
    ke.AgentLost: lambda e: KernelAgentLost(),
}
#: What the agent pushes unasked, by the pushed message's type.
PUSHES: dict[type, Callable[[Any], Message]] = {
    p.CellPayload: CellPayloadArrived,
    p.WatchValues: WatchValuesArrived,
    p.TrainBegun: TrainNews,
    p.TrainReport: TrainNews,
    p.TrainEnded: TrainNews,
    outputs.Stream: StreamArrived,
}


def message_for(event: object) -> Message | None:
    """A fresh message for ``event`` (each receiver needs its own), or None if no one
    handles that kind."""
    if isinstance(event, ke.Pushed):
        push = PUSHES.get(type(event.message))
        return push(event.message) if push is not None else None
    make = EVENTS.get(type(event))
    return make(event) if make is not None else None
