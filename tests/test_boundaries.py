"""The architecture rules, checked: core never imports textual; the app never imports torch."""

import subprocess
import sys
from pathlib import Path

import pytest

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
