"""The agent: code loaded into the kernel that serves the app over a Jupyter comm.

It runs where the learner's objects live (the kernel process, which imports torch);
the app only ever sees the typed messages of ``tui.protocol.messages``. The kernel's
start-up code calls ``tui.agent.preload.preload`` and ``tui.agent.server.install``.
"""
