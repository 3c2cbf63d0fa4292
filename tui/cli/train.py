"""``torch-tui train``: the dashboard's Trainer without the UI, for a box with no terminal.

Prints a progress line (rewritten in place on a terminal, an occasional plain line
otherwise: never one line per step) and then one line of JSON with the summary.
Bad options exit 2 with one line (``UsageError``), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from typing import TextIO

from tui.training.config import ACTIVATIONS, INITS, LOSSES, OPTIMIZERS, SCHEDULES, TrainConfig

_DEFAULTS = TrainConfig()


def add_parser(sub: argparse._SubParsersAction) -> None:
    from tui.training.datasets import DATASETS

    p = sub.add_parser(
        "train",
        help="train without the UI",
        description="Train a playground model headless and print a JSON summary line.",
    )
    p.add_argument("--dataset", choices=list(DATASETS), default=_DEFAULTS.dataset)
    p.add_argument("--samples", default=_DEFAULTS.samples, metavar="N")
    p.add_argument("--noise", default=_DEFAULTS.noise, metavar="X")
    p.add_argument(
        "--hidden",
        default=",".join(map(str, _DEFAULTS.hidden)),
        metavar="W,W",
        help="hidden layer widths, e.g. 16,16 (none for a linear model)",
    )
    p.add_argument("--activation", choices=ACTIVATIONS, default=_DEFAULTS.activation)
    p.add_argument("--loss", choices=LOSSES, default=_DEFAULTS.loss)
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=_DEFAULTS.optimizer)
    p.add_argument("--lr", default=_DEFAULTS.lr, metavar="X")
    p.add_argument("--momentum", default=_DEFAULTS.momentum, metavar="X")
    p.add_argument("--weight-decay", dest="weight_decay", default=_DEFAULTS.weight_decay)
    p.add_argument("--batch-size", dest="batch_size", default=_DEFAULTS.batch_size, metavar="N")
    p.add_argument("--seed", default=_DEFAULTS.seed, metavar="N")
    p.add_argument(
        "--train-share",
        dest="train_share",
        default=_DEFAULTS.train_share,
        metavar="X",
        help="share of the data to train on, the rest validates (0.8, or 80%%; 1 for none)",
    )
    p.add_argument("--init", choices=INITS, default=_DEFAULTS.init, help="weight initialisation")
    p.add_argument(
        "--dropout", default=_DEFAULTS.dropout, metavar="P", help="after each activation"
    )
    p.add_argument("--schedule", choices=SCHEDULES, default=_DEFAULTS.schedule, help="lr schedule")
    p.add_argument(
        "--device",
        default=argparse.SUPPRESS,  # keep a top-level ``torch-tui --device X train``
        help="cpu, cuda, cuda:N or mps (default: cpu)",
    )
    p.add_argument(
        "--ddp",
        type=int,
        default=None,
        metavar="N",
        help="data parallel: train with DistributedDataParallel on N worker processes "
        "(gloo on cpu, nccl on cuda:k..k+N-1)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        metavar="N",
        help="torch cpu threads (default: cores-1)",
    )
    p.add_argument(
        "--export",
        default=None,
        metavar="DIR",
        help="afterwards write config.json, history.csv, model.pt (a state_dict) and train.py "
        "(plain PyTorch that reruns this run) into DIR",
    )
    length = p.add_mutually_exclusive_group()
    length.add_argument("--steps", default=None, metavar="N", help="optimizer steps to run")
    length.add_argument("--epochs", default=_DEFAULTS.epochs, metavar="N")
    p.set_defaults(handler=run)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """A validated TrainConfig, or UsageError with every bad value in one line."""
    from tui.cli.args import UsageError
    from tui.training.config import ConfigError

    raw = {
        name: getattr(args, name)
        for name in (
            "dataset",
            "samples",
            "noise",
            "hidden",
            "activation",
            "loss",
            "optimizer",
            "lr",
            "momentum",
            "weight_decay",
            "batch_size",
            "epochs",
            "steps",
            "seed",
            "device",
            "train_share",
            "init",
            "dropout",
            "schedule",
        )
    }
    try:
        return TrainConfig.from_mapping(raw)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


class Progress:
    """The progress line: ``\\r``-rewritten on a tty, else a line every few seconds."""

    def __init__(self, out: TextIO, every: float = 5.0) -> None:
        self.out = out
        self.tty = out.isatty()
        self.every = every if not self.tty else 0.2
        self.last = -1e9
        self.width = 0
        self.loss: float | None = None

    def __call__(self, report) -> None:
        if len(report.losses):
            self.loss = float(report.losses[-1])
        now = time.monotonic()
        if not report.final and now - self.last < self.every:
            return
        self.last = now
        loss = f"{self.loss:.4g}" if self.loss is not None else "-"
        val = f"  val {report.val_loss:.4g}" if report.val_loss is not None else ""
        acc = f"  acc {report.accuracy:.1%}" if report.accuracy is not None else ""
        pct = report.step / report.total_steps if report.total_steps else 1.0
        eta = f"  eta {report.eta:.0f}s" if report.eta else ""
        line = (
            f"step {report.step}/{report.total_steps} ({pct:.0%})  epoch {report.epoch}  "
            f"loss {loss}{val}{acc}  {report.steps_per_s:,.0f} steps/s{eta}"
        )
        if self.tty:
            pad = max(0, self.width - len(line))
            self.out.write("\r" + line + " " * pad)
            self.width = len(line)
            if report.final:
                self.out.write("\n")
        else:
            self.out.write(line + "\n")
        self.out.flush()


def run(args: argparse.Namespace) -> int:
    from tui.cli.args import UsageError
    from tui.training.config import ConfigError
    from tui.training.job import build_job
    from tui.training.loop import Trainer

    config = config_from_args(args)
    if args.export and args.ddp is not None:
        raise UsageError("--export does not go with --ddp: the model stays in the workers")
    export_dir = _export_dir(args.export) if args.export else None
    if args.threads is not None:
        from tui.platform.devices import usable_cores

        cores = usable_cores()
        if args.threads < 1:
            raise UsageError("--threads must be 1 or more")
        if args.threads > cores:
            raise UsageError(
                f"--threads {args.threads} is more than the {cores} core(s) here: extra "
                f"threads only wait on each other and slow training down; use 1 to {cores}"
            )
    if args.ddp is not None:
        return run_ddp(config, args)
    check_memory(config)
    stop = threading.Event()
    previous = signal.getsignal(signal.SIGINT)
    main_thread = threading.current_thread() is threading.main_thread()

    def on_sigint(signum, frame) -> None:  # first ctrl+c stops cleanly, with a summary
        stop.set()
        signal.signal(signal.SIGINT, previous)  # a second one leaves at once

    if main_thread:  # from here on: while the model is built, too
        signal.signal(signal.SIGINT, on_sigint)
    from tui.cli.train_coach import CoachPrinter, both

    try:
        try:
            job = build_job(config)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        progress = Progress(sys.stderr)
        coach = CoachPrinter(config.to_dict(), sys.stderr, progress)
        summary = Trainer(job, both(progress, coach), stop=stop, threads=args.threads).run()
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - torch, the OS or a driver failing: said in one line
        print(f"torch-tui: training failed: {one_line(exc)}", file=sys.stderr)
        return 1
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous)
    print(json.dumps(summary.to_dict()), flush=True)
    if export_dir is not None:
        _export(export_dir, config, coach.run, job, summary)
    return exit_code(summary, stop.is_set())


#: The shell's code for a command ended by ctrl+c (128 + SIGINT).
EXIT_INTERRUPTED = 130


def exit_code(summary, interrupted: bool) -> int:
    """1 after an error (said on stderr), 130 after a ctrl+c, else 0."""
    if summary.error:
        print(f"torch-tui: {summary.error}", file=sys.stderr)
        return 1
    return EXIT_INTERRUPTED if interrupted else 0


def one_line(exc: BaseException) -> str:
    """``Type: first line of the message`` (a MemoryError has none: its name says it)."""
    from tui.training.parallel_worker import one_line as first_line

    return first_line(exc)


def free_memory(device: str) -> int | None:
    """Bytes free where the run would train: RAM on the cpu, the GPU's free memory on
    cuda (torch's ``mem_get_info``), None where unknown (mps)."""
    from tui.training.memory import ram_available

    if device == "cpu":
        return ram_available()
    if device.startswith("cuda"):
        try:
            import torch

            if torch.cuda.is_available():
                return int(torch.cuda.mem_get_info(torch.device(device))[0])
        except RuntimeError:  # a CUDA error: no figure, let torch say what it says later
            return None
    return None


def check_memory(config: TrainConfig, workers: int = 1) -> None:
    """UsageError (one line, exit 2) when the run cannot fit in the memory free for it."""
    from tui.cli.args import UsageError
    from tui.training.memory import fit_problem

    problem = fit_problem(config, free_memory(config.device), workers)
    if problem:
        raise UsageError(problem)


def _export_dir(raw: str):
    """The folder to export into (made if missing); UsageError when it cannot be."""
    from pathlib import Path

    from tui.cli.args import UsageError

    path = Path(raw).expanduser()
    if path.exists() and not path.is_dir():
        raise UsageError(f"--export {raw}: that is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--export {raw}: {exc.strerror or exc}") from None
    return path


def _export(path, config, run, job, summary) -> None:
    """The dashboard's export, headless: the same four files."""
    from tui.platform import state
    from tui.runs.export import history_csv, save_model
    from tui.runs.script import write_script

    meta = {**config.to_dict(), "summary": summary.to_dict()}
    state.atomic_write_json(path / "config.json", meta)
    history = history_csv(run.series.raw(), run.series.first_step, run.metrics)
    state.atomic_write_text(path / "history.csv", history)
    save_model(job.model, path / "model.pt")
    write_script(path, config.to_dict())
    print(f"torch-tui: exported to {path} (python {path / 'train.py'} reruns it)", file=sys.stderr)


def run_ddp(config: TrainConfig, args: argparse.Namespace) -> int:
    """``--ddp N``: the run on N worker processes (DDPRunner). One line on what data
    parallelism does here, the same progress line, then the JSON summary (with
    world_size, global_batch and samples_per_s); ctrl+c as for one process."""
    from tui.cli.args import UsageError
    from tui.training.config import ConfigError
    from tui.training.parallel import DDPRunner

    stop = threading.Event()
    try:
        runner = DDPRunner(config, args.ddp, Progress(sys.stderr), stop=stop, threads=args.threads)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    check_memory(config, runner.world_size)
    previous = signal.getsignal(signal.SIGINT)
    main_thread = threading.current_thread() is threading.main_thread()

    def on_sigint(signum, frame) -> None:  # first ctrl+c: stop every worker, keep the summary
        stop.set()
        signal.signal(signal.SIGINT, previous)

    if main_thread:  # before the line below: a ctrl+c right after it stops cleanly
        signal.signal(signal.SIGINT, on_sigint)
    print(
        f"data parallel: {runner.world_size} workers ({runner.backend}) on "
        f"{', '.join(runner.devices)}; global batch {runner.global_batch} "
        f"({config.batch_size} per worker)",
        file=sys.stderr,
        flush=True,
    )
    try:
        summary = runner.run()
    except Exception as exc:  # noqa: BLE001 - torch or the OS failing in the parent: one line
        print(f"torch-tui: data parallel failed: {one_line(exc)}", file=sys.stderr)
        return 1
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous)
    print(json.dumps(summary.to_dict()), flush=True)
    return exit_code(summary, stop.is_set())
