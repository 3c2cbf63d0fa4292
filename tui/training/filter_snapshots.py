"""Live pictures of a run: its first Conv2d's filters, while the dashboard shows them.

The ``Reporter`` asks ``FilterFeed.take`` at each report; a picture comes back at most
every ``FILTERS_EVERY`` seconds, only while the app's view (``TrainView``, kept by the
agent) says the filters are shown, and only when it differs from the last one sent (a
paused run's filters cost nothing). The picture is ``tui.tensors.pictures.picture_of`` of the
weight, laid out for the cells the app has for it: small filters (3x3, 5x5) are sent at
one pixel a weight, in the layout the app can zoom the most (``ZOOMS``), and the app
enlarges them; the wire carries the weights, not the zoom. Imports torch only through
the model.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from tui.tensors.objects import first_conv
from tui.tensors.pictures import Picture, picture_of

log = logging.getLogger(__name__)

#: At most two filter pictures a second.
FILTERS_EVERY = 0.5
#: The enlargements the app may draw a picture at, largest first (1: as it comes).
ZOOMS = (8, 6, 4, 3, 2)

#: The app's room for the filters, (cols, rows) cells, or None while they are hidden.
ViewFn = Callable[[], "tuple[int, int] | None"]


class FilterFeed:
    """Filter pictures for one run, rate-limited and only while shown."""

    def __init__(self, model: Any, view: ViewFn, every: float = FILTERS_EVERY) -> None:
        self.conv = first_conv(model)
        self.view, self.every = view, every
        self.last = -math.inf
        self._sent: tuple[int, int, str] | None = None
        #: The room the layout was chosen for, and the room that layout is computed in.
        self._layout: tuple[tuple[int, int], tuple[int, int]] | None = None
        self._said = False  # a picture that fails is logged once a run

    def take(self, now: float) -> Picture | None:
        """A picture of the filters now, or None (hidden, too soon, unchanged, no conv)."""
        if self.conv is None:
            return None
        room = self.view()
        if room is None:
            self._sent = None  # shown again later: the first picture goes out at once
            return None
        if now - self.last < self.every:
            return None
        self.last = now
        cols, rows = room
        try:
            picture = self._picture(room)
        except Exception:  # noqa: BLE001 - a weight that cannot be drawn: no picture
            if not self._said:
                log.warning("no filter pictures for this run", exc_info=True)
                self._said = True
            return None
        if picture is None:
            return None
        key = (cols, rows, picture.data)
        if key == self._sent:
            return None
        self._sent = key
        return picture

    def _picture(self, room: tuple[int, int]) -> Picture | None:
        """The filters in the smallest room (the app's over a zoom) that shows every
        weight (factor 1); the app's own room when none does."""
        weight = self.conv.weight
        if self._layout is None or self._layout[0] != room:
            cols, rows = room
            chosen = room
            for zoom in ZOOMS:
                small = (max(4, cols // zoom), max(2, rows // zoom))
                trial = picture_of(weight, *small, module="Conv2d")
                if trial is not None and trial.factor == 1:
                    chosen = small
                    break
            self._layout = (room, chosen)
        return picture_of(weight, *self._layout[1], module="Conv2d")
