"""The architecture rules, checked: the import graph (layers, no cycles), the folders (by
feature, not by name prefix), the domain never importing textual, the app never torch."""

import ast
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

TUI = Path(__file__).parents[1] / "tui"
#: The domain packages: plain logic that never imports textual.
DOMAIN = ("platform", "tensors", "lessons", "training", "runs", "protocol", "console")
#: The layers, lowest first: a package imports only from its own layer's packages and
#: the layers below. Within a layer, packages do not import each other.
LAYERS = [
    ("platform",),
    ("tensors", "lessons"),
    ("training",),
    ("runs", "protocol"),
    ("console",),
    ("kernel", "agent"),
    ("ui.common",),
    ("ui.inspector", "ui.lessons", "ui.dashboard"),
    ("ui.repl",),
    ("ui.screens",),
    ("ui",),
    ("cli",),
]
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
    "markdown_it",  # lessons and their prose (Prose)
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


# -- the import graph, read from the source -----------------------------------------------
def _module_name(path: Path) -> str:
    parts = list(path.relative_to(TUI.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _graph() -> dict[str, set[str]]:
    """Every import of ``tui`` modules, lazy and TYPE_CHECKING ones included."""
    files = {_module_name(p): p for p in TUI.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in files.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target.startswith("tui") and target not in (name, "tui"):
                    graph[name].add(target)
    return graph


def _package(module: str) -> str:
    """The package a module belongs to, as LAYERS names it (``ui.repl``, ``training``)."""
    parts = module.split(".")[1:]
    if parts[0] == "ui" and len(parts) > 1 and (TUI / "ui" / parts[1]).is_dir():
        return "ui." + parts[1]
    return parts[0]


def _layer(package: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if package in names)


def test_every_package_has_a_layer():
    packages = {_package(m) for m in _graph()} | {
        _package(t) for ts in _graph().values() for t in ts
    }
    packages -= {"__main__"}
    assert not [p for p in packages if not any(p in names for names in LAYERS)]


def test_nothing_imports_upward_or_across_its_layer():
    wrong = []
    for module, targets in _graph().items():
        here = _package(module)
        if here == "__main__":
            continue
        for target in targets:
            there = _package(target)
            if there != here and _layer(there) >= _layer(here):
                wrong.append(f"{module} -> {target}")
    assert not wrong


def test_no_import_cycles():
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = stack[stack.index(v) :]
            del stack[stack.index(v) :]
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    assert not cycles


def test_folders_are_by_feature():
    """No folder of more than 15 modules, no 4 modules sharing a name prefix in place of a
    folder, and no two modules with the same name."""
    by_folder: dict[Path, list[str]] = defaultdict(list)
    for path in TUI.rglob("*.py"):
        if path.name not in ("__init__.py", "__main__.py"):
            by_folder[path.parent].append(path.stem)
    assert max(len(stems) for stems in by_folder.values()) <= 15
    for folder, stems in by_folder.items():
        prefixes = Counter(s.split("_")[0] for s in stems)
        assert not [p for p, n in prefixes.items() if n >= 4], folder
    names = Counter(stem for stems in by_folder.values() for stem in stems)
    assert not [name for name, n in names.items() if n > 1]
