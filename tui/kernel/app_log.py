"""Where the app's own warnings go: a small rotating file in the runtime folder.

What the app ignores from the kernel (a malformed or oversized message) is said in one
line on screen; the details go here, never to the terminal the UI draws on.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_NAME = "app.log"
_configured: list[Path] = []


def setup(folder: Path | None = None) -> Path | None:
    """Send the ``tui`` loggers to ``folder/app.log`` (once per process); the path, or
    None where the folder cannot be written (the warnings are then dropped)."""
    if _configured:
        return _configured[0]
    logger = logging.getLogger("tui")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        if folder is None:
            from tui.kernel.launch import runtime_root

            folder = runtime_root()
        path = folder / LOG_NAME
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=500_000, backupCount=1, encoding="utf-8", delay=True
        )
    except OSError:  # no runtime folder (RuntimeDirError too): no reason not to start
        logger.addHandler(logging.NullHandler())
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(name)s: %(message)s"))
    logger.addHandler(handler)
    _configured.append(path)
    return path
