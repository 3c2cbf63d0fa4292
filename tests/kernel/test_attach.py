"""``torch-tui --existing FILE``: a kernel someone else started (a notebook server's)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from tui.kernel.launch import runtime_root, write_connection_file
from tui.kernel.link import Failed, KernelLink, Ready


@pytest.fixture
def foreign_kernel(tmp_path):
    """A plain ipykernel, as `jupyter notebook` would start it (no agent, no preload)."""
    conn, _info = write_connection_file(runtime_root(), f"foreign-{tmp_path.name[-6:]}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipykernel_launcher", "-f", str(conn)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    yield conn
    proc.kill()
    proc.wait()
    conn.unlink(missing_ok=True)


async def attach(conn) -> tuple[KernelLink, list]:
    events: list = []
    link = KernelLink(conn, events.append)
    asyncio.get_running_loop().create_task(link.start())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 120
    while not any(isinstance(e, Ready | Failed) for e in events):
        assert loop.time() < deadline, "no Ready or Failed"
        await asyncio.sleep(0.05)
    return link, events


async def test_the_agent_loads_into_a_running_kernel_and_serves_cards(foreign_kernel):
    link, events = await attach(foreign_kernel)
    assert any(isinstance(e, Ready) for e in events), events
    assert not link.owned
    outcome = await link.execute("import torch\nx = torch.ones(2, 3)\nx", lambda out: None)
    assert outcome.ok
    assert outcome.payload is not None and outcome.payload.cards[0].shape == [2, 3]
    await link.close()
    # Closing never shuts down a kernel this app did not start.
    link2, events2 = await attach(foreign_kernel)
    assert any(isinstance(e, Ready) for e in events2), events2
    assert (await link2.execute("x.sum().item()", lambda out: None)).text() == "6.0\n"
    await link2.close()


async def test_a_kernel_without_torch_tui_says_so(foreign_kernel):
    from jupyter_client.asynchronous import AsyncKernelClient

    client = AsyncKernelClient(connection_file=str(foreign_kernel))
    client.load_connection_file()
    client.start_channels()
    await client.wait_for_ready(timeout=60)
    await client.execute_interactive("import sys; sys.modules['tui.agent'] = None")
    client.stop_channels()
    link, events = await attach(foreign_kernel)
    failed = [e for e in events if isinstance(e, Failed)]
    assert failed and "install torch-tui in the kernel's environment" in failed[0].text
    await link.close()
