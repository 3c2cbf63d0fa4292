"""What the panes share of the app: the kernel, and the settings the app started with.

Given to each pane when the main screen composes it, so a pane never reaches into the
app for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tui.kernel.hub import KernelHub
from tui.platform.devices import TorchInfo


@dataclass
class Session:
    #: The kernel, across restarts.
    kernel: KernelHub
    #: Keep the bytes sent to the terminal low (pictures on request, no animations).
    low_bandwidth: bool = False
    #: Extra lesson folders (``--lessons-dir``).
    lessons_dirs: list[Path] = field(default_factory=list)
    #: The lesson asked for on the command line (``--lesson``).
    start_lesson: str | None = None
    #: What the kernel reported at its last start (torch version, devices); None until then.
    torch_info: TorchInfo | None = None
