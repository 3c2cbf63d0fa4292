"""Snapshots of the main screens (look at the SVGs under __snapshots__ before accepting).

pytest tests/ui/screens/test_snapshots.py --snapshot-update   # after a deliberate change
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from textual.widgets import RichLog

import tui.ui.app as app_module
from tui.kernel.events import Ready
from tui.ui.app import TorchTUI


class SnapApp(TorchTUI):
    """The real app, reporting a torch version of "2.x": a snapshot must pass on any torch."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

    def _post_kernel_event(self, event: object, generation: int) -> None:
        if isinstance(event, Ready):
            event = Ready(dataclasses.replace(event.welcome, torch_version="2.x"))
        super()._post_kernel_event(event, generation)


async def _settled(pilot) -> None:
    """Wait until the kernel is up and every pane is built, then let the screen settle."""
    app = pilot.app
    deadline = time.monotonic() + 120

    def built() -> bool:
        panes = [app.screen.query(f"#{name}") for name in ("lessons", "repl", "dashboard")]
        return all(found and found.first().built for found in panes)

    while not (app.kernel.ready and app.torch_info is not None and built()):
        if time.monotonic() > deadline:
            raise AssertionError("the kernel never got ready")
        await pilot.pause(0.05)
    await app.kernel.sync()  # the Ready event has been handled by now, too
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def _settled_with_tensor(pilot) -> None:
    await _settled(pilot)
    repl = pilot.app.screen.query_one("#repl")
    repl.run_source("x = torch.arange(12.).reshape(3, 4)\nx * 2")
    log = repl.query_one("#repl-log", RichLog)
    deadline = time.monotonic() + 30
    while not any("Out[" in line.text for line in log.lines):
        if time.monotonic() > deadline:
            raise AssertionError("the cell never finished")
        await pilot.pause(0.05)
    await pilot.app.workers.wait_for_complete()
    repl.show_inspector()  # the drawer, open over the right of the REPL's column
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _circles_boundary():
    """A decision boundary like the circles set's, made here (no kernel, no randomness)."""
    import numpy as np

    from tui.training.report import Boundary

    rows, cols = 48, 96
    yy, xx = np.mgrid[1.2 : -1.2 : rows * 1j, -1.2 : 1.2 : cols * 1j]
    radius = np.hypot(xx, yy)
    angle = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    inner = np.stack([0.4 * np.cos(angle), 0.4 * np.sin(angle)], 1)
    outer = np.stack([np.cos(angle + 0.05), np.sin(angle + 0.05)], 1)
    return Boundary(
        extent=(-1.2, 1.2, -1.2, 1.2),
        classes=(radius < 0.7).astype(np.int8),
        confidence=np.clip(0.5 + np.abs(radius - 0.7), 0, 1).astype(np.float32),
        points=np.concatenate([inner, outer]).astype(np.float32),
        point_classes=np.array([1] * 60 + [0] * 60),
        n_classes=2,
    )


async def _settled_with_boundary(pilot) -> None:
    """The dashboard's decision-boundary view (v) showing a fixed boundary, as half-blocks."""
    await _settled(pilot)
    await pilot.press("f4", "v")
    pane = pilot.app.screen.query_one("#dashboard")
    pane.boundary_view.show(_circles_boundary())
    pane._say("")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
def test_main_screen(snap_compare, size):
    assert snap_compare(SnapApp(), terminal_size=size, run_before=_settled)


def test_help_screen(snap_compare):
    assert snap_compare(SnapApp(), terminal_size=(80, 24), press=["f1"], run_before=_settled)


def test_tensor_card_beside_the_repl(snap_compare):
    assert snap_compare(SnapApp(), terminal_size=(160, 48), run_before=_settled_with_tensor)


def test_dashboard_decision_boundary_in_half_blocks(snap_compare):
    assert snap_compare(SnapApp(), terminal_size=(160, 48), run_before=_settled_with_boundary)
