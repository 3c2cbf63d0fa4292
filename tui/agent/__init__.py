"""The agent: code loaded into the kernel that serves the app over a Jupyter comm.

It runs where the learner's objects live (the kernel process, which imports torch);
the app only ever sees the typed messages of ``tui.core.protocol``.
"""

from typing import Any

from tui.agent import inline, server
from tui.agent.preload import preload

__all__ = ["install", "preload"]


def install(shell: Any = None) -> server.Agent:
    """Load the agent into this kernel (once), with inline pictures of image displays."""
    agent = server.install(shell)
    inline.install(agent.shell)
    return agent
