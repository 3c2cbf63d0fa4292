"""``torch-tui train --ddp 2 --device cpu``: two gloo workers train and the command ends cleanly."""

from __future__ import annotations

import json
import subprocess
import sys

from tui.cli import main


def test_train_ddp_2_on_cpu_trains_with_two_gloo_workers(tmp_home):
    out = subprocess.run(
        [sys.executable, "-m", "tui", "train", "--ddp", "2", "--device", "cpu", "--steps", "40"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["world_size"] == 2 and summary["backend"] == "gloo"
    assert summary["global_batch"] == 2 * 64 and summary["steps"] == 40
    assert summary["error"] is None and not summary["stopped"]
    assert "data parallel: 2 workers (gloo)" in out.stderr


def test_bad_ddp_counts_are_one_line_and_exit_2(capsys):
    assert main(["train", "--ddp", "0", "--steps", "5"]) == 2
    err = capsys.readouterr().err
    assert "1 to 64 workers" in err and err.count("\n") == 1


def test_top_level_device_reaches_train():
    from tui.cli import build_parser

    args = build_parser().parse_args(["--device", "cpu", "train", "--ddp", "2"])
    assert args.device == "cpu" and args.ddp == 2
