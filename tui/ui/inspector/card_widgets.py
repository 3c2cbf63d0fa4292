"""Card widgets: they render the plain data from ``tui.tensors.cards``, nothing more.

No torch here and no tensor work: a slice change asks the panel, which sends a
``PreviewRequest`` to the kernel and hands back the new ``Preview`` to draw; a picture
the card did not come with is asked for the same way (``PictureRequest``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import var
from textual.widgets import Static

from tui.tensors import cards as core
from tui.tensors.pictures import DEFAULT_ROWS, Picture, can_draw
from tui.ui.common.halfblock import legend_text, picture_text
from tui.ui.common.plain import notify_plain, visible

if TYPE_CHECKING:  # pragma: no cover
    from tui.ui.inspector.histogram import HistogramPlot

log = logging.getLogger(__name__)

PreviewFetcher = Callable[[int, list[int]], Awaitable["core.Preview | None"]]
#: (key, cols, rows) -> (the picture, or None and why not).
PictureFetcher = Callable[[int, int, int], Awaitable[tuple[Picture | None, str]]]


def _kv(text: Text, key: str, value: str, style: str = "") -> None:
    text.append(f"{key} ", style="dim")
    text.append(value, style=style or "bold")
    text.append("  ")


def preview_text(preview: core.Preview | None, width: int = 44) -> Text:
    """The values as aligned columns, dropping inner columns until they fit ``width``."""
    if preview is None:
        return Text("no values to show (no data on this device)", style="dim")
    if not preview.cells:
        return Text(preview.note or "no values", style="dim")
    cols = list(range(len(preview.col_labels)))
    rows = preview.cells
    row_w = max((len(r) for r in preview.row_labels), default=0)

    def widths(keep: list[int]) -> list[int]:
        return [
            max(len(preview.col_labels[c]), *(len(r[c]) for r in rows)) if c >= 0 else 1
            for c in keep
        ]

    real = [c for c in cols if preview.col_labels[c] != "…"]
    had_gap = len(real) < len(cols)

    def layout(k: int) -> list[int]:
        if 2 * k >= len(real):
            return cols  # everything the preview has (its own gap included)
        return real[:k] + [-1] + real[len(real) - k :]

    # Drop columns from the middle (a "…" marks the gap) until the table fits.
    k = (len(real) + 1) // 2 if not had_gap else len(real) // 2
    keep = layout(k)
    while k > 1 and row_w + 1 + sum(w + 1 for w in widths(keep)) > width:
        k -= 1
        keep = layout(k)
    ws = widths(keep)
    out = Text(no_wrap=True, overflow="ellipsis")
    if (
        any(lab for lab in preview.col_labels)
        and len(rows) >= 1
        and rows[0]
        and preview.col_labels != [""]
    ):
        out.append(" " * (row_w + 1))
        for c, w in zip(keep, ws, strict=True):
            label = preview.col_labels[c] if c >= 0 else "…"
            out.append(label.rjust(w) + " ", style="dim")
        out.append("\n")
    for r, row in enumerate(rows):
        out.append(preview.row_labels[r].rjust(row_w) + " ", style="dim")
        for c, w in zip(keep, ws, strict=True):
            cell = row[c] if c >= 0 else ("⋮" if row and row[0] == "⋮" else "…")
            style = "red" if cell in ("nan", "inf", "-inf") else ""
            out.append(cell.rjust(w) + " ", style=style)
        if r < len(rows) - 1:
            out.append("\n")
    return out


def picture_view(picture: Picture | None) -> Text:
    """The picture in half-blocks and its legend; one dim line if it cannot be drawn."""
    if picture is None:
        return Text("")
    try:
        text = picture_text(picture)
        text.append("\n")
        text.append_text(legend_text(picture))
        return text
    except Exception as exc:  # noqa: BLE001 - the kernel's data: a note, never a crash
        log.warning("a picture could not be drawn: %r", exc)
        return Text(visible(f"no picture: {type(exc).__name__}: {exc}")[:200], style="dim")


def tensor_header(card: core.TensorCard) -> Text:
    t = Text()
    t.append(visible(card.title or "tensor"), style="bold")
    t.append(f"  {card.kind}\n", style="dim")
    _kv(t, "shape", card.shape_text, "bold cyan")
    _kv(t, "dtype", card.dtype, "bold green")
    t.append("\n")
    _kv(t, "device", card.device, "bold magenta")
    _kv(t, "layout", card.layout)
    t.append("\n")
    _kv(t, "numel", f"{card.numel:,}")
    _kv(t, "bytes", core.format_bytes(card.nbytes))
    t.append("\n")
    if card.stride is not None:
        _kv(t, "stride", core.format_shape(card.stride))
        _kv(t, "contiguous", "yes" if card.contiguous else "no")
        t.append("\n")
    if card.kind != "ndarray":  # a NumPy array has no autograd: no fields that say so
        _kv(t, "requires_grad", str(card.requires_grad))
        _kv(t, "leaf", str(card.is_leaf))
        t.append("\n")
        _kv(t, "grad_fn", card.grad_fn or "-")
        _kv(t, "grad", "set" if card.has_grad else "-")
        t.append("\n")
    s = card.stats
    if s.note and s.min is None:
        t.append(s.note, style="dim")
    else:
        _kv(t, "min", core.format_number(s.min))
        _kv(t, "max", core.format_number(s.max))
        t.append("\n")
        _kv(t, "mean", core.format_number(s.mean))
        _kv(t, "std", core.format_number(s.std))
        t.append("\n")
        _kv(t, "NaN", str(s.nan), "bold red" if s.nan else "")
        _kv(t, "Inf", str(s.inf), "bold red" if s.inf else "")
        if s.of:
            t.append(f"stats of {s.of}", style="dim")
    return t


class TensorCard(Vertical, can_focus=True):
    """Shape, dtype, device, grad facts, stats, the values or a picture, and a histogram."""

    BINDINGS = [
        Binding("right_square_bracket,right", "slice(1)", "Next slice", key_display="]"),
        Binding("left_square_bracket,left", "slice(-1)", "Previous slice", key_display="["),
        Binding("p", "toggle_picture", "Picture / values"),
    ]
    DEFAULT_CSS = """
    TensorCard { height: auto; border: round $panel-lighten-1; padding: 0 1; margin-bottom: 1; }
    TensorCard:focus { border: round $accent; }
    TensorCard .values { height: auto; margin-top: 1; }
    TensorCard .picture { height: auto; margin-top: 1; }
    TensorCard .slice { height: auto; color: $text-muted; }
    TensorCard HistogramPlot { height: 8; margin-top: 1; }
    """

    #: The picture in place of the values (a card that comes with one starts so).
    show_picture = var(False)

    def __init__(
        self,
        card: core.TensorCard,
        fetch: PreviewFetcher | None = None,
        fetch_picture: PictureFetcher | None = None,
        auto_picture: bool = True,
        **kw,
    ) -> None:
        super().__init__(**kw)
        #: A picture the card comes with is shown at once (not under --low-bandwidth,
        #: where ``p`` draws it: a picture's colours cost the wire ~20 KB).
        self.auto_picture = auto_picture
        self.card = card
        self.fetch = fetch
        self.fetch_picture = fetch_picture
        self.preview = card.preview
        #: The picture of this card: the card's own, or one asked for with ``p``.
        self.picture: Picture | None = card.picture
        #: The picture the ``.picture`` Static holds now (drawn again only when it changes).
        self._drawn: Picture | None = None
        self.set_reactive(TensorCard.show_picture, card.picture is not None and auto_picture)
        #: The card the children were composed with (``set_card`` may come before mount).
        self._composed: core.TensorCard | None = None

    def compose(self) -> ComposeResult:
        self._composed = self.card
        yield Static(tensor_header(self.card), classes="header")
        yield Static("", classes="slice")
        values = Static(preview_text(self.preview), classes="values")
        values.display = not self.show_picture
        yield values
        self._drawn = self.picture
        picture = Static(picture_view(self.picture), classes="picture")
        picture.display = self.show_picture
        yield picture
        from tui.ui.inspector.histogram import HistogramPlot  # plotext: not before frame 1

        yield HistogramPlot(classes="hist")

    def on_mount(self) -> None:
        if self.card is not self._composed:  # a newer card came while this one mounted
            self.set_card(self.card)
            return
        self._show_slice_label()
        self._show_histogram()

    def set_card(self, card: core.TensorCard) -> None:
        """Show another tensor in this widget: updating beats a remove + mount per cell."""
        self.card = card
        self.preview = card.preview
        if not self.is_mounted or not self.query(".header"):  # still mounting: on_mount shows it
            return
        self.query_one(".header", Static).update(tensor_header(card))
        self.query_one(".values", Static).update(preview_text(self.preview, self._values_width()))
        self._draw_picture(card.picture)
        self.show_picture = card.picture is not None and self.auto_picture
        self._show_slice_label()
        self._show_histogram()

    def _draw_picture(self, picture: Picture | None) -> None:
        self.picture = picture
        if picture != self._drawn:  # the same picture again: nothing to repaint
            self._drawn = picture
            self.query_one(".picture", Static).update(picture_view(picture))

    def watch_show_picture(self, show: bool) -> None:
        if self.is_mounted:
            self.query_one(".values", Static).display = not show
            self.query_one(".picture", Static).display = show

    def action_toggle_picture(self) -> None:
        """``p``: the picture or the values; a picture the card did not come with is asked
        for (in a worker: the UI never waits on the kernel)."""
        if self.show_picture or self.picture is not None:
            self.show_picture = not self.show_picture
            return
        why = self._no_picture_reason()
        if why:
            notify_plain(self, why, severity="information")
            return
        self.run_worker(self._ask_picture(self.card), group="picture", exclusive=True)

    def _no_picture_reason(self) -> str:
        if not can_draw(self.card.shape):
            return f"No picture of a {self.card.shape_text} tensor: it takes 2 to 4 dimensions."
        if self.fetch_picture is None or self.card.key < 0:
            return "No picture of this one: the kernel did not keep it (a NumPy array)."
        return ""

    async def _ask_picture(self, card: core.TensorCard) -> None:
        assert self.fetch_picture is not None
        cols = max(self.content_region.width, 8) if self.size.width else 36
        picture, note = await self.fetch_picture(card.key, cols, DEFAULT_ROWS)
        if self.card is not card:  # another cell's card arrived meanwhile
            return
        if picture is None:
            notify_plain(self, f"No picture: {note}", severity="warning")
            return
        self._draw_picture(picture)
        self.show_picture = True

    def _show_histogram(self) -> None:
        from tui.ui.inspector.histogram import HistogramPlot  # imported by compose already

        plot = self.query_one(".hist", HistogramPlot)
        hist = self.card.histogram
        plot.display = hist is not None
        if hist is not None:
            self._draw_histogram(plot, hist)

    def on_resize(self) -> None:
        self.query_one(".values", Static).update(preview_text(self.preview, self._values_width()))

    def _values_width(self) -> int:
        return max(self.content_region.width, 20) if self.size.width else 44

    @staticmethod
    def _draw_histogram(plot: HistogramPlot, hist: core.Histogram) -> None:
        """Main thread only: plotext keeps global state and is not thread-safe."""
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        n = len(hist.counts)
        width = (hist.hi - hist.lo) / n if n else 1.0
        centers = [hist.lo + width * (i + 0.5) for i in range(n)]
        plt.bar(centers, hist.counts, width=1.0, marker="hd")
        title = "histogram" if hist.step == 1 else f"histogram of every {hist.step}th value"
        plt.title(title)
        if hist.whole:  # integer values: the first and last bins' whole numbers
            first, last = hist.lo + width / 2, hist.hi - width / 2
            plt.xticks([first, last], [str(round(hist.lo + 0.5)), str(round(hist.hi - 0.5))])
        else:
            plt.xticks(
                [hist.lo, hist.hi], [core.format_number(hist.lo), core.format_number(hist.hi)]
            )
        plot.version += 1
        plot.refresh()

    def _show_slice_label(self) -> None:
        p = self.preview
        label = self.query_one(".slice", Static)
        if p is not None and p.lead_shape:
            n = p.slice_count
            flat = 0
            for i, d in zip(p.index, p.lead_shape, strict=True):
                flat = flat * d + i
            label.update(
                Text(f"slice {p.slice_label}  {flat + 1}/{n}  ([ and ] move)", style="dim")
            )
            label.display = True
        else:
            label.display = False

    async def action_slice(self, step: int) -> None:
        """Move to the next/previous 2-D slice of an N-D tensor (odometer over leading dims)."""
        p = self.preview
        if p is None or not p.lead_shape or self.fetch is None or self.card.key < 0:
            return
        flat = 0
        for i, d in zip(p.index, p.lead_shape, strict=True):
            flat = flat * d + i
        flat = (flat + step) % p.slice_count
        index = []
        for d in reversed(p.lead_shape):
            index.append(flat % d)
            flat //= d
        index.reverse()
        new = await self.fetch(self.card.key, index)
        if new is None:  # the tensor is gone, or the kernel did not answer (the panel says)
            return
        self.preview = new
        self._show_slice_label()
        self.query_one(".values", Static).update(preview_text(new, self._values_width()))
        self.show_picture = False  # the slice's values: what the keys moved


class ModuleCard(Static, can_focus=True):
    """Layer tree and parameter counts of an nn.Module."""

    DEFAULT_CSS = """
    ModuleCard { height: auto; border: round $panel-lighten-1; padding: 0 1; margin-bottom: 1; }
    ModuleCard:focus { border: round $accent; }
    """

    def __init__(self, card: core.ModuleCard, **kw) -> None:
        super().__init__(self._text(card), **kw)
        self.card = card

    def set_card(self, card: core.ModuleCard) -> None:
        if card == self.card:  # the same module again: nothing to repaint
            return
        self.card = card
        self.update(self._text(card))

    @staticmethod
    def _text(card: core.ModuleCard) -> Text:
        t = Text()
        t.append(visible(card.title or card.type_name), style="bold")  # the learner's names
        t.append(f"  {visible(card.type_name)}\n", style="dim")
        _kv(t, "params", f"{card.total:,}")
        _kv(t, "trainable", f"{card.trainable:,}", "bold green")
        _kv(t, "frozen", f"{card.frozen:,}")
        t.append("\n")
        _kv(t, "bytes", core.format_bytes(card.nbytes))
        if card.buffer_bytes:
            _kv(t, "buffers", core.format_bytes(card.buffer_bytes))
        _kv(t, "mode", "train" if card.training else "eval")
        t.append("\n")
        _kv(t, "device", ", ".join(card.devices) or "-", "bold magenta")
        _kv(t, "dtype", ", ".join(card.dtypes) or "-", "bold green")
        t.append("\n")
        for row in card.layers:
            t.append("  " * row.depth)
            t.append(f"{visible(row.name)} ", style="bold" if row.depth == 0 else "")
            t.append(visible(row.type_name), style="cyan")
            if row.params:
                t.append(f" {row.params:,}p", style="green")
            if row.detail:
                t.append(f" ({row.detail})", style="dim")
            t.append("\n")
        if card.truncated:
            t.append(f"… first {len(card.layers)} layers shown\n", style="dim")
        t.append("shared parameters are counted once", style="dim")
        if card.filters is not None:
            t.append("\n\nthe first Conv2d's filters\n", style="bold")
            t.append_text(picture_view(card.filters))
        return t


class OptimizerCard(Static, can_focus=True):
    """Param groups and their hyperparameters."""

    DEFAULT_CSS = """
    OptimizerCard { height: auto; border: round $panel-lighten-1; padding: 0 1; margin-bottom: 1; }
    OptimizerCard:focus { border: round $accent; }
    """

    def __init__(self, card: core.OptimizerCard, **kw) -> None:
        super().__init__(self._text(card), **kw)
        self.card = card

    def set_card(self, card: core.OptimizerCard) -> None:
        self.card = card
        self.update(self._text(card))

    @staticmethod
    def _text(card: core.OptimizerCard) -> Text:
        t = Text()
        t.append(visible(card.title or card.type_name), style="bold")  # the learner's names
        t.append(f"  {visible(card.type_name)}\n", style="dim")
        _kv(t, "param groups", str(len(card.groups)))
        _kv(t, "state entries", str(card.state_entries))
        for g in card.groups:
            t.append(f"\ngroup {g.index}: ", style="bold")
            t.append(f"{g.tensors} tensors, {g.numel:,} values\n")
            for k, v in g.hyper:
                t.append(f"  {k} ", style="dim")
                t.append(f"{v}\n")
        return t


WIDGET_FOR = {
    "tensor": "TensorCard",
    "ndarray": "TensorCard",
    "module": "ModuleCard",
    "optimizer": "OptimizerCard",
}


class ErrorCard(Static, can_focus=True):
    """A card whose data could not be drawn: said in its place, the others still shown."""

    DEFAULT_CSS = """
    ErrorCard { height: auto; border: round $error; padding: 0 1; margin-bottom: 1; }
    """

    def __init__(self, problem: str, **kw) -> None:
        super().__init__(self._text(problem), **kw)

    def set_card(self, problem: str) -> None:
        self.update(self._text(problem))

    @staticmethod
    def _text(problem: str) -> Text:
        return Text(f"this card could not be drawn: {visible(problem)}", style="red")


def card_problem(card: object) -> str:
    """Why a card the kernel sent cannot be drawn ("" when it can): its texts are built
    here first, so a failure becomes an ``ErrorCard`` rather than a failed mount."""
    try:
        if getattr(card, "kind", None) not in WIDGET_FOR:
            return f"a card of unknown kind {str(getattr(card, 'kind', None))[:40]!r}"
        if isinstance(card, core.TensorCard):
            tensor_header(card)
            preview_text(card.preview)
        elif isinstance(card, core.ModuleCard):
            ModuleCard._text(card)
        elif isinstance(card, core.OptimizerCard):
            OptimizerCard._text(card)
        else:
            return f"not a card: {type(card).__name__}"
    except Exception as exc:  # noqa: BLE001 - the kernel's data: said on the card, logged
        log.warning("a card could not be drawn: %r", exc)
        return f"{type(exc).__name__}: {exc}"[:200]
    return ""


def card_widget(
    card: core.Card,
    fetch: PreviewFetcher | None = None,
    fetch_picture: PictureFetcher | None = None,
    auto_picture: bool = True,
):
    problem = card_problem(card)
    if problem:
        return ErrorCard(problem)
    if isinstance(card, core.TensorCard):
        return TensorCard(card, fetch, fetch_picture, auto_picture=auto_picture)
    if isinstance(card, core.ModuleCard):
        return ModuleCard(card)
    return OptimizerCard(card)
