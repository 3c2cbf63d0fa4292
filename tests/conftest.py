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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """A test still running after ``HANG_LIMIT_S`` prints all stacks and exits the run."""
    faulthandler.dump_traceback_later(HANG_LIMIT_S, exit=True, file=item.config.stash[_REPORT_FD])
    try:
        return (yield)
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def tmp_home(tmp_path, monkeypatch):
    """Point all torch-tui paths (platformdirs) at a fresh temp folder."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("TORCH_TUI_HOME", str(home))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    return home


@pytest.fixture(scope="session")
def shared_kernel(tmp_path_factory):
    """One kernel process for the UI tests that do not need a fresh one (each app resets
    its namespace on connect and never kills it)."""
    from tui.kernel.launch import spawn_kernel

    home = tmp_path_factory.mktemp("kernel-home")
    old = os.environ.get("TORCH_TUI_HOME")
    os.environ["TORCH_TUI_HOME"] = str(home)
    try:
        process = spawn_kernel()
    finally:
        if old is None:
            os.environ.pop("TORCH_TUI_HOME", None)
        else:
            os.environ["TORCH_TUI_HOME"] = old
    yield process
    process.kill()


@pytest.fixture
def make_app(shared_kernel):
    """``make_app(**kwargs)``: a TorchTUI on the shared kernel."""
    from tui.app import TorchTUI

    def make(**kwargs):
        kwargs.setdefault("kernel", shared_kernel)
        kwargs.setdefault("keep_kernel", kwargs["kernel"] is shared_kernel)
        return TorchTUI(**kwargs)

    return make
