"""The kernel prints as wide as the REPL log shows: torch's and NumPy's line width,
IPython's pretty printer and its tracebacks (``COLUMNS``) follow the log's columns, so a
tensor breaks its rows where torch breaks them and is never wrapped again by the log.

A width the learner set themselves wins: only a width that is still the library's
default, or the one set here last, is changed. ``lessons check`` sends no room, so
its kernels keep the defaults.
"""

from __future__ import annotations

import os
import sys
from typing import Any

#: The libraries' own defaults.
TORCH_DEFAULT, NUMPY_DEFAULT, PRETTY_DEFAULT = 80, 75, 79
#: Narrower than this, wrapped lines read better than torch's one column per row.
MIN_WIDTH = 40


class PrintWidth:
    def __init__(self, shell: Any = None) -> None:
        self.shell = shell
        self._set: dict[str, int] = {}
        #: The log width last followed (80 until the app sends its room).
        self.cols = 80

    def _ours(self, name: str, current: int, default: int) -> bool:
        """True while ``name``'s width is still ours to change."""
        return current == self._set.get(name, default)

    def apply(self, cols: int) -> int:
        """Follow a log of ``cols`` columns; the width used."""
        self.cols = cols
        width = max(MIN_WIDTH, int(cols))
        torch = sys.modules.get("torch")
        if torch is not None:
            opts = getattr(getattr(torch, "_tensor_str", None), "PRINT_OPTS", None)
            current = getattr(opts, "linewidth", TORCH_DEFAULT)
            if self._ours("torch", current, TORCH_DEFAULT):
                torch.set_printoptions(linewidth=width)
                self._set["torch"] = width
        numpy = sys.modules.get("numpy")
        if numpy is not None:
            current = numpy.get_printoptions().get("linewidth", NUMPY_DEFAULT)
            if self._ours("numpy", current, NUMPY_DEFAULT):
                numpy.set_printoptions(linewidth=width)
                self._set["numpy"] = width
        pretty = self._pretty()
        if pretty is not None and self._ours("pretty", pretty.max_width, PRETTY_DEFAULT):
            pretty.max_width = width
            self._set["pretty"] = width
        os.environ["COLUMNS"] = str(width)  # IPython's traceback rules: min(75, COLUMNS)
        return width

    def _pretty(self) -> Any:
        try:
            return self.shell.display_formatter.formatters["text/plain"]
        except (AttributeError, KeyError, TypeError):
            return None
