"""How a child process ended, in the words the UI uses ("exit code 1", "killed by SIGSEGV")."""

from __future__ import annotations

import signal


def exit_text(code: int | None) -> str:
    """``code`` as ``Popen.returncode`` gives it: negative for a signal, None while running."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"
