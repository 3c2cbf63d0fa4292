"""The app's side of the kernel: jupyter_client's async client on Textual's event loop.

One reader task per channel dispatches replies by parent msg_id, so nothing awaits on
the event loop without a timeout and many requests can be in flight. The agent lives
behind two comms opened on a kernel subshell (see ``tui.agent.server``). Events for the
UI (ready, died, not responding, input wanted, agent pushes) go to one callback.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from tui.console import outputs as cells
from tui.kernel import app_log
from tui.kernel.cellwatch import CellWatch, silent
from tui.kernel.events import (
    AgentLost,
    Died,
    Failed,
    Ignored,
    InputWanted,
    KernelGone,
    NotResponding,
    Pushed,
    Ready,
)
from tui.kernel.launch import KernelProcess
from tui.kernel.push_gate import PushGate
from tui.protocol import messages as p
from tui.training.report import merged

__all__ = ["AgentLost", "Died", "Failed", "Ignored", "InputWanted", "KernelGone", "KernelLink"]
__all__ += ["NotResponding", "Pushed", "Ready"]

log = logging.getLogger(__name__)

#: Seconds a request that should be instant may take before the kernel counts as stuck.
RESPONSE_LIMIT = 5.0
#: A Jupyter message bigger than this (all its frames) is not decoded at all: a comm's
#: own cap is ``protocol.MAX_MESSAGE``, and JSON inside JSON escapes its quotes.
MAX_RAW = 2 * p.MAX_MESSAGE
#: A cell's printed output may be bigger (the REPL keeps its last lines): up to this.
MAX_OUTPUT = 64_000_000
#: Messages bigger than this are decoded in a thread, so keys are answered meanwhile.
OFF_LOOP_BYTES = 256_000
#: A cell whose kernel went idle without a reply (its streams are broken, e.g.
#: ``sys.stdout = None``) is given up after this many seconds.
REPLY_AFTER_IDLE = 4.0
MAX_PROMPT = 1_000
BOOTSTRAP = "import tui.agent.server as _tta; _tta.install(); del _tta"


class KernelLink:
    """One connection to one kernel; a restart makes a new link."""

    def __init__(
        self,
        connection_file: Path,
        on_event: Callable[[Any], None],
        process: KernelProcess | None = None,
        device: str | None = None,
        fresh_namespace: bool = False,
    ) -> None:
        self.connection_file = connection_file
        self.fresh_namespace = fresh_namespace
        self.process = process
        self.device = device
        self.on_event = on_event
        self.client: Any = None
        self._closing = False
        self.subshell: str | None = None
        self.welcome: p.Welcome | None = None
        self.ready = asyncio.Event()
        self.dead = False
        self._replies: dict[str, asyncio.Future] = {}
        self._cells: dict[str, CellWatch] = {}
        self._agent: dict[str, asyncio.Future] = {}
        self._comm_id = uuid.uuid4().hex
        self._events_id = uuid.uuid4().hex
        self._tasks: list[asyncio.Task] = []
        self._gate = PushGate()
        self._flush_at: asyncio.TimerHandle | None = None
        #: What was ignored and not said yet ("a malformed message", "too many at once").
        self._ignored: dict[str, int] = {}
        self._said_at = 0.0
        self.agent_lost = False

    @property
    def owned(self) -> bool:
        """True for a kernel this app started (and so may restart and kill)."""
        return self.process is not None

    # -- start -------------------------------------------------------------------------
    async def start(self) -> None:
        app_log.setup()
        try:
            await self._connect()
        except KernelGone:
            return
        except Exception as exc:  # noqa: BLE001 - reported in the REPL, never raised
            log.warning("the kernel could not be connected", exc_info=True)
            if not self.dead:
                self.on_event(Failed(f"{type(exc).__name__}: {exc}"))

    async def _connect(self) -> None:
        # ~0.1 s of imports, right after the first frame: in a thread, so the panes
        # mounting then (the lesson's first screen) are not held up behind them
        await asyncio.to_thread(importlib.import_module, "jupyter_client.asynchronous")
        if self.dead:  # closed meanwhile (a quick quit): channels opened now would leak,
            raise KernelGone("closed")  # and their zmq context hang its collection
        from jupyter_client.asynchronous import AsyncKernelClient

        client = AsyncKernelClient(connection_file=str(self.connection_file))
        client.load_connection_file()
        # A kernel we started is watched by its exit status: no heartbeat thread (one
        # that was still making its socket as a quick quit closed the channels failed).
        client.start_channels(hb=not self.owned)
        self.client = client
        for reader in (self._read_shell, self._read_iopub, self._read_stdin, self._read_control):
            self._tasks.append(_logged_task(reader()))
        self._tasks.append(_logged_task(self._watch()))
        await self._request("kernel_info_request", {}, channel="control", timeout=60)
        reply = await self._request("create_subshell_request", {}, channel="control")
        self.subshell = reply.get("subshell_id")
        boot = await self._request("execute_request", silent(BOOTSTRAP), subshell=True, timeout=120)
        if boot.get("status") != "ok":
            raise RuntimeError(
                "the torch-tui agent could not be loaded in this kernel "
                f"({boot.get('ename', '')}: {boot.get('evalue', '')}): "
                "install torch-tui in the kernel's environment"
            )
        for target, comm_id in ((p.TARGET, self._comm_id), (p.EVENTS_TARGET, self._events_id)):
            content = {"comm_id": comm_id, "target_name": target, "data": {}}
            self._send("comm_open", content, subshell=True)
        if self.owned:  # an attached kernel keeps its own namespace
            code = f"from tui.agent.preload import preload as _p; _p({self.device!r}); del _p"
            if self.fresh_namespace:  # a kernel shared between apps (tests)
                fresh = (
                    "get_ipython().reset(new_session=False)\nget_ipython().execution_count = 1\n"
                )
                code = fresh + code
            await self._request("execute_request", silent(code), timeout=300)
        self.welcome = await self.agent(p.Hello(device=self.device), timeout=120)
        self.ready.set()
        self.on_event(Ready(self.welcome))

    # -- sending -----------------------------------------------------------------------
    def _send(
        self, msg_type: str, content: dict, channel: str = "shell", subshell: bool = False
    ) -> str:
        if self.dead or self.client is None:
            raise KernelGone("the kernel is gone")
        msg = self.client.session.msg(msg_type, content)
        if subshell and self.subshell:
            msg["header"]["subshell_id"] = self.subshell
        getattr(self.client, f"{channel}_channel").send(msg)
        return msg["header"]["msg_id"]

    async def _request(
        self,
        msg_type: str,
        content: dict,
        channel: str = "shell",
        subshell: bool = False,
        timeout: float | None = RESPONSE_LIMIT,
    ) -> dict:
        msg_id = self._send(msg_type, content, channel, subshell)
        future = asyncio.get_running_loop().create_future()
        self._replies[msg_id] = future
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            self._stuck(msg_type)
            raise
        finally:
            self._replies.pop(msg_id, None)

    def _stuck(self, what: str) -> None:
        if not self.dead:
            self.on_event(NotResponding(what))

    async def agent(self, message: Any, timeout: float = RESPONSE_LIMIT) -> Any:
        """Send a request to the agent; its reply (an Error reply raises RuntimeError)."""
        message.id = uuid.uuid4().hex
        future = asyncio.get_running_loop().create_future()
        self._agent[message.id] = future
        try:
            data = p.encode(message)
            self._send("comm_msg", {"comm_id": self._comm_id, "data": data}, subshell=True)
            reply = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            self._stuck(type(message).__name__)
            raise
        finally:
            self._agent.pop(message.id, None)
        if isinstance(reply, p.Error):
            raise RuntimeError(reply.text)
        return reply

    def tell(self, message: Any) -> None:
        """A request whose reply nobody waits for (stop, pause, watches)."""
        message.id = uuid.uuid4().hex
        try:
            self._send(
                "comm_msg", {"comm_id": self._comm_id, "data": p.encode(message)}, subshell=True
            )
        except KernelGone:
            pass

    async def execute(
        self, source: str, on_output: Callable[[cells.Output], None], tag: str | None = None
    ) -> cells.CellOutcome:
        """Run a cell on the main shell, streaming its outputs; waits for the kernel."""
        await self.ready.wait()
        start = time.perf_counter()
        content = {
            "code": source,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": True,
            "stop_on_error": False,
        }
        watch = CellWatch(
            cells.CellOutcome(source=source, tag=tag),
            on_output,
            on_no_reply=lambda: self._stuck("a cell that never finished"),
            reply_after_idle=REPLY_AFTER_IDLE,
        )
        msg_id = self._send("execute_request", content)
        self._cells[msg_id] = watch
        try:
            try:
                await asyncio.wait_for(asyncio.shield(watch.seen), RESPONSE_LIMIT)
            except TimeoutError:
                self._stuck("execute_request")
            await watch.done
        finally:
            self._cells.pop(msg_id, None)
        watch.outcome.duration = time.perf_counter() - start
        return watch.outcome

    async def execute_silent(
        self, code: str, expressions: dict[str, str] | None = None, timeout: float = 60
    ) -> dict:
        """Run ``code`` on the main shell as a silent cell (no history, no outputs, no
        post-run hooks, so no exercise checks); the reply's content, with each of
        ``expressions`` evaluated afterwards under ``user_expressions``."""
        await self.ready.wait()
        content = silent(code)
        content["user_expressions"] = dict(expressions or {})
        return await self._request("execute_request", content, timeout=timeout)

    async def sync(self, timeout: float = 60) -> None:
        """Return once everything sent to the main shell before has run (a silent cell:
        no history, no post-run hooks, no exercise checks)."""
        await self.ready.wait()
        await self._request("execute_request", silent("pass"), timeout=timeout)

    async def complete(self, code: str, cursor: int) -> tuple[int, int, list[str]]:
        reply = await self._request(
            "complete_request", {"code": code, "cursor_pos": cursor}, subshell=True
        )
        return (
            reply.get("cursor_start", cursor),
            reply.get("cursor_end", cursor),
            list(reply.get("matches", [])),
        )

    async def inspect(self, code: str, cursor: int, detail: int = 0) -> str:
        reply = await self._request(
            "inspect_request",
            {"code": code, "cursor_pos": cursor, "detail_level": detail},
            subshell=True,
        )
        if not reply.get("found"):
            return ""
        return reply.get("data", {}).get("text/plain", "")

    def send_input(self, text: str) -> None:
        try:
            if self.client is not None and not self.dead:
                self.client.input(text)
        except Exception:  # noqa: BLE001 - a reply to a kernel that went away
            log.warning("input not sent to the kernel", exc_info=True)

    def interrupt(self) -> None:
        """SIGINT to a kernel we started; an interrupt_request to one we attached to."""
        if self.process is not None:
            self.process.interrupt()
        else:
            try:
                self._send("interrupt_request", {}, channel="control")
            except KernelGone:
                pass

    # -- receiving ---------------------------------------------------------------------
    async def _read(self, channel_name: str, handle: Callable[[dict, int], Any]) -> None:
        """Receive one channel's messages: sized before they are decoded (one too big is
        never parsed), big ones decoded off the event loop, one at a time, in order."""
        channel = getattr(self.client, f"{channel_name}_channel")
        session = self.client.session
        failing = False  # a socket that keeps failing is logged once, not 20 times a second
        while not self.dead:
            try:
                if not await channel.socket.poll(500):
                    continue
                frames = await channel.socket.recv_multipart()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a socket closed under us: the watcher decides
                if not failing:
                    log.warning("the %s channel failed to receive", channel_name, exc_info=True)
                    failing = True
                await asyncio.sleep(0.05)
                continue
            failing = False
            size = sum(len(frame) for frame in frames)
            try:
                if size > MAX_RAW and not self._output_within(frames, size):
                    self._oversized(frames, size)
                    continue
                if size > OFF_LOOP_BYTES:
                    msg = await asyncio.to_thread(_deserialize, session, frames)
                else:
                    msg = _deserialize(session, frames)
                result = handle(msg, size)
                if asyncio.iscoroutine(result):
                    await result
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - one odd message must not stop the reader
                log.warning("ignored a %s message: %r", channel_name, exc, exc_info=True)
                self._ignore("a malformed message")
            await asyncio.sleep(0)  # a flood of messages still lets keys through

    @staticmethod
    def _peek(frames: list[bytes]) -> tuple[str, Any]:
        """A message's type and parent id from its small header frames, undecoded body."""
        try:
            delim = frames.index(b"<IDS|MSG>")
            header, parent = frames[delim + 2], frames[delim + 3]
            if len(header) < 65_536 and len(parent) < 65_536:
                return str(json.loads(header).get("msg_type")), json.loads(parent).get("msg_id")
        except (ValueError, IndexError, AttributeError):
            pass
        return "", None

    def _output_within(self, frames: list[bytes], size: int) -> bool:
        """A cell's own big print (up to ``MAX_OUTPUT``) is decoded: the REPL caps it."""
        return size <= MAX_OUTPUT and self._peek(frames)[0] == "stream"

    def _oversized(self, frames: list[bytes], size: int) -> None:
        """A message too big to decode: a cell's own output says so under the cell (its
        small header names its type and cell); anything else is counted as ignored."""
        log.warning("ignored a message of %d bytes", size)
        mb = f"{size / 1e6:.1f} MB"
        msg_type, parent_id = self._peek(frames)
        watch = self._cells.get(parent_id) if isinstance(parent_id, str) else None
        if watch is not None and msg_type in ("stream", "display_data", "execute_result"):
            limit = (MAX_OUTPUT if msg_type == "stream" else MAX_RAW) // 1_000_000
            watch.output(
                cells.Stream("stderr", f"[an output of {mb} not shown: over {limit} MB]\n")
            )
        else:
            self._ignore(f"a message of {mb}")

    def _ignore(self, what: str) -> None:
        """Count something ignored; say it in one line, at most once a second."""
        self._ignored[what] = self._ignored.get(what, 0) + 1
        now = time.monotonic()
        if now - self._said_at >= 1.0:
            self._say_ignored()
        elif self._flush_at is None:
            loop = asyncio.get_running_loop()
            self._flush_at = loop.call_later(1.0, self._flush_pushes)

    def _say_ignored(self) -> None:
        if not self._ignored or self.dead:
            return
        self._said_at = time.monotonic()
        parts = [f"{n} × {what}" if n > 1 else what for what, n in self._ignored.items()]
        self._ignored = {}
        self.on_event(Ignored("ignored " + ", ".join(parts) + " from the kernel"))

    async def _read_shell(self) -> None:
        await self._read("shell", lambda msg, _size: self._on_reply(msg))

    async def _read_control(self) -> None:
        await self._read("control", lambda msg, _size: self._on_reply(msg))

    async def _read_stdin(self) -> None:
        def on_stdin(msg: dict, _size: int) -> None:
            if msg["header"]["msg_type"] == "input_request":
                c = msg["content"]
                prompt = str(c.get("prompt", ""))[:MAX_PROMPT]
                self.on_event(InputWanted(prompt, bool(c.get("password"))))

        await self._read("stdin", on_stdin)

    async def _read_iopub(self) -> None:
        await self._read("iopub", self._on_iopub)

    def _on_reply(self, msg: dict) -> None:
        parent = msg.get("parent_header", {}).get("msg_id")
        watch = self._cells.get(parent)
        if watch is not None and msg["header"]["msg_type"] == "execute_reply":
            watch.reply(msg["content"])
        future = self._replies.get(parent)
        if future is not None and not future.done():
            future.set_result(msg["content"])

    def _on_iopub(self, msg: dict, size: int = 0) -> Any:
        msg_type = msg["header"]["msg_type"]
        content = msg.get("content", {})
        parent = msg.get("parent_header", {}).get("msg_id")
        if msg_type in ("comm_msg", "comm_open"):
            if content.get("comm_id") not in (self._comm_id, self._events_id):
                return None
            if size > OFF_LOOP_BYTES:
                return self._on_big_comm(content, parent)
            self._on_comm(content, parent, _decoded(content.get("data")))
            return None
        if msg_type == "comm_close":
            self._on_comm_close(content)
            return None
        watch = self._cells.get(parent)
        if watch is None:
            if msg_type == "stream":  # a thread's or a child's output (os.system, a C lib)
                self._orphan_stream(content)
            return None
        watch.iopub(msg_type, content)
        return None

    async def _on_big_comm(self, content: dict, parent: str | None) -> None:
        decoded = await asyncio.to_thread(_decoded, content.get("data"))
        self._on_comm(content, parent, decoded)

    def _orphan_stream(self, content: dict) -> None:
        """Output that ipykernel filed under another request (fd 1/2 output is forwarded
        by a thread): it belongs to the running cell, else it is shown on its own."""
        out = cells.outputs_of("stream", content)
        running = list(self._cells.values())
        if running:
            for item in out:
                running[-1].output(item)
        elif out:
            self.on_event(Pushed(out[0]))

    def _on_comm(self, content: dict, parent: str | None, decoded: Any) -> None:
        if isinstance(decoded, p.ProtocolError):
            log.warning("ignored a message from the agent: %s", decoded)
            if isinstance(decoded, p.VersionError) and not self.ready.is_set():
                self.on_event(Failed(str(decoded)))  # another torch-tui in the kernel
            else:
                self._ignore("a malformed message")
            return
        message = decoded
        future = self._agent.get(getattr(message, "id", "") or "")
        if future is not None and not future.done():
            future.set_result(message)
            return
        watch = self._cells.get(parent or "")
        if watch is not None and isinstance(message, p.CellPayload):
            watch.outcome.payload = message
        self._push(message)

    def _push(self, message: Any) -> None:
        """Pushes pass a rate gate: a flood is coalesced, the latest of each kind kept,
        except a run's training reports, which are merged (their losses are the only copy)."""
        now = time.monotonic()
        kind, merge = type(message).__name__, None
        if isinstance(message, p.TrainReport):  # each report's losses are the only copy
            kind, merge = f"{kind} {message.run_id}", _merged_reports
        for item in self._gate.offer(kind, message, now, merge):
            self.on_event(Pushed(item))
        if self._gate.waiting and self._flush_at is None:
            self._flush_at = asyncio.get_running_loop().call_later(
                self._gate.wait_s(now), self._flush_pushes
            )

    def _flush_pushes(self) -> None:
        """From a timer: what fails is logged here, where asyncio's own handler would
        write it to a stderr nobody reads."""
        try:
            self._release_pushes()
        except Exception:  # noqa: BLE001 - a timer's callback: logged; the next push flushes
            log.warning("pushes from the kernel not delivered", exc_info=True)

    def _release_pushes(self) -> None:
        self._flush_at = None
        if self.dead:
            return
        now = time.monotonic()
        for item in self._gate.release(now):
            self.on_event(Pushed(item))
        dropped = self._gate.take_dropped()
        if dropped:
            self._ignored["a message (too many at once)"] = (
                self._ignored.get("a message (too many at once)", 0) + dropped
            )
        if self._gate.waiting:
            loop = asyncio.get_running_loop()
            self._flush_at = loop.call_later(self._gate.wait_s(now), self._flush_pushes)
        elif self._ignored:
            if now - self._said_at >= 1.0:
                self._say_ignored()
            else:
                loop = asyncio.get_running_loop()
                self._flush_at = loop.call_later(1.0 - (now - self._said_at), self._flush_pushes)

    def _on_comm_close(self, content: dict) -> None:
        """The learner's code closed an agent comm: cards, checks and training go quiet
        until a restart, so say so once."""
        if content.get("comm_id") not in (self._comm_id, self._events_id) or self.agent_lost:
            return
        self.agent_lost = True
        log.warning("the agent's comm %s was closed in the kernel", content.get("comm_id"))
        self.on_event(AgentLost())

    # -- life and death ----------------------------------------------------------------
    async def _watch(self) -> None:
        """Notice a kernel that ended: our own by its exit status, another by heartbeat."""
        misses = 0
        probe: asyncio.Task | None = None
        while not self.dead:
            await asyncio.sleep(0.25)
            if self._cells and self.ready.is_set() and (probe is None or probe.done()):
                probe = _logged_task(self._probe())
            if self.process is not None:
                if self.process.poll() is not None:
                    self._died(self.process.exit_reason())
                    return
            elif self.client is not None:
                misses = 0 if self.client.hb_channel.is_beating() else misses + 1
                if misses >= 12:
                    self._died("its heartbeat stopped")
                    return

    async def _probe(self) -> None:
        """While a cell runs, the agent (on its subshell) still answers at once; when it
        does not, the kernel is alive but broken (e.g. ``builtins.isinstance = None``)."""
        await asyncio.sleep(2.0)
        if not self._cells or self.dead:
            return
        try:
            await self.agent(p.Ping())
        except TimeoutError:  # the timeout already said "not responding"
            await asyncio.sleep(RESPONSE_LIMIT)
        except (KernelGone, RuntimeError):  # gone (the watcher says so), or an Error reply
            pass

    def _died(self, reason: str) -> None:
        if self.dead or self._closing:  # asked to shut down: its end is no death
            return
        self.dead = True
        self.ready.clear()
        for watch in list(self._cells.values()):
            watch.outcome.status = "died"
            watch.finish()
        for future in [*self._replies.values(), *self._agent.values()]:
            if not future.done():
                future.set_exception(KernelGone(reason))
        self.on_event(Died(reason))

    def request_shutdown(self) -> bool:
        """Ask the kernel to end (its atexit handlers run); from now on its end is no
        death to report. False when it cannot even be asked."""
        self._closing = True
        try:
            self._send("shutdown_request", {"restart": False}, channel="control")
        except KernelGone:
            return False
        except Exception:  # noqa: BLE001 - a broken channel: the caller kills it
            log.warning("no shutdown request sent", exc_info=True)
            return False
        return True

    async def close(self, kill: bool = True) -> None:
        """Stop listening; a kernel we started is killed with its process group."""
        self.dead = True
        for task in self._tasks:
            task.cancel()
        for watch in list(self._cells.values()):
            watch.outcome.status = "restarted"
            watch.finish()
        for future in [*self._replies.values(), *self._agent.values()]:
            if not future.done():
                future.set_exception(KernelGone("closed"))
        if self.client is not None:
            try:
                self.client.stop_channels()
            except Exception:  # noqa: BLE001 - closing: the link is dropped all the same
                log.warning("the kernel's channels did not stop cleanly", exc_info=True)
        if kill and self.process is not None:
            await asyncio.to_thread(self.process.kill)


def _logged_task(work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    """A task whose failure goes to the app log when it ends, not to asyncio's
    "exception was never retrieved" at some later garbage collection."""
    task = asyncio.create_task(work)
    task.add_done_callback(_log_failure)
    return task


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        name = getattr(task.get_coro(), "__qualname__", task.get_name())
        log.error("%s ended with an error", name, exc_info=exc)


def _deserialize(session: Any, frames: list[bytes]) -> dict:
    _idents, message = session.feed_identities(frames)
    return session.deserialize(message)


def _decoded(data: Any) -> Any:
    """The agent's message, or the ProtocolError that says why it is not one."""
    try:
        return p.decode(data)
    except p.ProtocolError as exc:
        return exc


def _merged_reports(earlier: p.TrainReport, later: p.TrainReport) -> p.TrainReport | None:
    if earlier.report is None or later.report is None:
        return None
    both = merged(earlier.report, later.report)
    return None if both is None else p.TrainReport(later.run_id, both)
