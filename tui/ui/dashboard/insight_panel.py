"""What the dashboard explains under the curve: the learning rate while a schedule moves
it, the coach's line, and the per-layer panel.

The figures come with the reports (``tui.training.probe`` in the kernel) into the run
book; ``Insight`` redraws them from the book's current run when the curve's timer has
redrawn the metrics (at most ``METRICS_HZ``, 2, times a second: the pane passes on the
curve's ``Redrawn``), and only the widgets whose text changed. The layer panel shows
only where the curve keeps room enough (``fit``), unless ``g`` asked for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui.ui.common.plain import plain

if TYPE_CHECKING:  # pragma: no cover
    from tui.runs.runbook import RunBook

_VERDICT_STYLE = "bold yellow"
HEADERS = ("layer", "‖grad‖", "‖weight‖", "update/w", "units", "")
#: Rows the plot keeps before the layer panel shows by default (g shows it anyway):
#: 8 rows of curve inside its frame, ticks and axis titles.
MIN_CURVE = 12


class LayerPanel(Static):
    """Per layer: gradient norm, weight norm, update-to-weight ratio, dead units."""

    DEFAULT_CSS = """
    LayerPanel { height: auto; max-height: 12; }
    LayerPanel.-empty { display: none; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.rows: list[tuple[str, ...]] = []
        self.add_class("-empty")

    def show_rows(self, shown: Sequence[tuple[str, ...]]) -> None:
        rows = list(shown)
        if rows == self.rows:
            return
        # new figures in as many rows keep the table's height: no layout of the screen
        # (that is every widget on it, twice a second while a run trains)
        same_height = len(rows) == len(self.rows)
        self.rows = rows
        self.set_class(not rows, "-empty")
        self.update(self.table(rows, self.size.width or 80) if rows else "", layout=not same_height)

    def on_resize(self) -> None:
        if self.rows:
            self.update(self.table(self.rows, self.size.width))

    @staticmethod
    def table(rows: list[tuple[str, ...]], width: int) -> Table:
        """The columns that fit ``width``: the weight norm goes first, then the units,
        then the verdict; the layer, gradient and update ratio always stay."""
        keep = list(range(6))
        if not any(row[5] for row in rows):
            keep.remove(5)

        def need(cols: list[int]) -> int:
            return sum(max(len(HEADERS[c]), *(len(r[c]) for r in rows)) + 1 for c in cols)

        for drop in (2, 4, 5):
            if need(keep) <= width:
                break
            if drop in keep:
                keep.remove(drop)
        table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0), header_style="bold")
        for c in keep:
            table.add_column(HEADERS[c], no_wrap=True, justify="left" if c in (0, 5) else "right")
        for row in rows:
            cells = [Text(row[c], style=_VERDICT_STYLE if c == 5 else "") for c in keep]
            table.add_row(*cells)
        return table


class Insight(Vertical):
    """The lr line (``#dash-lr``), the coach's line (``#dash-coach``) and the layer panel
    (``#dash-layers``), drawn from the run book's current run."""

    DEFAULT_CSS = """
    Insight { height: auto; }
    Insight #dash-lr { height: auto; color: $text-muted; }
    Insight #dash-coach { height: auto; max-height: 2; color: $accent; }
    Insight.-no-layers #dash-layers { display: none; }
    """

    def __init__(self, book: RunBook, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.book = book
        #: None: the layer panel shows when the pane has room, else as ``g`` asked.
        self.layers_wanted: bool | None = None
        #: The pane's height (``fit``): how much room the curve would keep.
        self.room = 0
        self._shown: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="dash-lr", markup=False).set_styles("display: none;")
        yield Static("", id="dash-coach").set_styles("display: none;")
        yield LayerPanel(id="dash-layers")

    def _changed(self, what: str, value: object) -> bool:
        """Remember what each line shows: only a change repaints it."""
        if what in self._shown and self._shown[what] == value:
            return False
        self._shown[what] = value
        return True

    def redraw(self) -> None:
        from tui.runs.insight import coach_line, layer_rows, lr_line

        run = self.book.current
        coach = self.query_one("#dash-coach", Static)
        text = coach_line(run) if run is not None else ""
        if self._changed("coach", text):
            coach.update(Text("coach: " + text, style="italic") if text else "")
            coach.display = bool(text)
        lr = self.query_one("#dash-lr", Static)
        line = lr_line(run, lr.size.width or 60)
        if self._changed("lr", line):
            lr.update(plain(line))
            lr.display = bool(line)
        panel = self.query_one(LayerPanel)
        rows = layer_rows(run.layers) if run is not None else []
        if len(rows) != len(panel.rows):
            self.fit()
        panel.show_rows(rows)

    @property
    def layers_shown(self) -> bool:
        if self.layers_wanted is not None:
            return self.layers_wanted
        run = self.book.current
        rows = 1 + (len(run.layers) if run is not None and run.layers else 3)
        fixed = 2 + 4 + 2 + 2 + 1  # target, metrics, message, legend, a coach line
        return self.room >= fixed + rows + MIN_CURVE

    def fit(self, room: int | None = None) -> None:
        """Hide the layer panel where the curve would get too short (unless asked for);
        ``room``: the pane's height, when it changed."""
        if room is not None:
            self.room = room
        self.set_class(not self.layers_shown, "-no-layers")

    def toggle_layers(self) -> bool:
        """``g``: show the panel if hidden, else hide it; whether it shows now."""
        self.layers_wanted = not self.layers_shown
        self.fit()
        return self.layers_wanted
