"""What the dashboard explains beside the curve: the coach's line, the per-layer panel,
the learning rate under the curve, and Step (one batch at a time).

A mixin of ``DashboardPane``. The figures come with the reports (``tui.training.probe``
in the kernel); this redraws them from the run book on the metrics timer, at most
``METRICS_HZ`` (2) times a second, and only the widgets whose text changed.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.protocol import messages as p
from tui.ui.common.deferred import after_build
from tui.ui.common.plain import plain

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

    def show_rows(self, rows: list[tuple[str, ...]]) -> None:
        if rows == self.rows:
            return
        self.rows = rows
        self.set_class(not rows, "-empty")
        self.update(self.table(rows, self.size.width or 80) if rows else "")

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


class Insight:
    """``redraw_insight`` (from the metrics redraw) and ``action_step_once``."""

    current: Any
    _dirty: bool
    _insight_shown: dict[str, object] | None = None

    def _changed(self, what: str, value: object) -> bool:
        """Remember what each line shows: only a change repaints it."""
        shown = getattr(self, "_insight_shown", None)
        if shown is None:
            shown = self._insight_shown = {}
        if what in shown and shown[what] == value:
            return False
        shown[what] = value
        return True

    def redraw_insight(self) -> None:
        from tui.runs.insight import coach_line, layer_rows, lr_line

        run = self.current
        coach = self.query_one("#dash-coach", Static)  # type: ignore[attr-defined]
        text = coach_line(run) if run is not None else ""
        if self._changed("coach", text):
            coach.update(Text("coach: " + text, style="italic") if text else "")
            coach.display = bool(text)
        lr = self.query_one("#dash-lr", Static)  # type: ignore[attr-defined]
        line = lr_line(run, lr.size.width or 60)
        if self._changed("lr", line):
            lr.update(plain(line))
            lr.display = bool(line)
        panel = self.query_one("#dash-layers", LayerPanel)  # type: ignore[attr-defined]
        rows = layer_rows(run.layers) if run is not None else []
        if len(rows) != len(panel.rows):
            self.fit_layers()
        panel.show_rows(rows)

    #: None: shown when the pane has room (``ROOMY`` rows), else as ``g`` asked.
    layers_wanted: bool | None = None

    def show_legend(self, items: list[tuple[str, str]]) -> None:
        """The curves' legend under the plot (plotext's own sits on it): ``(label, rich
        colour)`` entries, each whole on one line (a line break never splits a label)."""
        legend = self.query_one("#dash-legend", Static)  # type: ignore[attr-defined]
        width = legend.size.width or self.plot.size.width or 80  # type: ignore[attr-defined]
        if not self._changed("legend", (items, width)):
            return
        text, used = Text(), 0
        for label, colour in items:
            need = 3 + cell_len(label)
            if used and used + 2 + need > width:
                text.append("\n")
                used = 0
            elif used:
                text.append("  ")
                used += 2
            text.append("━━ ", style=colour)
            text.append(label)
            used += need
        legend.update(text)
        legend.display = bool(items)

    @after_build
    def action_toggle_layers(self) -> None:
        self.layers_wanted = not self.layers_shown
        self.fit_layers()
        said = "shown: g hides it" if self.layers_wanted else "hidden: g shows it"
        self._say(f"Layer panel {said}.")  # type: ignore[attr-defined]

    @property
    def layers_shown(self) -> bool:
        if self.layers_wanted is not None:
            return self.layers_wanted
        run = self.current
        rows = 1 + (len(run.layers) if run is not None and run.layers else 3)
        fixed = 2 + 4 + 2 + 2 + 1  # target, metrics, message, legend, a coach line
        return self.size.height >= fixed + rows + MIN_CURVE  # type: ignore[attr-defined]

    def fit_layers(self) -> None:
        """Hide the layer panel where the curve would get too short (unless asked for)."""
        self.set_class(not self.layers_shown, "-no-layers")  # type: ignore[attr-defined]

    @after_build
    def action_step_once(self) -> None:
        """One batch, then paused: a paused run steps; without a run, one starts paused."""
        from tui.runs.runbook import RunState

        run = self.current
        if run is not None and run.live and not run.stopping:
            run.move(RunState.PAUSED)
            self._tell(p.TrainControl(run_id=run.id, action="step"))  # type: ignore[attr-defined]
            self._say("Stepped one batch: . steps again, space resumes.")  # type: ignore[attr-defined]
        else:
            self._request(self.target, paused=True)  # type: ignore[attr-defined]
            self._say("Started paused: . runs one batch at a time, space runs on.")  # type: ignore[attr-defined]
        self._dirty = True
