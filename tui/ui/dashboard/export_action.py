"""Exporting a run from the dashboard: ``runs/<timestamp>/`` under the data dir.

config.json and history.csv (``tui.runs.export.write_run``) and train.py, or for a REPL run a
README.txt saying why there is none (``tui.runs.script``), are written here with no
torch, in a thread; model.pt by the kernel, where the model is (an ``ExportRequest``). A
run whose model the kernel no longer has (a restart) or never had here (data parallel: it
stays in the workers) is exported without model.pt, and a notification says why.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from tui.protocol import messages as p
from tui.ui.common.plain import notify_plain

if TYPE_CHECKING:  # pragma: no cover
    from tui.runs.runbook import Run
    from tui.ui.dashboard.dashboard_pane import DashboardPane


async def export(pane: DashboardPane, run: Run) -> None:
    """config.json, history.csv and train.py here (no torch); model.pt by the kernel."""
    from tui.runs.export import write_run
    from tui.runs.script import write_script

    losses, metrics = run.series.raw().copy(), list(run.metrics)

    def write() -> tuple[Any, str | None]:
        path = write_run(run.config, losses, run.series.first_step, metrics, run.summary)
        return path, write_script(path, run.config)

    try:
        path, no_script = await asyncio.to_thread(write)
    except Exception as exc:  # noqa: BLE001 - a full disk, a read-only folder
        pane._say(f"export failed: {exc}", "error")
        return
    note = ""
    if not pane._kernel_ready:
        note = "the kernel is not running"
    else:
        try:
            reply = await pane.session.kernel.agent(
                p.ExportRequest(run_id=run.id, path=str(path / "model.pt")), timeout=60
            )
            note = "" if reply.written else reply.note
        except Exception as exc:  # noqa: BLE001 - the kernel went away meanwhile
            note = str(exc)
    pane._say(f"Exported to {path}" + ("" if no_script else ": python train.py reruns it"))
    if note:
        notify_plain(pane, f"model.pt not written: {note}", severity="warning", timeout=8)
    else:
        notify_plain(pane, f"Run exported to {path}", timeout=8)
    if no_script:
        notify_plain(pane, no_script[0].upper() + no_script[1:], timeout=10)
