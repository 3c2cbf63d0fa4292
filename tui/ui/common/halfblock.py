"""Draw a ``Picture`` in the terminal: two pixels a cell with the upper half block.

The top pixel is the character's colour and the bottom one its background, so a cell
row shows two pixel rows. Rich downgrades 24-bit colours to 256 where the terminal has
no truecolor; under ``NO_COLOR`` a character ramp by brightness stands in for colour.
"""

from __future__ import annotations

import os

from rich.color import Color
from rich.style import Style
from rich.text import Text

from tui.tensors.cards import format_number
from tui.tensors.pictures import NAN_RGB, Picture, scale_colours

UPPER_HALF = "▀"
#: Dark to light, for terminals without colour.
RAMP = " .:-=+*#%@"


def no_color() -> bool:
    return bool(os.environ.get("NO_COLOR"))


def picture_text(picture: Picture, colour: bool | None = None) -> Text:
    """The picture as ``height / 2`` lines of ``width`` cells."""
    colour = not no_color() if colour is None else colour
    try:
        raw = picture.pixels()
    except ValueError as exc:
        return Text(f"(no picture: {exc})", style="dim")
    w, h = picture.width, picture.height
    text = Text(no_wrap=True, overflow="crop")
    styles: dict[bytes, Style] = {}
    row_bytes = w * 3
    for y in range(0, h - 1, 2):
        top = raw[y * row_bytes : (y + 1) * row_bytes]
        bottom = raw[(y + 1) * row_bytes : (y + 2) * row_bytes]
        if y:
            text.append("\n")
        if not colour:
            text.append("".join(_ramp(top, bottom, x) for x in range(w)))
            continue
        x = 0
        while x < w:  # one span per run of equal cells: the terminal pays per colour change
            key = top[3 * x : 3 * x + 3] + bottom[3 * x : 3 * x + 3]
            run = 1
            while (
                x + run < w
                and top[3 * (x + run) : 3 * (x + run) + 3]
                + bottom[3 * (x + run) : 3 * (x + run) + 3]
                == key
            ):
                run += 1
            style = styles.get(key)
            if style is None:
                style = _cell_style(key)
                styles[key] = style
            # both halves alike: a blank on the background, half the bytes of a colour pair
            text.append((" " if key[:3] == key[3:] else UPPER_HALF) * run, style)
            x += run
    return text


def _cell_style(key: bytes) -> Style:
    """Top pixel as the character's colour, bottom as the background; a cell of one
    colour only sets the background."""
    bgcolor = Color.from_rgb(key[3], key[4], key[5])
    if key[:3] == key[3:]:
        return Style(bgcolor=bgcolor)
    return Style(color=Color.from_rgb(key[0], key[1], key[2]), bgcolor=bgcolor)


def _ramp(top: bytes, bottom: bytes, x: int) -> str:
    lum = 0.0
    for px in (top[3 * x : 3 * x + 3], bottom[3 * x : 3 * x + 3]):
        lum += 0.2126 * px[0] + 0.7152 * px[1] + 0.0722 * px[2]
    return RAMP[min(len(RAMP) - 1, int(lum / 2 / 256 * len(RAMP)))]


def legend_text(picture: Picture, width: int = 24, colour: bool | None = None) -> Text:
    """min ▕scale▏ max, the downsampling factor, and the NaN/Inf marks."""
    colour = not no_color() if colour is None else colour
    text = Text(no_wrap=True, overflow="ellipsis")
    if picture.kind != "image" and picture.scale and picture.lo is not None:
        text.append(f"{format_number(picture.lo)} ", style="dim")
        bar = max(4, min(width, 16))
        if colour:
            for rgb in scale_colours(picture.scale, bar):
                text.append(" ", Style(bgcolor=Color.from_rgb(*rgb)))
        else:
            text.append((RAMP * (bar // len(RAMP) + 1))[:bar])
        text.append(f" {format_number(picture.hi)}", style="dim")
        if picture.scale == "diverging":
            text.append("  (0 is white)", style="dim")
    elif picture.lo is not None:
        text.append(f"values {format_number(picture.lo)}..{format_number(picture.hi)}", style="dim")
    extras = []
    if picture.factor > 1:
        extras.append(f"1 pixel = {picture.factor}x{picture.factor} values")
    if picture.nan:
        extras.append(f"NaN {picture.nan}")
    if picture.inf:
        extras.append(f"Inf {picture.inf}")
    if picture.note:
        extras.append(picture.note)
    if extras:
        text.append("\n" + " · ".join(extras), style="dim")
    if picture.nan and colour:
        text.append(" ")
        text.append("  ", Style(bgcolor=Color.from_rgb(*NAN_RGB)))
        text.append(" NaN", style="dim")
    return text
