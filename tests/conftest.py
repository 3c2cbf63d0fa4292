"""Shared fixtures: every test gets its own state home, never the real one. And a hang
ends the run with every thread's stack instead of running into CI's time limit."""

from __future__ import annotations

import faulthandler
import os
import sys

import pytest

#: No test here takes a minute; one that takes this long is stuck (a frozen app once
#: kept CI busy for 90 minutes and said nothing). Overridable for a very slow box.
HANG_LIMIT_S = float(os.environ.get("TORCH_TUI_TEST_HANG_LIMIT", "300"))
_REPORT_FD = pytest.StashKey[int]()


def pytest_configure(config) -> None:
    # The terminal's stderr, kept before output capture swaps it for a file.
    config.stash[_REPORT_FD] = os.dup(sys.stderr.fileno())
    config.addinivalue_line(
        "markers", "fresh_kernel: the test's apps start kernels of their own (crash tests)"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """A test still running after ``HANG_LIMIT_S`` prints all stacks and exits the run."""
    faulthandler.dump_traceback_later(HANG_LIMIT_S, exit=True, file=item.config.stash[_REPORT_FD])
    try:
        return (yield)
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="session")
def _matplotlib_config(tmp_path_factory):
    """One matplotlib folder for the run: its font cache takes seconds to build (more
    under load), once, not in every test's fresh home."""
    return tmp_path_factory.mktemp("matplotlib")


@pytest.fixture(autouse=True)
def tmp_home(tmp_path, monkeypatch, _matplotlib_config):
    """Point all torch-tui paths (platformdirs) at a fresh temp folder."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("TORCH_TUI_HOME", str(home))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("MPLCONFIGDIR", str(_matplotlib_config))
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    return home


class _SharedKernel:
    """One kernel process for the app tests that do not need a fresh one: each app resets
    its namespace on connect and never kills it. Respawned if a test killed it."""

    def __init__(self, home) -> None:
        self.home = home
        self.process = None

    def get(self):
        from tui.kernel.launch import spawn_kernel

        if self.process is None or self.process.poll() is not None:
            old = os.environ.get("TORCH_TUI_HOME")
            os.environ["TORCH_TUI_HOME"] = str(self.home)
            try:
                self.process = spawn_kernel()
            finally:
                if old is None:
                    os.environ.pop("TORCH_TUI_HOME", None)
                else:
                    os.environ["TORCH_TUI_HOME"] = old
        return self.process


@pytest.fixture(scope="session")
def _shared(tmp_path_factory):
    shared = _SharedKernel(tmp_path_factory.mktemp("kernel-home"))
    yield shared
    if shared.process is not None:
        shared.process.kill()


@pytest.fixture(autouse=True)
def _apps_share_a_kernel(request, monkeypatch):
    """A TorchTUI made in a test uses the shared kernel unless the test passes
    ``kernel=None`` (a fresh kernel of its own: crash tests) or its own process."""
    if "fresh_kernel" in request.keywords:
        return
    import tui.ui.app

    shared = request.getfixturevalue("_shared")
    original = tui.ui.app.TorchTUI.__init__

    def init(self, *args, **kwargs):
        if "kernel" not in kwargs and kwargs.get("existing") is None:
            kwargs["kernel"] = shared.get()
            kwargs.setdefault("keep_kernel", True)
        original(self, *args, **kwargs)

    monkeypatch.setattr(tui.ui.app.TorchTUI, "__init__", init)


@pytest.fixture
def shared_kernel(_shared):
    """The shared kernel's process (respawned if a test killed it)."""
    return _shared.get()


@pytest.fixture
def make_app():
    """``make_app(**kwargs)``: a TorchTUI (on the shared kernel unless told otherwise)."""
    from tui.ui.app import TorchTUI

    return lambda **kwargs: TorchTUI(**kwargs)
