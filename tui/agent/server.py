"""The agent's comm handler: typed requests in, typed replies and pushes out.

Two comms, both opened by the app with a kernel subshell's id in their header:

- ``torch_tui.agent`` carries requests and their replies. It only ever publishes from
  the subshell's thread or from threads started there (training, watches), because
  ipykernel routes a comm's incoming messages to the subshell it last published on:
  that keeps stop and pause answered while a cell runs on the main shell.
- ``torch_tui.events`` carries what the main thread pushes after each cell.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
import traceback
from collections.abc import Callable
from typing import Any

import tui.agent.inline as inline
from tui.agent.after_cell import CellWatcher
from tui.agent.print_width import PrintWidth
from tui.protocol import messages as p
from tui.tensors import objects

log = logging.getLogger(__name__)


class Agent:
    """One per kernel; ``install`` makes it and hooks it into IPython."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.cells = CellWatcher(shell.user_ns, room=lambda: self.room)
        self.comm: Any = None
        self.events: Any = None
        self._handlers: dict[type, Callable[[Any], Any]] = {
            p.Hello: self._hello,
            p.Ping: lambda m: p.Ack(m.id),
            p.CardRequest: self._card,
            p.PreviewRequest: self._preview,
            p.PictureRequest: self._picture,
            p.VariablesRequest: lambda m: p.VariablesReply(
                m.id, objects.list_variables(self.cells.ns)
            ),
            p.SetWatches: self._set_watches,
            p.SetExercises: self._set_exercises,
            p.CheckNow: self._check_now,
            p.SetRoom: self._set_room,
        }
        #: The app's room for pictures (``SetRoom``): cards and inline images fit it.
        self.room = p.SetRoom()
        self.print_width = PrintWidth(shell)
        from tui.agent.train_runs import TrainService

        self.training = TrainService(self)
        self._handlers[p.TrainStart] = self.training.start
        self._handlers[p.TrainControl] = self.training.control
        self._handlers[p.ExportRequest] = self.training.export
        self._handlers[p.TrainView] = self.training.set_view
        shell.events.register("pre_run_cell", self._pre_run_cell)
        shell.events.register("post_run_cell", self._post_run_cell)
        self.comm_manager.register_target(p.TARGET, self._open_requests)
        self.comm_manager.register_target(p.EVENTS_TARGET, self._open_events)

    @property
    def comm_manager(self) -> Any:
        return self.shell.kernel.comm_manager

    # -- comms -------------------------------------------------------------------------
    def _open_requests(self, comm: Any, msg: dict) -> None:
        self.training.stop_all()  # a new app: the old one's runs have no one watching
        self.cells.watches, self.cells.exercises = (), []  # nor its watches and checks
        self.comm = comm
        comm.on_msg(self._on_msg)
        comm.on_close(lambda _msg: self._closed(comm))

    def _closed(self, comm: Any) -> None:
        if self.comm is comm:
            self.comm = None
            self.training.stop_all()

    def _open_events(self, comm: Any, msg: dict) -> None:
        self.events = comm

    def send(self, message: Any) -> None:
        """A reply or a push from the subshell side (its thread or one started there)."""
        comm = self.comm
        if comm is not None:
            comm.send(p.encode(message))

    def push_event(self, message: Any) -> None:
        comm = self.events
        if comm is not None:
            comm.send(p.encode(message))

    def spawn(self, target: Callable[[], Any], name: str) -> threading.Thread:
        """A daemon thread in this context, so what it publishes routes like a reply."""
        ctx = contextvars.copy_context()
        thread = threading.Thread(target=ctx.run, args=(target,), name=name, daemon=True)
        thread.start()
        return thread

    def _on_msg(self, msg: dict) -> None:
        data = msg.get("content", {}).get("data")
        try:
            request = p.decode(data)
        except p.ProtocolError as exc:
            self.send(p.Error("", str(exc)))
            return
        handler = self._handlers.get(type(request))
        if handler is None:
            self.send(p.Error(getattr(request, "id", ""), f"unknown request {type(request)}"))
            return
        try:
            reply = handler(request)
        except Exception as exc:  # noqa: BLE001 - a failing request must never break the agent
            log.warning("%s failed", type(request).__name__, exc_info=True)
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            reply = p.Error(getattr(request, "id", ""), last)
        if reply is not None:
            self.send(reply)

    # -- cells -------------------------------------------------------------------------
    def _pre_run_cell(self, info: Any) -> None:
        if self.room.log_cols != self.print_width.cols:
            # here, on the main thread: NumPy 2 keeps its print options per context
            self.print_width.apply(self.room.log_cols)
        self.cells.before()

    def _post_run_cell(self, result: Any) -> None:
        error = getattr(result, "error_in_exec", None)
        if error is not None:  # a shape error gets its operands lined up, under the traceback
            try:
                from tui.tensors.shape_errors import explain

                hint = explain(error)
            except Exception:  # noqa: BLE001 - an explanation must never break a cell
                log.warning("no explanation for the cell's error", exc_info=True)
                hint = None
            if hint:
                print(hint)
        if self.events is None:
            return
        try:
            payload = self.cells.after(result)
        except Exception as exc:  # noqa: BLE001 - the learner's objects may raise anything
            log.warning("the cell's payload failed", exc_info=True)
            payload = p.CellPayload(
                number=int(getattr(result, "execution_count", 0) or 0),
                warning=f"the inspector could not summarise this cell: {exc}",
            )
        self.push_event(payload)

    # -- handlers ----------------------------------------------------------------------
    def _hello(self, msg: p.Hello) -> p.Welcome:
        import torch

        from tui.platform.devices import discover

        devices = [p.DeviceRow(d.name, d.label, d.total_memory) for d in discover()]
        return p.Welcome(
            id=msg.id,
            torch_version=torch.__version__,
            device=str(self.shell.user_ns.get("device", "cpu")),
            devices=devices,
            warning=self.shell.user_ns.get("_torch_tui_warning", "") or "",
            pid=os.getpid(),
        )

    def _card(self, msg: p.CardRequest) -> p.CardReply:
        return p.CardReply(msg.id, self.cells.card_for_name(msg.name))

    def _preview(self, msg: p.PreviewRequest) -> p.PreviewReply:
        return p.PreviewReply(msg.id, self.cells.preview(msg.key, list(msg.index)))

    def _picture(self, msg: p.PictureRequest) -> p.PictureReply:
        reply = self.cells.picture(msg.key, msg.cols, msg.rows)
        reply.id = msg.id
        return reply

    def _set_watches(self, msg: p.SetWatches) -> p.WatchValues:
        self.cells.watches = tuple(msg.exprs)
        self.cells.push_watches_while_training(self.spawn, self.send, lambda: self.training.runs)
        return p.WatchValues(self.cells.evaluate_watches(), id=msg.id)

    def _set_exercises(self, msg: p.SetExercises) -> p.Ack:
        self.cells.lesson = msg.lesson
        self.cells.exercises = list(msg.exercises)
        return p.Ack(msg.id)

    def _set_room(self, msg: p.SetRoom) -> p.Ack:
        self.room = msg  # the print width follows before the next cell (main thread)
        inline.set_room(msg)
        return p.Ack(msg.id)

    def _check_now(self, msg: p.CheckNow) -> p.Checks:
        checks = self.cells.check() or p.Checks(lesson=self.cells.lesson)
        checks.id = msg.id
        return checks


_AGENT: Agent | None = None


def install(shell: Any = None) -> Agent:
    """Load the agent into this kernel (once); the app opens its comms next."""
    global _AGENT
    if _AGENT is None:
        if shell is None:
            from IPython import get_ipython

            shell = get_ipython()
        from tui.agent.quitter import install as keep_kernel_on_exit

        keep_kernel_on_exit(shell)
        _AGENT = Agent(shell)
        inline.install(_AGENT.shell)  # image displays carry a picture too
    return _AGENT
