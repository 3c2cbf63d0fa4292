"""One running cell as the link follows it: its outputs, reply and idle status."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tui.console import outputs as cells

#: Seconds a cell whose reply came waits for its idle status before it counts as done.
IDLE_AFTER_REPLY = 3.0


class CellWatch:
    """One running cell: done once its reply and its idle status have both arrived."""

    def __init__(
        self,
        outcome: cells.CellOutcome,
        on_output: Callable,
        on_no_reply: Callable[[], None] | None = None,
        reply_after_idle: float = 4.0,
    ) -> None:
        loop = asyncio.get_running_loop()
        self.outcome = outcome
        self.on_output = on_output
        self.on_no_reply = on_no_reply
        self.reply_after_idle = reply_after_idle
        self._wait_reply: asyncio.TimerHandle | None = None
        self._wait_idle: asyncio.TimerHandle | None = None
        self.seen: asyncio.Future = loop.create_future()
        self.done: asyncio.Future = loop.create_future()
        self._replied = False
        self._idle = False

    def seen_now(self) -> None:
        if not self.seen.done():
            self.seen.set_result(True)

    def iopub(self, msg_type: str, content: dict) -> None:
        """A message the cell's request caused: its number, outputs, error, idle."""
        self.seen_now()
        if msg_type == "status":
            if content.get("execution_state") == "idle":
                self.idle()
            return
        if msg_type == "execute_input":
            self.outcome.number = int(content.get("execution_count") or 0)
            return
        if msg_type == "error":
            self.outcome.error_name = content.get("ename", "")
            self.outcome.error_value = content.get("evalue", "")
        for out in cells.outputs_of(msg_type, content):
            self.output(out)

    def output(self, out: cells.Output) -> None:
        self.outcome.outputs.append(out)
        self.on_output(out)

    def reply(self, content: dict) -> None:
        self.seen_now()
        status = content.get("status", "ok")
        if self.outcome.status != "died":
            self.outcome.status = status
        if status == "error":
            self.outcome.error_name = self.outcome.error_name or content.get("ename", "")
            self.outcome.error_value = self.outcome.error_value or content.get("evalue", "")
        for page in cells.pages_of(content):
            self.output(page)
        self.outcome.asked_exit = cells.asks_exit(content)
        self._replied = True
        if self._idle:
            self.finish()
        elif self._wait_idle is None:
            # iopub is a PUB socket: a flood of output can overflow its queue and drop
            # the idle status itself, so a reply alone ends the cell after a grace
            loop = asyncio.get_running_loop()
            self._wait_idle = loop.call_later(IDLE_AFTER_REPLY, self.finish)

    def idle(self) -> None:
        self._idle = True
        if self._replied:
            self.finish()
        elif self._wait_reply is None:
            loop = asyncio.get_running_loop()
            self._wait_reply = loop.call_later(self.reply_after_idle, self._no_reply)

    def _no_reply(self) -> None:
        """Idle, and no reply came: the kernel failed the request before running it
        (``sys.stdout = None`` breaks IPython's output tee). Ended as an error, said."""
        if self._replied or self.done.done():
            return
        self.outcome.status = "error"
        self.outcome.error_name = self.outcome.error_name or "KernelError"
        self.outcome.error_value = self.outcome.error_value or (
            "the kernel went idle without finishing this cell (are sys.stdout or "
            "sys.stderr replaced?): ctrl+n restarts it"
        )
        self.output(cells.Stream("stderr", self.outcome.error_value + "\n"))
        if self.on_no_reply is not None:
            self.on_no_reply()
        self.finish()

    def finish(self) -> None:
        self.seen_now()
        for timer in (self._wait_reply, self._wait_idle):
            if timer is not None:
                timer.cancel()
        if not self.done.done():
            self.done.set_result(True)


def silent(code: str) -> dict:
    return {
        "code": code,
        "silent": True,
        "store_history": False,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": False,
    }
