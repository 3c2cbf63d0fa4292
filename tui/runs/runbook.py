"""The dashboard's run book: every run as the UI keeps it, its states, and its figures.

No textual and no torch here: the pane feeds it the agent's messages (``TrainBegun``,
``TrainReport``, ``TrainEnded``) and kernel losses, and draws what it says. A run moves
through ``RunState``; ``RunBook`` holds the current run and the last few (their curves
are overlaid), and ``metrics_text`` is the figures line the dashboard shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from tui.runs.series import LossSeries
from tui.training.report import Boundary, Report, Summary

MAX_RUNS = 6  # the current run and the last five, overlaid
IDLE_HINT = "F5 or s starts a run · t trains the REPL's model · ? for keys"


class RunState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    STOPPED = "stopped"
    FAILED = "failed"

    @property
    def live(self) -> bool:
        return self in (RunState.STARTING, RunState.RUNNING, RunState.PAUSED)


_SHOWN = {
    RunState.STARTING: "starting",
    RunState.RUNNING: "▶ running",
    RunState.PAUSED: "⏸ paused",
    RunState.DONE: "✓ done",
    RunState.STOPPED: "■ stopped",
    RunState.FAILED: "✗ failed",
}
_LIVE = {RunState.STARTING, RunState.RUNNING, RunState.PAUSED}
#: The moves a run may make; anything else (a late report after the end) is ignored.
TRANSITIONS: dict[RunState, set[RunState]] = {
    RunState.STARTING: _LIVE | {RunState.DONE, RunState.STOPPED, RunState.FAILED},
    RunState.RUNNING: {RunState.PAUSED, RunState.DONE, RunState.STOPPED, RunState.FAILED},
    RunState.PAUSED: {RunState.RUNNING, RunState.DONE, RunState.STOPPED, RunState.FAILED},
    RunState.DONE: set(),
    RunState.STOPPED: set(),
    RunState.FAILED: set(),
}


@dataclass
class Run:
    """One run: its curve, its metric rows, and what export needs."""

    id: int
    source: str  # "playground" or "repl"
    series: LossSeries
    config: dict[str, Any] = field(default_factory=dict)
    workers: int = 1
    metrics: list[tuple[int, float | None, float]] = field(default_factory=list)
    device: str = ""
    epochs: int = 0
    two_d: bool = False
    #: The model has a Conv2d (its filters can be shown).
    conv: bool = False
    last: Report | None = None
    summary: Summary | None = None
    error: str | None = None
    state: RunState = RunState.STARTING
    #: Set by x or F5 until the kernel says the run ended.
    stopping: bool = False
    #: Validation loss and accuracy, one point per report that measured them.
    val_steps: list[int] = field(default_factory=list)
    val_losses: list[float] = field(default_factory=list)
    #: The learning rate at each report (a schedule moves it).
    lrs: list[tuple[int, float]] = field(default_factory=list)
    layers: list[Any] | None = None

    def move(self, to: RunState) -> bool:
        if to == self.state:
            return True
        if to not in TRANSITIONS[self.state]:
            return False
        self.state = to
        return True

    @property
    def live(self) -> bool:
        return self.state.live

    def begun(self, label: str, device: str, epochs: int, two_d: bool, config: dict) -> None:
        self.device, self.epochs, self.two_d = device, epochs, two_d
        self.series.label = f"#{self.id} {label}"
        if config:
            self.config = dict(config)
        if self.state == RunState.STARTING:  # paused before it began: it stays paused
            self.move(RunState.RUNNING)

    def apply(self, report: Report) -> Boundary | None:
        """Take one report; returns its boundary (numpy arrays again) when it has one."""
        report.losses = np.asarray(report.losses, dtype=np.float32)
        self.series.extend(report.losses)
        self.last = report
        self.metrics.append((report.step, report.accuracy, report.elapsed))
        if report.val_loss is not None and report.step:
            self.val_steps.append(report.step)
            self.val_losses.append(float(report.val_loss))
        if report.lr is not None and report.step:
            self.lrs.append((report.step, float(report.lr)))
        if report.layers:
            self.layers = report.layers
        boundary = report.boundary
        if boundary is not None:
            boundary = report.boundary = as_boundary(boundary)
        return boundary

    def ended(self, summary: Summary | None, error: str | None) -> str:
        """The verdict; returns what to tell the user."""
        self.summary, self.error, self.stopping = summary, error, False
        if error:
            self.move(RunState.FAILED)
            return error
        if summary is None or summary.stopped:
            self.move(RunState.STOPPED)
            steps = summary.steps if summary else 0
            return f"Stopped after {steps:,} steps. e exports it; F5 starts again."
        self.move(RunState.DONE)
        acc = f", acc {summary.accuracy:.1%}" if summary.accuracy is not None else ""
        loss = f"{summary.final_loss:.4g}" if summary.final_loss is not None else "-"
        return (
            f"Done: {summary.steps:,} steps at {summary.steps_per_s:,.0f} steps/s, "
            f"loss {loss}{acc}. e exports it."
        )

    def lost(self, why: str) -> str:
        """The kernel went away mid-run: the curve stays, the run is over."""
        self.error, self.stopping = f"run ended: {why}", False
        self.move(RunState.STOPPED)
        return self.error


def as_boundary(b: Boundary) -> Boundary:
    """A Boundary off the wire (lists) as the numpy arrays the view indexes."""
    lo_x, hi_x, lo_y, hi_y = b.extent
    return Boundary(
        extent=(float(lo_x), float(hi_x), float(lo_y), float(hi_y)),
        classes=np.asarray(b.classes, dtype=np.int8),
        confidence=np.asarray(b.confidence, dtype=np.float32),
        points=np.asarray(b.points, dtype=np.float32).reshape(-1, 2),
        point_classes=np.asarray(b.point_classes, dtype=np.int64),
        n_classes=int(b.n_classes),
    )


class RunBook:
    """The runs, newest first, at most ``MAX_RUNS``; ids are this app's own."""

    def __init__(self) -> None:
        self.runs: list[Run] = []
        self._next_id = 1

    @property
    def current(self) -> Run | None:
        return self.runs[0] if self.runs else None

    @property
    def training(self) -> bool:
        run = self.current
        return run is not None and run.live

    def get(self, run_id: int) -> Run | None:
        return next((r for r in self.runs if r.id == run_id), None)

    def new(self, source: str, config: dict[str, Any], workers: int = 1) -> Run:
        run = Run(
            id=self._next_id,
            source=source,
            series=LossSeries(label="starting…"),
            config=dict(config),
            workers=workers,
        )
        self._next_id += 1
        self.runs.insert(0, run)
        del self.runs[MAX_RUNS:]
        return run

    def discard(self, run: Run) -> None:
        """A run that failed before its first loss leaves no curve behind."""
        if run in self.runs and not len(run.series):
            self.runs.remove(run)

    def reset(self) -> None:
        self.runs.clear()

    def lose_live(self, why: str) -> str | None:
        """Every live run ended with the kernel; the message, or None when none was live."""
        said = None
        for run in self.runs:
            if run.live:
                said = run.lost(why)
        return said

    def exportable(self) -> Run | None:
        return next((r for r in self.runs if len(r.series)), None)


# -- the figures ------------------------------------------------------------------------


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(seconds), 60)
    return f"{m}m{s:02d}s" if m < 60 else f"{m // 60}h{m % 60:02d}m"


def mib(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"


def metrics_parts(run: Run) -> list[str]:
    """The figures of a run, each a whole ``label value`` (markup: ``[b]label[/b]``)."""
    r = run.last
    state = _SHOWN[run.state]
    if run.stopping and run.live:
        state = "stopping…"
    if r is None:
        return [f"{state}  {run.series.label}"]
    loss = run.series.last()
    loss_s = f"{loss:.4g}" if loss is not None else "-"
    acc = f"{r.accuracy:.1%}" if r.accuracy is not None else "-"
    val = run.val_losses[-1] if run.val_losses else None
    per_epoch_total = f"/{run.epochs:,}" if run.epochs else ""
    eta = "-" if r.eta is None else fmt_time(r.eta)
    pct = f" ({r.step / r.total_steps:.0%})" if r.total_steps else ""
    parts = [
        f"{state}{pct}",
        f"[b]loss[/b] {loss_s}",
        f"[b]acc[/b] {acc}",
    ]
    if val is not None:
        parts.append(f"[b]val loss[/b] {val:.4g}")
        if r.val_accuracy is not None:
            parts.append(f"[b]val acc[/b] {r.val_accuracy:.1%}")
    parts += [
        f"[b]steps/s[/b] {r.steps_per_s:,.0f}",
        f"step {r.step:,}/{r.total_steps:,}",
        f"epoch {r.epoch:,}{per_epoch_total}",
        f"elapsed {fmt_time(r.elapsed)}",
        f"ETA {eta}",
    ]
    if run.device:
        parts.append(f"device {run.device}")
    if r.world_size and r.world_size > 1:
        parts.append(f"world {r.world_size} · global batch {r.global_batch}")
    if r.lr is not None and run.config.get("schedule", "none") != "none":
        parts.append(f"lr {r.lr:.3g}")
    if r.memory is not None:
        peak = f" / {mib(r.memory_peak)} peak" if r.memory_peak is not None else ""
        parts.append(f"CUDA mem {mib(r.memory[0])} alloc / {mib(r.memory[1])} reserved{peak}")
    if r.gpu:
        if "util" in r.gpu:
            parts.append(f"GPU util {r.gpu['util']:.0f}%")
        if "temp" in r.gpu:
            parts.append(f"temp {r.gpu['temp']:.0f}°C")
        if "power" in r.gpu:
            parts.append(f"power {r.gpu['power']:.0f} W")
    if run.device.startswith("cuda") and r.samples_per_s:
        parts.append(f"samples/s {r.samples_per_s:,.0f}")
    return parts


def metrics_text(run: Run | None, width: int = 80) -> str:
    """The figures packed into lines of ``width``: a figure is never split from its label."""
    if run is None:
        return IDLE_HINT
    lines: list[tuple[str, int]] = []
    for part in metrics_parts(run):
        plain = len(part.replace("[b]", "").replace("[/b]", ""))
        if lines and lines[-1][1] + 2 + plain <= width:
            lines[-1] = (lines[-1][0] + "  " + part, lines[-1][1] + 2 + plain)
        else:
            lines.append((part, plain))
    return "\n".join(text for text, _ in lines)
