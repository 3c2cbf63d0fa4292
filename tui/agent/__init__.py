"""The agent: code loaded into the kernel that serves the app over a Jupyter comm.

It runs where the learner's objects live (the kernel process, which imports torch);
the app only ever sees the typed messages of ``tui.core.protocol``.
"""

from tui.agent.preload import preload
from tui.agent.server import install

__all__ = ["install", "preload"]
