"""Pictures inline in the REPL log: PNG and JPEG displays scaled in the kernel, and ``show``.

Every ``display_data`` and ``execute_result`` that carries an ``image/png`` or
``image/jpeg`` (matplotlib's inline backend, ``IPython.display.Image``) also gets a
``PICTURE_MIME`` entry: a small RGB array fitted to the REPL log's columns (the app's
``SetRoom``), which the app draws in half-blocks. The hook sits in ipykernel's transform
pipeline for both message kinds (``register_hook``, ipykernel 7); its hooks are per
thread, so ``attach`` runs before each cell, on the thread that runs it. The PNG itself
is kept: another front end on the same kernel (``--existing``) may be showing it.

Pillow decodes the images (matplotlib brings it); without it there is no picture and the
app shows its placeholder. Nothing here may break a display: any failure leaves the
message as it was.
"""

from __future__ import annotations

import base64
import io
import logging
import math
import threading
from typing import Any

from tui.protocol import messages as p
from tui.tensors.pictures import PICTURE_MIME, Picture, picture_of

log = logging.getLogger(__name__)

#: The tallest inline picture, in cell rows (two pixel rows a cell).
MAX_ROWS = 40
#: ``show()``'s default height in cell rows.
SHOW_ROWS = 20
#: The least an inline picture is fitted to, however short the log: 28 pixel rows, so
#: an MNIST-sized image shows unscaled.
MIN_ROWS = 14
#: Log rows kept for the echoed cell and the picture's caption.
CAPTION_ROWS = 2
#: An inline picture's base64 bytes at most (4 characters a pixel).
MAX_PICTURE_CHARS = 30_000
#: Images with more pixels than this are not decoded (a decompression bomb).
MAX_SOURCE_PIXELS = 50_000_000
IMAGE_MIMES = ("image/png", "image/jpeg")

_attached = threading.local()


#: The room the app last sent (``SetRoom``; the agent passes it on), or the defaults.
_room = p.SetRoom()


def set_room(room: p.SetRoom) -> None:
    global _room
    _room = room


def current_room() -> p.SetRoom:
    return _room


def picture_rows(room: p.SetRoom, most: int = MAX_ROWS) -> int:
    """Cell rows for an inline picture: at most ``most``, and within the log's visible
    rows (less the caption's) so that it is seen whole; never under ``MIN_ROWS``. Each
    scroll of the log repaints what it shows, so a picture taller than the log is also
    sent to the terminal again and again."""
    if room.log_rows <= 0:
        return most
    return max(min(MIN_ROWS, most), min(most, room.log_rows - CAPTION_ROWS))


def fit(width: int, height: int, cols: int, rows: int = MAX_ROWS) -> tuple[int, int]:
    """Pixels for a ``width`` x ``height`` image in ``cols`` x ``rows`` cells: never
    enlarged, its aspect kept (a half-block pixel is about square), at most
    ``MAX_PICTURE_CHARS`` on the wire, and an even number of rows (whole cells)."""
    cols, rows = max(1, cols), max(1, rows)
    scale = min(1.0, cols / width, 2 * rows / height)
    budget = MAX_PICTURE_CHARS / 4
    if width * height * scale * scale > budget:
        scale = math.sqrt(budget / (width * height))
    w = max(1, min(cols, width, round(width * scale)))
    h = max(2, 2 * round(height * scale / 2))
    while 4 * w * h > MAX_PICTURE_CHARS or h > 2 * rows:
        h -= 2
        if h < 2:
            return w, 2
    return w, h


def image_picture(raw: bytes, cols: int, rows: int = MAX_ROWS) -> tuple[Picture, str] | None:
    """A PNG or JPEG as a fitted picture, with a note of its size; None without Pillow
    or for bytes it cannot read."""
    try:
        from PIL import Image
    except ImportError:
        return None
    try:
        with Image.open(io.BytesIO(raw)) as im:
            width, height = im.size
            if not width or not height or width * height > MAX_SOURCE_PIXELS:
                return None
            w, h = fit(width, height, cols, rows)
            im.draft("RGB", (w, h))  # JPEG: decode at a reduced size
            rgba = im.convert("RGBA")
        # transparent parts on white, as a notebook shows them (matplotlib's inline
        # figures may have a transparent background)
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(white, rgba).convert("RGB")
        small = rgb.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=3.0)
        # a terminal pays for every change of colour between cells: the near-white
        # anti-aliasing of a plot's background becomes white, the rest 16 levels a channel
        small = small.point(lambda v: 255 if v >= 232 else round(v / 17) * 17)
    except Exception as exc:  # noqa: BLE001 - a broken image: no picture, the placeholder stays
        # Pillow's errors for a bad file are many (OSError, ValueError, SyntaxError,
        # DecompressionBombError...)
        log.info("no picture of an image: %r", exc)
        return None
    data = base64.b64encode(small.tobytes()).decode("ascii")
    note = f"{width}x{height} image"
    return Picture(w, h, data, kind="image", note=note), note


def _raw(value: Any) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return base64.b64decode(value)
        except ValueError:
            return None
    return None


def add_picture(content: dict, cols: int, rows: int = MAX_ROWS) -> bool:
    """Add a picture of the bundle's PNG or JPEG to a message's ``content`` (in place)."""
    data = content.get("data")
    if not isinstance(data, dict) or PICTURE_MIME in data:
        return False
    mime = next((m for m in IMAGE_MIMES if m in data), None)
    raw = _raw(data[mime]) if mime else None
    if raw is None:
        return False
    made = image_picture(raw, cols, rows)
    if made is None:
        return False
    picture, _note = made
    data[PICTURE_MIME] = vars(picture).copy()
    return True


def hook(msg: dict) -> dict:
    """ipykernel's transform hook: the message, with a picture where it has an image."""
    try:
        if msg.get("msg_type", msg.get("header", {}).get("msg_type")) in (
            "display_data",
            "update_display_data",
            "execute_result",
        ):
            room = current_room()
            add_picture(msg["content"], room.log_cols, picture_rows(room))
    except Exception:  # noqa: BLE001 - a display must never fail because of us
        log.warning("a display went out without its picture", exc_info=True)
    return msg


def attach(shell: Any) -> None:
    """Put ``hook`` in this thread's display pipelines (once a thread)."""
    if getattr(_attached, "done", False):
        return
    _attached.done = True
    for publisher in (getattr(shell, "display_pub", None), getattr(shell, "displayhook", None)):
        register = getattr(publisher, "register_hook", None)
        if callable(register):
            register(hook)


def describe(value: Any) -> str:
    """One line: what ``show`` drew (type, shape, dtype, device)."""
    shape = "x".join(str(int(d)) for d in value.shape) or "scalar"
    dtype = str(getattr(value, "dtype", "")).removeprefix("torch.")
    kind = "tensor" if hasattr(value, "detach") else type(value).__name__
    device = getattr(value, "device", None)
    where = f" on {device}" if device is not None and str(device) != "cpu" else ""
    return f"{kind} {shape} {dtype}{where}".strip()


def show(value: Any, rows: int | None = None) -> None:
    """Draw a tensor or an array in the REPL log: a heatmap (2-D), an image
    ((3|1, H, W) or (H, W, 3)) or a grid (a 4-D batch). Anything else is displayed as
    usual. Fitted to the log's width and ``rows`` cell rows (by default ``SHOW_ROWS``,
    or fewer to fit the log)."""
    from IPython.display import display

    if hasattr(value, "size") and hasattr(value, "mode") and not hasattr(value, "shape"):
        import numpy as np  # a PIL image

        value = np.asarray(value.convert("RGB"))
    room = current_room()
    if rows is None:
        rows = picture_rows(room, SHOW_ROWS)
    elif isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise ValueError(f"show(rows=...) takes a whole number of rows, 1 or more, not {rows!r}")
    picture = picture_of(value, room.log_cols, rows) if hasattr(value, "shape") else None
    if picture is None:
        display(value)
        return
    bundle = {PICTURE_MIME: vars(picture).copy(), "text/plain": describe(value)}
    display(bundle, raw=True)


def install(shell: Any) -> None:
    """Before each cell, on the thread that runs it, ``attach`` (once a thread)."""
    if getattr(shell, "_torch_tui_inline", False):
        return
    shell._torch_tui_inline = True
    shell.events.register("pre_run_cell", lambda *_info: attach(shell))
