"""The architecture rules, checked: core never imports textual; the app never imports torch."""

import subprocess
import sys
from pathlib import Path

import pytest

TUI = Path(__file__).parents[1] / "tui"
#: The domain packages: plain logic that never imports textual.
DOMAIN = ("platform", "protocol", "tensors", "lessons", "training", "runs", "console")
CORE = sorted(
    f"{pkg}.{p.stem}" for pkg in DOMAIN for p in (TUI / pkg).glob("*.py") if p.stem != "__init__"
)


def _modules_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_importing_the_app_does_not_import_torch():
    mods = _modules_after_import("tui.ui.app")
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
    "tui.ui.inspector.inspector_panel",
    "tui.ui.repl.cell_input",
    "tui.ui.lessons.picker",
]


def test_the_first_frame_waits_for_no_heavy_import():
    """What ``torch-tui`` imports before its first frame: the CLI, then the app."""
    mods = _modules_after_import("tui.cli, tui.ui.app")
    assert not [name for name in NOT_BEFORE_FIRST_FRAME if name in mods]


@pytest.mark.parametrize("name", CORE)
def test_core_module_does_not_import_textual(name):
    mods = _modules_after_import(f"tui.{name}")
    assert not any(m == "textual" or m.startswith("textual.") for m in mods)


APP_AND_KERNEL = """
import asyncio, sys, time
from pathlib import Path
from tui.ui.app import TorchTUI

async def main():
    app = TorchTUI(device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        deadline = time.monotonic() + 120
        while not app.kernel.ready:
            assert time.monotonic() < deadline, "the kernel never got ready"
            await pilot.pause(0.05)
        repl = app.screen.query_one("#repl")
        repl.run_source("t = torch.ones(3, 4) * 2\\nt")
        while repl.last_outcome is None or repl.last_outcome.payload is None:
            assert time.monotonic() < deadline, "no card came back"
            await pilot.pause(0.05)
        maps = lambda pid: Path(f"/proc/{pid}/maps").read_text()
        print("card", repl.last_outcome.payload.cards[0].shape)
        print("app torch", "torch" in sys.modules, "libtorch" in maps("self"))
        print("kernel torch", "libtorch" in maps(app.kernel.pid))

asyncio.run(main())
"""


def test_torch_lives_in_the_kernel_and_never_in_the_app(tmp_home):
    """Once the kernel is ready and a tensor card has come back: no torch module and no
    libtorch mapped in the app's process; libtorch mapped in the kernel's."""
    out = subprocess.run(
        [sys.executable, "-c", APP_AND_KERNEL], capture_output=True, text=True, timeout=300
    )
    assert "card [3, 4]" in out.stdout, out.stdout + out.stderr[-2000:]
    assert "app torch False False" in out.stdout
    assert "kernel torch True" in out.stdout
