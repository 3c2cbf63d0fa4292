"""The architecture rules, checked: core never imports textual; the app never imports torch."""

import subprocess
import sys
from pathlib import Path

import pytest

from ui.pilot_wait import wait_for

CORE = sorted(p.stem for p in (Path(__file__).parents[1] / "tui" / "core").glob("*.py"))


def _modules_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_importing_the_app_does_not_import_torch():
    mods = _modules_after_import("tui.app")
    assert "textual" in mods
    assert "torch" not in mods


#: Imported where first used, after the first frame: together ~0.2 s on a 2-core box.
NOT_BEFORE_FIRST_FRAME = [
    "torch",
    "numpy",
    "jupyter_client",  # the kernel is spawned before; the client connects after
    "zmq",
    "plotext",
    "markdown_it",  # lessons and the Markdown widget
    "yaml",  # lesson front matter
    "pygments",  # highlighting
    "rich.pretty",  # RichLog (the REPL log)
    "pydoc",  # help()
    "importlib.metadata",  # --version
    "tui.widgets.inspector",
    "tui.widgets.repl_input",
    "tui.screens.lesson_picker",
]


def test_the_first_frame_waits_for_no_heavy_import():
    """What ``torch-tui`` imports before its first frame: the CLI, then the app."""
    mods = _modules_after_import("tui.cli, tui.app")
    assert not [name for name in NOT_BEFORE_FIRST_FRAME if name in mods]


@pytest.mark.parametrize("name", [n for n in CORE if n != "__init__"])
def test_core_module_does_not_import_textual(name):
    mods = _modules_after_import(f"tui.core.{name}")
    assert not any(m == "textual" or m.startswith("textual.") for m in mods)


def _maps(pid: int | str) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.fresh_kernel
async def test_torch_lives_in_the_kernel_and_never_in_the_app():
    """Once the kernel is ready and a tensor card has been shown: no torch module and no
    libtorch mapped in the app's process; both in the kernel's."""
    from tui.app import TorchTUI

    app = TorchTUI(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.kernel.ready, timeout=120, what="the kernel")
        repl = app.screen.query_one("#repl")
        repl.run_source("t = torch.ones(3, 4) * 2\nt")
        await wait_for(pilot, lambda: repl.last_outcome is not None, 60, "the cell")
        assert repl.last_outcome.ok
        assert "torch" not in sys.modules
        assert "libtorch" not in _maps("self")
        assert "libtorch" in _maps(app.kernel.pid)
