"""The one place that touches plotext's (and textual-plotext's) private API.

plotext 5 has no public way to get its character matrix or to size a figure without
printing it, and textual-plotext keeps its theme mapping private; a new release that
moves these breaks only this module (the callers fall back to plotext's ANSI output).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip


def matrix_strips(plt) -> list[Strip]:
    """The figure's cells straight from plotext's character matrix, as strips.

    ``plt.build()`` writes every cell out as ANSI text, which ``Text.from_ansi`` parses
    back and rich wraps into lines again: about half of a figure's cost. This reads the
    matrix that ``build`` would have written out (plotext 5's ``monitor.matrix``: rows of
    markers and their colour triples) and makes one segment per run of equal colours.
    """
    plt._set_sizes()  # private: see the module docstring
    plt._build_matrix()
    matrix = plt.monitor.matrix
    strips = []
    for row in matrix.Rows[::-1]:
        marker, fore, style, back = (
            matrix.marker[row],
            matrix.fullground[row],
            matrix.style[row],
            matrix.background[row],
        )
        segments = []
        start = 0
        colours = (fore[0], style[0], back[0])
        for col in range(1, matrix.cols):
            here = (fore[col], style[col], back[col])
            if here != colours:
                segments.append(Segment("".join(marker[start:col]), _rich_style(colours)))
                start, colours = col, here
        segments.append(Segment("".join(marker[start:]), _rich_style(colours)))
        strips.append(Strip(segments, matrix.cols))
    return strips


@lru_cache(maxsize=256)
def _rich_style(colours: tuple[object, object, object]) -> Style:
    """plotext's (colour, style, background) as the rich Style its ANSI codes decode to."""
    from plotext._utility import ansi_end, colors_to_ansi

    spans = Text.from_ansi(colors_to_ansi(*colours) + "x" + ansi_end).spans
    # rich's AnsiDecoder gives every span a Style object, never a style name
    styles = [s.style for s in spans if isinstance(s.style, Style)]
    return Style.combine(styles) if styles else Style()


def set_size(plt: Any, width: int, height: int) -> None:
    """Size the figure as textual-plotext's own render does."""
    plt._set_size(width, height)


def theme_name(widget: Any, theme: str) -> str:
    """The plotext theme textual-plotext picks for a Textual theme."""
    return widget._get_plotext_theme_name(theme)
