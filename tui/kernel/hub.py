"""The app's one handle on "the kernel", whichever kernel that is right now.

A restart replaces the link (and, for a kernel we started, the process); the hub stays,
so panes hold the hub and never a link. Every link event reaches ``post`` tagged with
the link's generation, so an event of a kernel that was already replaced is ignored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.console import outputs as cells
from tui.kernel import link as kl
from tui.kernel import reaper
from tui.kernel.launch import KernelProcess, spawn_kernel

log = logging.getLogger(__name__)

#: Seconds a quitting app gives its kernel to end after a shutdown request.
SHUTDOWN_GRACE = 1.0


class KernelUnavailable(RuntimeError):
    """No kernel is ready (starting, restarting, or dead): the message says which."""


@dataclass
class Starting:
    """A kernel is being started (at launch or by a restart)."""

    restart: bool = False


class KernelHub:
    def __init__(
        self,
        post: Callable[[Any, int], None],
        device: str | None = None,
        existing: Path | None = None,
        process: KernelProcess | None = None,
        cwd: Path | None = None,
        keep_kernel: bool = False,
    ) -> None:
        self.post = post
        self.device = device
        self.existing = existing
        self.cwd = cwd
        self.generation = 0
        self.link: kl.KernelLink | None = None
        self._process = process  # spawned before the first frame, adopted by start()
        #: The given process is shared (tests): reset its namespace, never kill it.
        self._keep: KernelProcess | None = process if keep_kernel else None
        self.last_death: str | None = None

    # -- state -------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.link is not None and self.link.ready.is_set() and not self.link.dead

    @property
    def welcome(self) -> Any:
        return self.link.welcome if self.link is not None else None

    @property
    def attached(self) -> bool:
        """True when connected to a kernel someone else started (``--existing``)."""
        return self.link is not None and not self.link.owned

    @property
    def pid(self) -> int | None:
        if self.link is not None and self.link.process is not None:
            return self.link.process.pid
        return None

    # -- life --------------------------------------------------------------------------
    def start(self, restart: bool = False, local: bool = False) -> None:
        """Start (or restart) on the running event loop; events follow through ``post``."""
        self.generation += 1
        gen = self.generation
        self.post(Starting(restart), gen)
        if self.existing is not None and not local:
            link = kl.KernelLink(self.existing, lambda e: self.post(e, gen), device=self.device)
        else:
            self.existing = None
            try:
                process = self._process or spawn_kernel(cwd=self.cwd)
            except OSError as exc:  # its files cannot be written (a full disk, ...)
                self.post(kl.Failed(f"cannot start a kernel: {exc.strerror or exc}"), gen)
                return
            self._process = None
            link = kl.KernelLink(
                process.connection_file,
                lambda e: self.post(e, gen),
                process,
                self.device,
                fresh_namespace=process is self._keep,
            )
        self.link = link
        asyncio.get_running_loop().create_task(link.start())

    async def restart(self, local: bool = False) -> None:
        """A fresh kernel: the old one (if ours) is killed with everything it started."""
        old = self.link
        self.link = None
        if old is not None:
            await old.close(kill=self._kills(old))
            if self._kills(old):  # what its cells started in sessions of their own
                await asyncio.to_thread(reaper.reap_orphans, self._spared(old.process))
        self.start(restart=True, local=local)

    def _kills(self, link: kl.KernelLink) -> bool:
        return link.owned and link.process is not self._keep

    async def shutdown(self, grace: float = SHUTDOWN_GRACE) -> None:
        """Quitting: a kernel we started is asked to shut down, then killed after
        ``grace`` seconds with its process group; an attached one is left running."""
        link, self.link = self.link, None
        if link is not None:
            process = link.process
            if self._kills(link) and process is not None and link.request_shutdown():
                loop = asyncio.get_running_loop()
                deadline = loop.time() + grace
                while process.poll() is None and loop.time() < deadline:
                    await asyncio.sleep(0.02)
            await link.close(kill=self._kills(link))
        if self._process is not None and self._process is not self._keep:
            self._process.kill()
        ended = link.process if link is not None else None
        await asyncio.to_thread(reaper.reap_orphans, self._spared(ended))

    def kill_now(self) -> None:
        """At exit, from any thread and without the event loop: no child left behind."""
        for process in (self._process, self.link.process if self.link else None):
            if process is not None and process is not self._keep:
                try:
                    process.kill()
                except Exception:  # noqa: BLE001 - at exit: the next one is killed all the same
                    log.warning("kernel %s not killed at exit", process.pid, exc_info=True)
        try:
            reaper.reap_orphans(self._spared())
        except Exception:  # noqa: BLE001 - at exit: the app ends all the same
            log.warning("orphans not reaped at exit", exc_info=True)

    def _spared(self, *extra: KernelProcess | None) -> list[int]:
        """Pids the reaper must leave alone: the kernels we hold (a shared one, one
        spawned and not yet adopted, the current one) and ``extra`` (a kernel just
        killed, which ``Popen`` itself reaps)."""
        link_process = self.link.process if self.link is not None else None
        kernels = (self._keep, self._process, link_process, *extra)
        return [process.pid for process in kernels if process is not None]

    # -- requests ----------------------------------------------------------------------
    def _live(self) -> kl.KernelLink:
        link = self.link
        if link is None or link.dead:
            raise KernelUnavailable(
                "the kernel is not running: ctrl+n in the REPL starts a fresh one"
            )
        return link

    async def execute(
        self, source: str, on_output: Callable[[cells.Output], None], tag: str | None = None
    ) -> cells.CellOutcome:
        """Run a cell once a kernel is ready (cells typed during a start wait for it)."""
        while True:
            link = self.link
            if link is None or link.dead:
                await asyncio.sleep(0.05)  # a restart is about to make the next link
                continue
            return await link.execute(source, on_output, tag)

    async def sync(self) -> None:
        """Everything already sent to the kernel has run."""
        await self._live().sync()

    async def agent(self, message: Any, timeout: float = kl.RESPONSE_LIMIT) -> Any:
        link = self._live()
        if not link.ready.is_set():
            raise KernelUnavailable("the kernel is still starting")
        return await link.agent(message, timeout)

    def tell(self, message: Any) -> None:
        link = self.link
        if link is not None and link.ready.is_set():
            link.tell(message)

    async def complete(self, code: str, cursor: int) -> tuple[int, int, list[str]]:
        return await self._live().complete(code, cursor)

    async def inspect(self, code: str, cursor: int, detail: int = 0) -> str:
        return await self._live().inspect(code, cursor, detail)

    def interrupt(self) -> None:
        if self.link is not None:
            self.link.interrupt()

    def send_input(self, text: str) -> None:
        if self.link is not None:
            self.link.send_input(text)
