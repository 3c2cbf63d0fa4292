"""When Enter runs a cell and when it adds a line (the console's rule, without a kernel
round trip on every key)."""

from __future__ import annotations

import codeop
import warnings


def source_is_complete(source: str) -> bool:
    """False when Enter should add a line: an open bracket or block, or an indented last line.

    Like the console, a block ends with an empty line: ``for ...:`` then an indented body
    stays open until the last line is blank. A syntax error (``%timeit``, ``x?``) counts
    as complete, so IPython gets to read it.
    """
    if not source.strip():
        return True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code = codeop.compile_command(source, "<input>", "exec")
    except (SyntaxError, OverflowError, ValueError):
        return True
    if code is None:
        return False
    last = source.split("\n")[-1]
    return not ("\n" in source and last.strip() and last[:1] in " \t")
