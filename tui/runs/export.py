"""Exporting a run: ``runs/<timestamp>/`` with config.json, history.csv and model.pt.

Each file is written to a temp name and renamed (``state.atomic_file``), so a crash
never leaves half a file; the folder name is unique even for two exports in a second.
The app writes config.json and history.csv (``write_run``, no torch); the kernel, where
the model lives, writes model.pt (``save_model``, asked by an ``ExportRequest``).
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.platform import state

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from tui.training.job import Job
    from tui.training.report import Summary


def new_run_dir(root: Path | None = None) -> Path:
    root = Path(root) if root is not None else state.runs_dir()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path, n = root / stamp, 1
    while path.exists():
        path = root / f"{stamp}-{n}"
        n += 1
    path.mkdir(parents=True)
    return path


def history_csv(
    losses: np.ndarray, first_step: int, metrics: list[tuple[int, float | None, float]]
) -> str:
    """``step,loss,accuracy,elapsed``: accuracy and elapsed where a report measured them."""
    at = {step: (acc, elapsed) for step, acc, elapsed in metrics}
    out = io.StringIO()
    out.write("step,loss,accuracy,elapsed\n")
    for i, loss in enumerate(losses.tolist()):
        step = first_step + i
        acc, elapsed = at.get(step, (None, None))
        acc_s = "" if acc is None else f"{acc:.6g}"
        el_s = "" if elapsed is None else f"{elapsed:.4f}"
        out.write(f"{step},{loss:.8g},{acc_s},{el_s}\n")
    return out.getvalue()


def write_run(
    config: dict[str, Any],
    losses: np.ndarray,
    first_step: int,
    metrics: list[tuple[int, float | None, float]],
    summary: Summary | None,
    root: Path | None = None,
) -> Path:
    """A new run folder with config.json and history.csv (no torch: the app writes these)."""
    path = new_run_dir(root)
    meta = dict(config)
    if summary is not None:
        meta["summary"] = summary.to_dict()
    state.atomic_write_json(path / "config.json", meta)
    state.atomic_write_text(path / "history.csv", history_csv(losses, first_step, metrics))
    return path


def save_model(model: Any, path: Path) -> None:
    """The model's state dict (on the cpu) as ``path``; in the kernel, where the model is."""
    import torch

    sd = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    with state.atomic_file(path, "wb") as fh:
        torch.save(sd, fh)


def export_run(
    config: dict[str, Any],
    losses: np.ndarray,
    first_step: int,
    metrics: list[tuple[int, float | None, float]],
    job: Job | None,
    summary: Summary | None,
    root: Path | None = None,
) -> Path:
    """Write the run (and the job's model, when there is one) and return its folder."""
    path = write_run(config, losses, first_step, metrics, summary, root)
    if job is not None and job.model is not None:
        save_model(job.model, path / "model.pt")
    return path
