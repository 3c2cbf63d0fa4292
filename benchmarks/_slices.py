"""Paired slices for bench_training: two processes take turns on the machine.

The coordinator lets one child run for a slice (SIGCONT), stops it (SIGSTOP), then the
other, and reads each one's optimizer-step counter from shared memory (``Shared``);
a child's kernel, where the dashboard trains, is stopped and continued with it.
"""

from __future__ import annotations

import ctypes
import json
import mmap
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = Path(__file__).with_name("bench_training.py")
SLICE = 1.0  # seconds each process runs per turn
WARM = {"xor": 1000, "mlp": 30}  # steps before the first slice (the bare mode warms too)


class Shared:
    """24 bytes the coordinator, a child and its kernel map: the step counter, a "measure
    lag now" flag, and the pid of the child's kernel (the dashboard trains there: the
    coordinator stops and continues it with the child)."""

    SIZE = 24

    def __init__(self, path: str) -> None:
        self.path = path
        self._file = open(path, "r+b")  # noqa: SIM115 - lives as long as the process
        self._map = mmap.mmap(self._file.fileno(), self.SIZE)
        self.steps = ctypes.c_int64.from_buffer(self._map, 0)
        self.flag = ctypes.c_int64.from_buffer(self._map, 8)
        self.kernel = ctypes.c_int64.from_buffer(self._map, 16)

    @staticmethod
    def create(folder: str, name: str) -> str:
        path = os.path.join(folder, name)
        with open(path, "wb") as f:
            f.write(bytes(Shared.SIZE))
        return path

    def count_optimizer_steps(self) -> None:
        """Every optimizer step of this process adds one (the same hook in every mode)."""
        from torch.optim.optimizer import register_optimizer_step_post_hook

        steps = self.steps

        def counted(optimizer, args, kwargs) -> None:
            steps.value += 1

        register_optimizer_step_post_hook(counted)


class Child:
    """One mode's process, stopped and continued by the coordinator."""

    def __init__(self, mode: str, quick: bool, device: str, folder: str, name: str = "") -> None:
        self.mode = mode
        name = name or mode  # the files' name: two bare processes need two (null test)
        self.path = Shared.create(folder, name)
        self.shared = Shared(self.path)
        self.err = open(os.path.join(folder, name + ".err"), "w+")  # noqa: SIM115
        cmd = [sys.executable, str(SCRIPT), "--child", mode, "--device", device, "--shared"]
        cmd += [self.path] + (["--quick"] if quick else [])
        # stdout is only the final JSON line; stderr to a file, so a pipe never fills
        cpus = {int(c) for c in os.environ.get("BENCH_CPUS", "").split(",") if c}
        self.proc = subprocess.Popen(
            cmd,
            cwd=SCRIPT.parents[1],
            stdout=subprocess.PIPE,
            stderr=self.err,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )

    def failed(self, what: str) -> SystemExit:
        self.err.seek(0)
        return SystemExit(f"{self.mode} {what}:\n{self.err.read()[-2000:]}")

    def warm_then_stop(self, steps: int, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while self.shared.steps.value < steps:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise self.failed("never trained")
            time.sleep(0.02)
        self.stop()

    def _kernel_signal(self, sig: int) -> None:
        """The child's kernel (where the dashboard trains) follows the child."""
        pid = self.shared.kernel.value
        if pid:
            try:
                os.killpg(pid, sig)  # the kernel leads its own group
            except ProcessLookupError:
                pass
            if sig == signal.SIGSTOP:  # not our child: no waitpid, read its state
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline and _state(pid) not in ("T", "t", "X", ""):
                    time.sleep(0.001)

    def stop(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)
        _, status = os.waitpid(self.proc.pid, os.WUNTRACED)  # once it is really stopped
        if not os.WIFSTOPPED(status):  # it had exited: reaped here, so say why now
            raise self.failed(f"exited (status {status}) in the middle of a round")
        self._kernel_signal(signal.SIGSTOP)

    def turn(self, seconds: float) -> tuple[int, float]:
        """Let it run for one slice: the steps it made, and the seconds it had."""
        c0, t0 = self.shared.steps.value, time.perf_counter()
        self._kernel_signal(signal.SIGCONT)
        os.kill(self.proc.pid, signal.SIGCONT)
        time.sleep(seconds)
        self.stop()
        return self.shared.steps.value - c0, time.perf_counter() - t0

    def finish(self, timeout: float = 120.0) -> dict:
        self.shared.flag.value = 1
        self._kernel_signal(signal.SIGCONT)
        os.kill(self.proc.pid, signal.SIGCONT)
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise self.failed("did not finish") from None
        lines = [ln for ln in out.decode().splitlines() if ln.startswith("{")]
        if self.proc.returncode != 0 or not lines:
            raise self.failed("failed")
        return json.loads(lines[-1])

    def kill(self) -> None:
        self._kernel_signal(signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.kill()  # SIGKILL ends a stopped process too
            self.proc.wait()


def _round(net: str, quick: bool, device: str, pairs: int, other: str, last: bool):
    """One pair of fresh processes taking turns: each side's slices, and (last round of
    the dashboard) what its process measured afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        dash = Child(f"{other}-{net}", quick, device, folder)
        bare = Child(f"bare-{net}", quick, device, folder, name="baseline")
        try:
            dash.warm_then_stop(WARM[net])
            bare.warm_then_stop(WARM[net])
            turns: dict[str, list[tuple[int, float]]] = {"bare": [], "dash": []}
            for i in range(pairs):
                for who in ("dash", "bare") if i % 2 == 0 else ("bare", "dash"):
                    turns[who].append((dash if who == "dash" else bare).turn(SLICE))
            bare.kill()  # now, so the dashboard's lag is measured with the box to itself
            result = dash.finish() if other == "dash" and last else {}
        finally:
            bare.kill()
            dash.kill()
    return turns, result


def _state(pid: int) -> str:
    """A process's state letter from /proc ("" once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def _rate(turns: list[tuple[int, float]]) -> float:
    return sum(n for n, _ in turns) / sum(s for _, s in turns)


def paired(
    net: str, quick: bool, device: str, rounds: int, pairs: int, other: str = "dash"
) -> dict:
    """Bare and dashboard (or a control) side by side, taking turns; see the docstring."""
    turns: dict[str, list[tuple[int, float]]] = {"bare": [], "dash": []}
    by_round: list[float] = []
    result: dict = {}
    for r in range(rounds):
        got, measured = _round(net, quick, device, pairs, other, last=r == rounds - 1)
        result |= measured
        by_round.append(_rate(got["dash"]) / _rate(got["bare"]))
        for who in turns:
            turns[who] += got[who]
    # The speed swings from slice to slice, so the rate is each side's steps over all
    # its slices (equal shares of the same minutes); the rounds' spread shows the noise.
    rate = {who: _rate(t) for who, t in turns.items()}
    return {
        **result,
        "ratio": rate["dash"] / rate["bare"],
        "rounds": sorted(by_round),
        "bare": rate["bare"],
        "dash": rate["dash"],
    }
