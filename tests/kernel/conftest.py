"""A fresh kernel per test, driven through the app's own link (no UI)."""

from __future__ import annotations

import asyncio

import pytest

from tui.kernel.launch import spawn_kernel
from tui.kernel.link import KernelLink


class Driven:
    """A link plus the events it reported, with helpers that wait on conditions."""

    def __init__(self, link: KernelLink, events: list) -> None:
        self.link = link
        self.events = events

    async def run(self, code: str, timeout: float = 60):
        return await asyncio.wait_for(self.link.execute(code, lambda out: None), timeout)

    def kinds(self) -> list[str]:
        return [type(e).__name__ for e in self.events]

    async def until(self, condition, timeout: float = 20) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            if loop.time() > deadline:
                raise AssertionError(f"timed out; events: {self.kinds()}")
            await asyncio.sleep(0.02)


@pytest.fixture
async def kernel():
    process = spawn_kernel()
    events: list = []
    link = KernelLink(process.connection_file, events.append, process=process, device="cpu")
    asyncio.get_running_loop().create_task(link.start())
    await asyncio.wait_for(link.ready.wait(), 120)
    yield Driven(link, events)
    await link.close()
