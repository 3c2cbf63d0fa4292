"""What the learner can do to the kernel: each case is reported, and the app's side goes on."""

from __future__ import annotations

import asyncio

import pytest

from tui.kernel.link import Died, NotResponding

CRASHES = [
    ("import os; os._exit(1)", "exit code 1"),
    ("import ctypes; ctypes.string_at(0)", "killed by SIGSEGV"),
    ("import os; os.abort()", "killed by SIGABRT"),
    ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", "killed by SIGTERM"),
    ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "killed by SIGKILL"),
]


@pytest.mark.parametrize(("code", "reason"), CRASHES)
async def test_a_kernel_that_dies_is_reported_with_its_cause(kernel, code, reason):
    outcome = await kernel.run(code)
    assert outcome.status == "died"
    await kernel.until(lambda: any(isinstance(e, Died) for e in kernel.events))
    died = [e for e in kernel.events if isinstance(e, Died)]
    assert died[0].reason == reason


async def test_broken_builtins_make_a_kernel_that_does_not_answer(kernel):
    """Its heartbeat beats, yet no request is answered: said within seconds."""
    code = "import builtins; builtins.isinstance = None"
    task = asyncio.ensure_future(kernel.link.execute(code, lambda out: None))
    await kernel.until(lambda: any(isinstance(e, NotResponding) for e in kernel.events), 30)
    task.cancel()


async def test_interrupt_stops_a_python_loop_and_a_sleep(kernel):
    for code in ("while True: pass", "import time; time.sleep(30)"):
        task = asyncio.ensure_future(kernel.link.execute(code, lambda out: None))
        await asyncio.sleep(0.5)
        kernel.link.interrupt()
        outcome = await asyncio.wait_for(task, 10)
        assert outcome.error_name == "KeyboardInterrupt"
    assert (await kernel.run("6*7")).text() == "42\n"


async def test_stdin_is_closed_and_fd_output_reaches_the_cell(kernel):
    """``cat`` reading the kernel's stdin ends at once; a child's output lands in the cell."""
    code = "import os; os.system('cat > /dev/null'); os.system('echo from-fd-1')"
    outcome = await kernel.run(code, timeout=10)
    assert outcome.status == "ok"
    later = await kernel.run("import time; time.sleep(0.3); print('after')")
    assert "from-fd-1" in outcome.text() + later.text()
