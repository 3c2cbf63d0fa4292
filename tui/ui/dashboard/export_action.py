"""Exporting a run from the dashboard: ``runs/<timestamp>/`` under the data dir.

config.json and history.csv (``tui.runs.export.write_run``) and train.py, or for a REPL run a
README.txt saying why there is none (``tui.runs.script``), are written here with no
torch, in a thread; model.pt by the kernel, where the model is (an ``ExportRequest``). A
run whose model the kernel no longer has (a restart) or never had here (data parallel: it
stays in the workers) is exported without model.pt, and a notification says why.

``RunExport`` is a widget with nothing to show: the pane asks it for a run (``export``),
it works in its own worker and posts ``Done`` with the line for the pane's message row;
what the learner should also read (model.pt missing, no train.py) it notifies itself.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.widget import Widget

from tui.kernel.hub import KernelHub
from tui.protocol import messages as p
from tui.ui.common.plain import notify_plain

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # pragma: no cover
    from tui.runs.runbook import Run


class RunExport(Widget):
    """Writes a run's files; ``Done`` says how it went."""

    DEFAULT_CSS = "RunExport { display: none; }"

    class Done(Message):
        """The export ended, or cannot start: ``text`` for the message row, and its
        ``severity`` (``information``, ``warning`` or ``error``)."""

        def __init__(self, text: str, severity: str = "information") -> None:
            super().__init__()
            self.text, self.severity = text, severity

    def __init__(self, kernel: KernelHub, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kernel = kernel

    def export(self, run: Run | None) -> None:
        """Export ``run`` (the run book's ``exportable()``) unless it is still training."""
        from tui.runs.runbook import RunState

        if run is None:
            self.post_message(self.Done("Nothing to export yet: train a run first.", "warning"))
        elif run.state in (RunState.STARTING, RunState.RUNNING):
            self.post_message(
                self.Done("Pause (space) or stop (x) the run before exporting it.", "warning")
            )
        else:
            self.run_worker(self._export(run), group="export", exit_on_error=False)

    async def _export(self, run: Run) -> None:
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
            log.warning("export failed: %r", exc)
            self.post_message(self.Done(f"export failed: {exc}", "error"))
            return
        note = ""
        if not self.kernel.ready:
            note = "the kernel is not running"
        else:
            try:
                reply = await self.kernel.agent(
                    p.ExportRequest(run_id=run.id, path=str(path / "model.pt")), timeout=60
                )
                note = "" if reply.written else reply.note
            except Exception as exc:  # noqa: BLE001 - the kernel went away meanwhile
                log.warning("model export failed: %r", exc)
                note = str(exc)
        said = f"Exported to {path}" + ("" if no_script else ": python train.py reruns it")
        self.post_message(self.Done(said))
        if note:
            notify_plain(self, f"model.pt not written: {note}", severity="warning", timeout=8)
        else:
            notify_plain(self, f"Run exported to {path}", timeout=8)
        if no_script:
            notify_plain(self, no_script[0].upper() + no_script[1:], timeout=10)
