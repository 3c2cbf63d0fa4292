"""What the kernel sends cannot crash, freeze or mislead the app.

The learner's code can reach the agent's comms, so each case forges what a broken or
hostile agent could send, from a real cell in the real app: a card of the wrong types,
bad JSON, another protocol version, a 50 MB message, 20,000 messages at once, a closed
comm, and broken output streams. Each leaves the app running and answering keys, says
what happened in one line, and the next cell (after at most a ctrl+n) answers ``6*7``.
"""

from __future__ import annotations

import json
import time

import pytest

from hardening.conftest import (
    notes,
    repl_pane,
    run_cell,
    shared_app_fixture,
    still_usable,
    wait_until,
)
from tui.protocol import messages as p

pytestmark = pytest.mark.asyncio(loop_scope="module")
shared = shared_app_fixture(kernel=None)  # its own kernel: these cases break theirs

#: The agent's push comm, reached from the learner's namespace as an attacker would.
EVENTS = "from tui.agent import server as _s; _ev = _s._AGENT.events"


def forged(message: object) -> dict:
    return p.encode(message)


async def answers_a_key(pilot, app, limit: float = 1.0) -> float:
    """Seconds from a key press in the REPL input to the input showing it."""
    repl = repl_pane(app)
    repl.input.focus()
    await pilot.pause()
    start = time.monotonic()
    await pilot.press("q")
    await wait_until(pilot, lambda: repl.input.text.endswith("q"), what="the key in the input")
    took = time.monotonic() - start
    await pilot.press("ctrl+u")
    assert took < limit, f"a key took {took:.2f} s to show"
    return took


async def said(pilot, app, text: str) -> str:
    """Wait until a notification contains ``text``; return all notifications."""
    await wait_until(pilot, lambda: text in notes(app), what=f"a notification {text!r}")
    return notes(app)


async def test_a_card_of_the_wrong_types_is_ignored_and_said(shared):
    app, pilot = shared
    good = json.loads(
        forged(
            p.CellPayload(
                number=99,
                variables=[],
                cards=[],
            )
        )["json"]
    )
    card = {
        "__t": "TensorCard", "title": "evil", "shape": ["a", "b"], "dtype": "float32",
        "device": "cpu", "layout": "strided", "requires_grad": False, "is_leaf": True,
        "grad_fn": None, "has_grad": False, "numel": 1, "nbytes": 4, "stride": None,
        "contiguous": True, "stats": {"__t": "Stats"}, "preview": None, "histogram": None,
        "graph": None,
    }  # fmt: skip
    good["cards"] = [card]
    data = {"v": p.VERSION, "json": json.dumps(good)}
    await run_cell(pilot, app, f"{EVENTS}; _ev.send({data!r})")
    await said(pilot, app, "ignored a malformed message from the kernel")
    assert app.is_running
    await still_usable(pilot, app)


async def test_bad_json_and_another_version_are_ignored_not_a_failed_start(shared):
    app, pilot = shared
    await run_cell(pilot, app, f"{EVENTS}; _ev.send({{'v': {p.VERSION}, 'json': '{{nope'}})")
    await run_cell(pilot, app, f"{EVENTS}; _ev.send({{'v': 99, 'json': '{{}}'}})")
    await run_cell(pilot, app, f"{EVENTS}; _ev.send({{'v': 1, 'json': '[' * 100000}})")
    text = await said(pilot, app, "malformed message")
    assert "could not start" not in text
    assert "kernel failed" not in str(app._main().query_one("StatusLine").render())
    assert app.is_running
    await still_usable(pilot, app)


async def test_a_50_mb_message_is_refused_unread_and_keys_still_answer(shared):
    app, pilot = shared
    await run_cell(
        pilot,
        app,
        f"{EVENTS}; _ev.send({{'v': 1, 'json': 'x' * 50_000_000}})",
        timeout=120,
    )
    await said(pilot, app, "MB from the kernel")
    await answers_a_key(pilot, app)
    await still_usable(pilot, app)


async def test_20000_messages_at_once_are_coalesced_and_keys_still_answer(shared):
    app, pilot = shared
    watches = forged(p.WatchValues(values=[]))
    await run_cell(
        pilot,
        app,
        f"{EVENTS}\nfor _i in range(20000):\n    _ev.send({watches!r})",
        timeout=180,
    )
    await answers_a_key(pilot, app)
    await said(pilot, app, "too many at once")
    await still_usable(pilot, app)


async def test_a_cell_that_breaks_the_output_streams_is_said_within_7_s(shared):
    app, pilot = shared
    await run_cell(pilot, app, "import sys; sys.stdout = None")
    start = time.monotonic()
    outcome = await run_cell(pilot, app, "6 * 7", timeout=30)
    took = time.monotonic() - start
    assert took < 7.0, f"the stuck cell was said after {took:.1f} s"
    assert outcome.status == "error"
    assert "restart" in outcome.error_value
    log = "\n".join(strip.text for strip in repl_pane(app).log_widget.lines)
    assert "not responding" in log
    assert "went idle without finishing this cell" in log  # why, under the cell
    assert app.is_running
    await restart(pilot, app)
    await still_usable(pilot, app)


async def test_a_closed_agent_comm_is_noticed_and_a_restart_cures_it(shared):
    app, pilot = shared
    await run_cell(pilot, app, "from tui.agent import server as _s; _s._AGENT.comm.close()")
    await said(pilot, app, "lost its link to the kernel")
    assert app.is_running
    await restart(pilot, app)
    await still_usable(pilot, app)
    assert app.kernel.link is not None and not app.kernel.link.agent_lost


async def restart(pilot, app) -> None:
    old = app.kernel.link
    repl_pane(app).action_restart_kernel()
    await wait_until(
        pilot, lambda: app.kernel.ready and app.kernel.link is not old, 120, "a restart"
    )
