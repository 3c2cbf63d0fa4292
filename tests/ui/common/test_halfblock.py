"""Half-block drawing: what a picture costs the terminal."""

from __future__ import annotations

import base64

from rich.console import Console

from tui.tensors.pictures import Picture
from tui.ui.common.halfblock import UPPER_HALF, picture_text


def _picture(rows: list[list[tuple[int, int, int]]]) -> Picture:
    raw = bytes(c for row in rows for px in row for c in px)
    return Picture(len(rows[0]), len(rows), base64.b64encode(raw).decode(), kind="image")


def _ansi(text) -> str:
    console = Console(color_system="truecolor", force_terminal=True, width=80)
    with console.capture() as capture:
        console.print(text)
    return capture.get()


RED, BLUE, WHITE = (200, 30, 30), (30, 80, 200), (255, 255, 255)


def test_a_cell_of_one_colour_is_a_blank_on_that_background():
    # pixel rows: red over red, then white over blue
    picture = _picture([[RED, RED], [RED, RED], [WHITE, WHITE], [BLUE, BLUE]])
    text = picture_text(picture, colour=True)
    first, second = text.split("\n")
    assert first.plain == "  " and second.plain == UPPER_HALF * 2
    assert [str(span.style) for span in first.spans] == ["on #c81e1e"]
    assert [str(span.style) for span in second.spans] == ["#ffffff on #1e50c8"]


def test_a_flat_picture_costs_the_terminal_half_the_bytes_of_colour_pairs():
    """A plot is mostly runs of one colour: each such cell sends a background only."""
    rows = [[RED if (x // 3 + y // 2) % 2 else WHITE for x in range(30)] for y in range(20)]
    flat = _ansi(picture_text(_picture(rows), colour=True))
    assert UPPER_HALF not in flat  # every cell has its two pixels alike
    pairs = "".join(
        f"\x1b[38;2;{r};{g};{b};48;2;{r};{g};{b}m{UPPER_HALF * 3}\x1b[0m"
        for r, g, b in [RED, WHITE] * 5
    )
    assert len(flat.encode()) < 0.6 * 10 * len(pairs.encode())
