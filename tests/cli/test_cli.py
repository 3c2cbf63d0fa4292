import subprocess
import sys

import pytest

from tui.cli import main


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=60
    )


def test_version_names_torch_tui_textual_and_torch():
    out = run_cli("--version")
    assert out.returncode == 0
    assert "torch-tui" in out.stdout and "textual" in out.stdout and "torch " in out.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["--device", "banana"], "unknown device 'banana'"),
        (["--lessons-dir", "/no/such/dir"], "does not exist"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_values_print_one_line_and_exit_2(args, words, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert words in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_help_exits_0():
    out = run_cli("--help")
    assert out.returncode == 0 and "--device" in out.stdout
