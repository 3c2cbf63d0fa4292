"""A run's reports: ``Report``, ``Summary``, ``Boundary`` and the one ``Reporter``.

Every runner (the single-process ``Trainer``, rank 0 of a ``DDPRunner``) reports through
``Reporter``: each step's loss stays on the device, the pending ones are fetched in one
batch per report, the model is evaluated (accuracy, decision boundary) at most every
``eval_every`` seconds, and ``on_report`` gets plain numpy / Python values only.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tui.training.probe import LayerStat, Probe, labels_of

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import torch

    from tui.tensors.pictures import Picture
    from tui.training.filter_snapshots import ViewFn
    from tui.training.job import Job


log = logging.getLogger(__name__)

#: The fewest reports a run sends (besides its time cadence), for short runs' curves.
MIN_REPORTS = 100
#: The decision boundary's grid, (rows, cols): about a 100x24-cell view's pixels drawn
#: as half-blocks (two rows a cell). Its confidences travel to 2 decimals.
BOUNDARY_GRID = (48, 96)
#: The most grid points evaluated in one forward pass (the peak memory ``train_memory``
#: counts on): a bigger grid goes through in chunks.
BOUNDARY_CHUNK = 24 * 48

# -- reports ------------------------------------------------------------------------


@dataclass
class Boundary:
    """The model's answer on a grid over the data, for the decision-boundary view."""

    extent: tuple[float, float, float, float]  # x0, x1, y0, y1
    classes: np.ndarray  # (rows, cols) int, row 0 is the top (largest y)
    confidence: np.ndarray  # (rows, cols) float in [0, 1]
    points: np.ndarray  # (n, 2) a sample of the data
    point_classes: np.ndarray  # (n,)
    n_classes: int


@dataclass
class Report:
    """One batch of progress: plain numbers only, safe to hand to the UI thread.

    ``world_size`` > 1 for a data-parallel run (rank 0's losses, the global batch)."""

    first_step: int
    losses: np.ndarray  # float32, losses[i] belongs to step first_step + i
    step: int
    total_steps: int
    epoch: int
    elapsed: float
    steps_per_s: float
    eta: float | None
    accuracy: float | None = None
    memory: tuple[int, int] | None = None  # CUDA allocated, reserved (bytes)
    gpu: dict[str, float] | None = None  # NVML utilisation %, temperature C
    boundary: Boundary | None = None
    paused: bool = False
    final: bool = False
    stopped: bool = False
    error: str | None = None
    world_size: int = 1
    global_batch: int = 0
    backend: str = ""
    val_loss: float | None = None  # on at most 1,024 held-out samples, no_grad
    val_accuracy: float | None = None
    layers: list[LayerStat] | None = None
    lr: float | None = None  # the optimizer's rate now (a schedule moves it)
    memory_peak: int | None = None  # CUDA max allocated (bytes)
    samples_per_s: float = 0.0
    #: The first Conv2d's filters, while the app shows them (``TrainView``), <= 2/s.
    filters: Picture | None = None


def merged(earlier: Report, later: Report) -> Report | None:
    """One report for two in a row (the later one's figures, both one's losses), or None
    when ``later`` does not follow on from ``earlier``'s last step."""
    import numpy as np

    if later.first_step != earlier.first_step + len(earlier.losses):
        return None
    losses = np.concatenate(
        [np.asarray(earlier.losses, np.float32), np.asarray(later.losses, np.float32)]
    )
    kept = {
        name: getattr(earlier, name)
        for name in ("boundary", "val_loss", "val_accuracy", "layers", "lr", "filters")
        if getattr(later, name) is None
    }
    return replace(later, first_step=earlier.first_step, losses=losses, **kept)


@dataclass
class Summary:
    steps: int
    steps_per_s: float
    final_loss: float | None
    accuracy: float | None
    device: str
    elapsed: float
    stopped: bool = False
    error: str | None = None
    world_size: int = 1
    global_batch: int = 0
    samples_per_s: float = 0.0
    backend: str = ""
    val_loss: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["steps_per_s"] = round(self.steps_per_s, 1)
        d["elapsed"] = round(self.elapsed, 3)
        if self.final_loss is not None:
            d["final_loss"] = float(f"{self.final_loss:.6g}")
        if self.accuracy is not None:
            d["accuracy"] = round(self.accuracy, 4)
        if self.val_loss is not None:
            d["val_loss"] = float(f"{self.val_loss:.6g}")
        else:
            del d["val_loss"]
        if self.world_size <= 1:
            for key in ("world_size", "global_batch", "samples_per_s", "backend"):
                del d[key]
        else:
            d["samples_per_s"] = round(self.samples_per_s, 1)
        return d


ReportFn = Callable[[Report], object]


@dataclass
class RunInfo:
    """What a runner will train, before its first report (the dashboard's TrainBegun)."""

    label: str
    device: str
    total_steps: int
    epochs: int
    two_d: bool
    lr: float | None
    config: dict[str, Any] = field(default_factory=dict)


# -- the one report implementation ----------------------------------------------------


class Reporter:
    """A run's reports: batch the losses, evaluate now and then, call ``on_report``.

    The loop appends each step's loss tensor to ``pending`` and calls ``flush(step)`` once
    the clock passes ``next_report``; ``pause``/``resume`` keep paused time out of the
    rates. ``flush`` returns False once the loss is NaN/Inf (the run must stop).
    """

    def __init__(
        self,
        job: Job,
        on_report: ReportFn,
        per_epoch: int,
        report_every: float = 0.1,
        eval_every: float = 1.0,
        grid: tuple[int, int] = BOUNDARY_GRID,
        gpu_stats: Callable[[], dict[str, float] | None] | None = None,
        world_size: int = 1,
        global_batch: int = 0,
        backend: str = "",
        view: ViewFn | None = None,
    ) -> None:
        self.job, self.on_report = job, on_report
        self.total, self.per_epoch = job.total_steps, per_epoch
        self.report_every, self.eval_every, self.grid = report_every, eval_every, grid
        self.gpu_stats = gpu_stats
        self.world_size, self.global_batch, self.backend = world_size, global_batch, backend
        self.pending: list = []
        self.first = 1
        self.start = time.perf_counter()
        self.paused_for = 0.0
        self._paused_at: float | None = None
        self.last_report = self.start
        self.next_report = self.start + report_every
        #: Reports come every ``report_every`` seconds, and at least ``MIN_REPORTS``
        #: times a run, so a run of a second still draws its validation curve.
        self.every_steps = max(1, self.total // MIN_REPORTS)
        self.next_step = self.every_steps
        self.last_eval = -math.inf
        self.rate_step = 0
        self.last_step = 0
        self.final_loss: float | None = None
        self.accuracy: float | None = None
        self.error: str | None = None
        #: The boundary's grid points (on the device) and what stays the same between
        #: evaluations (extent, sample points, their labels): made at the first one.
        self._grid: tuple[torch.Tensor, tuple[Any, ...]] | None = None
        #: What failed and was logged already (once a run, not at every report).
        self._said: set[str] = set()
        self.probe = Probe(job, self.total)
        self.val_loss: float | None = None
        self.batch = max(1, min(job.batch_size, len(job.X))) if global_batch <= 0 else global_batch
        self.filters = None
        if view is not None:
            from tui.training.filter_snapshots import FilterFeed

            self.filters = FilterFeed(job.model, view)

    def before_step(self, step: int = 0, now_anyway: bool = False) -> None:
        """A report follows this step: the probe keeps the weights if it will look."""
        self.probe.before_step(step, now_anyway)

    def active(self, now: float) -> float:
        return max(1e-9, now - self.start - self.paused_for)

    def add(self, loss, step: int) -> bool:
        self.pending.append(loss.detach())
        if time.perf_counter() >= self.next_report or step >= self.next_step:
            return self.flush(step)
        return True

    def pause(self, step: int) -> None:
        self.flush(step, paused=True)
        self._paused_at = time.perf_counter()

    def resume(self) -> None:
        now = time.perf_counter()
        if self._paused_at is not None:
            self.paused_for += now - self._paused_at
            self._paused_at = None
        self.last_report = now
        self.next_report = now + self.report_every

    def flush(
        self, step: int, paused: bool = False, final: bool = False, stopped: bool = False
    ) -> bool:
        """Fetch the pending losses in one go and report. False when the run must stop."""
        import numpy as np
        import torch

        if self.error is not None:  # the NaN report was the final one
            return False
        now = time.perf_counter()
        first = self.first
        if self.pending:
            losses = torch.stack(self.pending).float().cpu().numpy()
            self.pending.clear()
        else:
            losses = np.empty(0, dtype=np.float32)
        self.first = first + len(losses)
        error = None
        bad = np.flatnonzero(~np.isfinite(losses))
        if len(bad):
            at = first + int(bad[0])
            kind = "NaN" if math.isnan(float(losses[bad[0]])) else "Inf"
            lr = self.job.lr
            hint = f"try a smaller lr (e.g. {lr / 10:g})" if lr else "try a smaller lr"
            error = f"loss became {kind} at step {at}: training stopped; {hint}"
            losses, step, final, self.error = losses[: bad[0]], at - 1, True, error
        if len(losses):
            self.final_loss = float(losses[-1])
        self.last_step = step
        elapsed = self.active(now)
        window = now - self.last_report
        rate = (step - self.rate_step) / window if window > 0 else 0.0
        self.rate_step, self.last_report = step, now
        self.next_report = now + self.report_every
        self.next_step = step + self.every_steps
        overall = step / elapsed if elapsed > 0 else 0.0
        eta = 0.0 if final else ((self.total - step) / overall if overall > 0 else None)
        boundary = memory = gpu = None
        if (final or now - self.last_eval >= self.eval_every) and error is None:
            self.last_eval = now
            self.accuracy, boundary = self.evaluate()
            gpu = self.gpu_stats() if self.gpu_stats else None
        device = self.job.device
        peak = None
        if device.startswith("cuda"):
            memory = (torch.cuda.memory_allocated(device), torch.cuda.memory_reserved(device))
            peak = torch.cuda.max_memory_allocated(device)
        look = self.probe.take(step, final or paused) if error is None and step else None
        if look is not None and look.val_loss is not None:
            self.val_loss = look.val_loss
        filters = self.filters.take(now) if self.filters is not None and error is None else None
        steps_per_s = max(0.0, overall if final else rate)
        report = Report(
            first_step=first,
            losses=losses,
            step=step,
            total_steps=self.total,
            epoch=(step - 1) // self.per_epoch + 1 if step else 0,
            elapsed=elapsed,
            steps_per_s=steps_per_s,
            eta=eta,
            accuracy=self.accuracy,
            memory=memory,
            gpu=gpu,
            boundary=boundary,
            paused=paused,
            final=final,
            stopped=stopped or error is not None,
            error=error,
            world_size=self.world_size,
            global_batch=self.global_batch,
            backend=self.backend,
            val_loss=look.val_loss if look else None,
            val_accuracy=look.val_accuracy if look else None,
            layers=look.layers if look else None,
            lr=self.job.lr,
            memory_peak=peak,
            samples_per_s=steps_per_s * self.batch,
            filters=filters,
        )
        try:
            self.on_report(report)
        except Exception:  # noqa: BLE001 - a broken receiver must not kill the run
            self._say("report")
        return error is None

    def _say(self, what: str) -> None:
        """Log the exception being handled, the first time ``what`` fails in this run."""
        if what not in self._said:
            self._said.add(what)
            log.warning("a run's %s failed (said once a run)", what, exc_info=True)

    def summary(self, stopped: bool, device: str | None = None) -> Summary:
        elapsed = self.active(time.perf_counter())
        rate = self.last_step / elapsed if elapsed > 0 else 0.0
        return Summary(
            steps=self.last_step,
            steps_per_s=rate,
            final_loss=self.final_loss,
            accuracy=self.accuracy,
            device=device or self.job.device,
            elapsed=elapsed,
            stopped=stopped or self.error is not None,
            error=self.error,
            world_size=self.world_size,
            global_batch=self.global_batch,
            samples_per_s=rate * self.batch,
            backend=self.backend,
            val_loss=self.val_loss,
        )

    # -- evaluation (no gradients) -------------------------------------------------------
    def evaluate(self) -> tuple[float | None, Boundary | None]:
        """Accuracy on up to 1024 samples and the boundary grid (2-D sets)."""
        import torch

        job = self.job
        if job.decision is None:
            return None, None
        model = job.model
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                Xe, ye = job.X[:1024], job.y[:1024]
                pred = labels_of(job.decision, model(Xe))
                target = ye.reshape(pred.shape) if job.decision != "argmax" else ye
                acc = float((pred == target.to(pred.dtype)).float().mean())
                boundary = self._boundary() if job.two_d else None
        except Exception:  # noqa: BLE001 - the learner's model may fail in eval mode: no figures
            self._say("evaluation")
            return None, None
        finally:
            model.train(was_training)
        return acc, boundary

    def _boundary(self) -> Boundary:
        import numpy as np
        import torch

        job = self.job
        rows, cols = self.grid
        if self._grid is None:
            X = job.X.float()
            lo, hi = X.min(0).values.cpu(), X.max(0).values.cpu()
            pad = (hi - lo) * 0.08 + 1e-3
            lo, hi = lo - pad, hi + pad
            gx = torch.linspace(float(lo[0]), float(hi[0]), cols)
            gy = torch.linspace(float(hi[1]), float(lo[1]), rows)
            yy, xx = torch.meshgrid(gy, gx, indexing="ij")
            grid_points = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1).to(job.device)
            sample = torch.randperm(len(job.X), generator=torch.Generator().manual_seed(0))[:400]
            pts = job.X[sample.to(job.device)].float().cpu().numpy()
            lab = job.y[sample.to(job.device)].reshape(len(sample), -1)[:, 0].cpu().numpy()
            extent = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
            self._grid = (grid_points, (extent, pts, np.rint(lab).astype(np.int64)))
        points, static = self._grid
        out = torch.cat([job.model(part) for part in points.split(BOUNDARY_CHUNK)])
        if job.decision == "argmax":
            probs = torch.softmax(out.float(), dim=1)
            conf, cls = probs.max(dim=1)
            n_classes = out.shape[1]
        else:
            p = torch.sigmoid(out.float()) if job.decision == "logit" else out.float()
            p = p.reshape(-1)
            cls = (p > 0.5).long()
            conf = torch.where(cls == 1, p, 1 - p)
            n_classes = 2
        extent, pts, lab = static
        return Boundary(
            extent=extent,
            classes=cls.reshape(rows, cols).cpu().numpy().astype(np.int8),
            confidence=conf.reshape(rows, cols).cpu().double().numpy().round(2),
            points=pts,
            point_classes=lab,
            n_classes=int(n_classes),
        )
