"""The dashboard's "data parallel" option: a DDPRunner in the train worker, same messages.

The dashboard owns the layout and the run life cycle; this module holds what data
parallelism adds to it, so the dashboard only needs three small hooks: the settings row
(``ddp_row``), the worker branch (``run_ddp``) and the metrics line (``ddp_metrics``).
The runner is ``tui.core.distributed.DDPRunner``, which takes the same ``on_report``,
``stop`` and ``pause`` as the single-process Trainer.
"""

from __future__ import annotations

from typing import Any

from textual.containers import Horizontal
from textual.widgets import Label, Select

from tui.core.training import ConfigError, TrainConfig

#: (label, workers); 1 means the ordinary single-process Trainer.
WORKER_CHOICES: list[tuple[str, int]] = [
    ("off", 1),
    ("2 workers", 2),
    ("4 workers", 4),
    ("8 workers", 8),
]


def ddp_row() -> Horizontal:
    """The settings row: data parallel off, or the number of worker processes."""
    return Horizontal(
        Label("parallel"),
        Select(WORKER_CHOICES, value=1, allow_blank=False, compact=True, id="cfg-ddp"),
        classes="dash-row",
        id="dash-ddp-row",
    )


def ddp_workers(pane: Any) -> int:
    """The chosen worker count (UI thread only); 1 when the row is not there."""
    try:
        value = pane.query_one("#cfg-ddp", Select).value
    except Exception:
        return 1
    return value if isinstance(value, int) else 1


def run_ddp(
    pane: Any,
    run: Any,
    config: TrainConfig,
    workers: int,
    started: type,
    progress: type,
    finished: type,
) -> None:
    """In the train worker: run ``config`` on ``workers`` processes, posting the pane's
    own TrainStarted / TrainProgress / TrainFinished messages, like the Trainer path."""
    from tui.core.distributed import DDPRunner

    try:
        runner = DDPRunner(
            config,
            workers,
            on_report=lambda report: pane.post_message(progress(run.id, report)),
            stop=run.handle.stop,
            pause=run.handle.pause,
        )
        job = runner.display_job()
    except ConfigError as exc:
        pane.post_message(finished(run.id, None, str(exc)))
        return
    except Exception as exc:  # torch or a driver failing: a message, not a silent end
        pane.post_message(finished(run.id, None, f"could not start: {type(exc).__name__}: {exc}"))
        return
    pane.post_message(started(run.id, job, job.label, job.total_steps, job.device))
    try:
        summary = runner.run()
    except Exception as exc:  # spawn failing (e.g. no __main__ guard): a message, not a crash
        pane.post_message(
            finished(run.id, None, f"data parallel failed: {type(exc).__name__}: {exc}")
        )
        return
    pane.post_message(finished(run.id, summary, summary.error))


def ddp_metrics(report: Any) -> list[str]:
    """What data parallelism adds to the metrics line: world size and global batch
    (kept short: it shares a line with the device)."""
    world = getattr(report, "world_size", None)
    if not world:
        return []
    return [f"world {world} · global batch {getattr(report, 'global_batch', 0)}"]
