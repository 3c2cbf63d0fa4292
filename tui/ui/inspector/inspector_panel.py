"""The REPL's tensor inspector (a drawer): result cards, variables, autograd, watches.

It renders only what arrives from the kernel (``tui.protocol.messages``): after each cell the
agent pushes a ``CellPayload`` (cards, variables, watch values); opening a variable sends
a ``CardRequest``, a slice change a ``PreviewRequest``, ``p`` on a card that came
without a picture a ``PictureRequest``, a watch change ``SetWatches``.
While a training run is active the agent pushes ``WatchValues`` itself (at most 4 a
second). Nothing here holds a learner's object: the kernel keeps only weak references.
"""

from __future__ import annotations

import logging
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import (
    Input,
    Static,
    TabbedContent,
    TabPane,
)

from tui.kernel import link as kl
from tui.protocol import messages as p
from tui.tensors import cards as core
from tui.ui.common import kernel_messages as km
from tui.ui.common.deferred import Deferred, after_build
from tui.ui.common.focus_moves import MovesFocus
from tui.ui.common.plain import notify_plain, plain
from tui.ui.common.session import Session
from tui.ui.inspector.card_widgets import WIDGET_FOR, card_problem, card_widget
from tui.ui.inspector.tabs import AutogradTree, VariablesPanel, WatchPanel

log = logging.getLogger(__name__)

#: Seconds a card may take in the kernel (a 1e8-element tensor's stats take a while).
CARD_TIMEOUT = 60.0
PREVIEW_TIMEOUT = 30.0


class InspectorPanel(MovesFocus, Deferred):
    """Cards for the last result, the variables, the autograd graph and the watches."""

    BINDINGS = [
        Binding("c", "tab('card')", "Inspector: cards"),
        Binding("v", "tab('vars')", "Inspector: variables"),
        Binding("g", "tab('graph')", "Inspector: autograd graph"),
        Binding("w", "add_watch", "Inspector: add a watch"),
        Binding("escape", "leave", "Inspector: back to the REPL input"),
    ]
    DEFAULT_CSS = """
    InspectorPanel { width: 1fr; min-width: 30; }
    InspectorPanel TabbedContent { height: 1fr; }
    InspectorPanel TabPane { padding: 0; }
    InspectorPanel #cards { height: 1fr; }
    InspectorPanel #cards-note { height: auto; color: $text-muted; padding: 0 1; }
    InspectorPanel .card.-stale { tint: $background 45%; }
    InspectorPanel VariablesPanel { height: 1fr; }
    InspectorPanel AutogradTree { height: 1fr; }
    """

    PLACEHOLDER = "Results that are tensors, modules or optimizers show up here."
    LATE = True  # of no use before the kernel is up; mounted meanwhile, it slowed the start

    def __init__(self, session: Session, *children: Any, **kw: Any) -> None:
        super().__init__(*children, **kw)
        self.session = session
        #: The watch expressions the kernel was last told (what the values must match).
        self.watch_exprs: tuple[str, ...] = ()
        #: The number of the last cell whose payload is on screen (its cards mounted).
        self.last_cell = 0

    def compose_body(self) -> ComposeResult:
        """After the first frame (see ``Deferred``): the tabs are ~20 widgets to style."""
        with TabbedContent(id="inspector-tabs"):
            with TabPane("Card", id="card"):
                with VerticalScroll(id="cards"):
                    yield Static(self.PLACEHOLDER, id="cards-note")
            with TabPane("Vars", id="vars"):
                yield VariablesPanel(id="variables")
            with TabPane("Autograd", id="graph"):
                yield AutogradTree("the autograd graph of a result with a grad_fn", id="autograd")
            with TabPane("Watch", id="watch"):
                yield WatchPanel(id="watches")

    # -- the kernel (messages from the REPL pane, which holds this panel) ----------------
    def on_cell_payload_arrived(self, message: km.CellPayloadArrived) -> None:
        self.show_payload(message.payload)

    def on_watch_values_arrived(self, message: km.WatchValuesArrived) -> None:
        self.show_watch_values(message.values.values)

    def on_kernel_ready(self, message: km.KernelReady) -> None:
        self._kernel_ready()

    def on_kernel_died(self, message: km.KernelDied) -> None:
        self._kernel_died(message.reason)

    def on_kernel_starting(self, message: km.KernelStarting) -> None:
        if message.restart:
            self._kernel_died("restarted")

    async def _ask(self, message: Any, timeout: float = kl.RESPONSE_LIMIT) -> Any:
        return await self.session.kernel.agent(message, timeout)

    @after_build
    def _kernel_ready(self) -> None:
        """A (re)started kernel knows no watches and has a namespace of its own."""
        self.run_worker(self._refresh(), group="inspector-ready", exclusive=True)

    async def _refresh(self) -> None:
        try:
            rows = await self._ask(p.VariablesRequest())
            self.query_one(VariablesPanel).show_rows(list(rows.rows))
            # always, none included: a shared or attached kernel may hold another app's
            values = await self._ask(p.SetWatches(exprs=list(self.watch_exprs)))
            self.show_watch_values(values.values)
        except Exception as exc:  # noqa: BLE001 - the next cell's payload brings them
            log.warning("inspector refresh failed: %r", exc)

    @after_build
    def _kernel_died(self, reason: str) -> None:
        """The cards show objects of a kernel that is gone: said, and greyed as stale."""
        cards = self.query(".card").exclude(".-gone")
        if cards:
            self._note(
                f"The kernel ended ({reason}): these cards are what it last sent, "
                "not what the new kernel holds."
            )
            self.query_one("#cards-note").display = True
            for card in cards:
                card.add_class("-stale")

    # -- after each cell -----------------------------------------------------------------
    @after_build
    def show_payload(self, payload: p.CellPayload) -> None:
        """Render what the agent computed after a cell: cards, variables, watch values."""
        if payload.cards:
            mounted = self.show_cards(payload.cards, payload.more_cards)
            self.run_worker(self._shown(mounted, payload.number), group="inspector-shown")
        else:
            self.last_cell = payload.number
        if payload.warning:  # the cell could not be summarised, or trained weights moved
            self._note(payload.warning)
            self.query_one("#cards-note").display = True
        self.query_one(VariablesPanel).show_rows(list(payload.variables))
        if payload.watches:
            self.show_watch_values(payload.watches)

    async def _shown(self, mounted: AwaitComplete, number: int) -> None:
        await mounted
        self.last_cell = max(self.last_cell, number)

    def show_watch_values(self, values: list[core.WatchValue]) -> None:
        """Values for the watches, if they are for the expressions shown now."""
        if not self.built:
            return
        panel = self.query_one(WatchPanel)
        if tuple(v.expr for v in values) == tuple(panel.exprs):
            panel.show_values(values)

    def _note(self, text: str) -> None:
        self.query_one("#cards-note", Static).update(plain(text))

    def show_cards(self, cards: list[core.Card], more: int = 0) -> AwaitComplete:
        """Show these cards, reusing the widgets already there where the kind matches.

        Await the result to act on the new widgets (e.g. focus). Reuse matters: each
        remove + mount leaves Textual garbage that the UI thread's GC must later walk.
        """
        box = self.query_one("#cards", VerticalScroll)
        #: The card widgets shown; each kind has its own ``set_card``.
        existing: list[Any] = [w for w in box.query(".card") if not w.has_class("-gone")]
        mounts: list[Any] = []
        for i, card in enumerate(cards):
            widget_name = WIDGET_FOR.get(card.kind) if not card_problem(card) else "ErrorCard"
            if i < len(existing) and type(existing[i]).__name__ == widget_name:
                existing[i].remove_class("-stale")
                existing[i].set_card(card if widget_name != "ErrorCard" else card_problem(card))
                continue
            w = card_widget(
                card,
                self._fetch_preview,
                self._fetch_picture,
                auto_picture=not self.session.low_bandwidth,
            )
            w.add_class("card")
            if i < len(existing):
                existing[i].add_class("-gone")
                mounts.append(box.mount(w, before=existing[i]))
                mounts.append(existing[i].remove())
            else:
                mounts.append(box.mount(w))
        for stale in existing[len(cards) :]:
            stale.add_class("-gone")
            mounts.append(stale.remove())
        self._note(f"+ {more} more tensors not shown" if more else "")
        self.query_one("#cards-note").display = bool(more)
        mounted = AwaitComplete(*mounts) if mounts else AwaitComplete.nothing()
        box.scroll_home(animate=False)
        graph_card = next((c for c in cards if isinstance(c, core.TensorCard) and c.graph), None)
        if graph_card is not None:
            self.query_one(AutogradTree).show_graph(graph_card.title, graph_card.graph)
        tabs = self.query_one(TabbedContent)
        if tabs.active not in ("card", "watch") and not self._focus_inside():
            tabs.active = "card"
        return mounted

    def _focus_inside(self) -> bool:
        focused = self.app.focused
        return focused is not None and self in focused.ancestors

    async def _fetch_preview(self, key: int, index: list[int]) -> core.Preview | None:
        """Another slice of the tensor behind a card (``PreviewRequest``)."""
        try:
            reply = await self._ask(p.PreviewRequest(key=key, index=list(index)), PREVIEW_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - a dead or busy kernel: keep the old slice
            log.warning("slice not fetched: %r", exc)
            notify_plain(
                self, f"Could not fetch that slice: {exc or type(exc).__name__}", severity="warning"
            )
            return None
        if reply.preview is None:
            self.notify(
                "That tensor is gone (deleted, or the kernel restarted).", severity="warning"
            )
        return reply.preview

    async def _fetch_picture(self, key: int, cols: int, rows: int) -> tuple[Any, str]:
        """A picture of the tensor behind a card (``PictureRequest``), or None and why."""
        try:
            reply = await self._ask(p.PictureRequest(key=key, cols=cols, rows=rows), CARD_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - a dead or busy kernel: said by the card
            log.warning("picture not fetched: %r", exc)
            return None, str(exc) or type(exc).__name__
        return reply.picture, reply.note

    # -- variables: Enter opens a card -----------------------------------------------------
    @on(VariablesPanel.Open)
    async def _open_variable(self, event: VariablesPanel.Open) -> None:
        event.stop()
        self.open_card(event.name)

    @after_build
    def open_card(self, name: str) -> None:
        self.run_worker(self._open_card(name), group="inspector-card", exclusive=True)

    async def _open_card(self, name: str) -> None:
        try:
            reply = await self._ask(p.CardRequest(name=name), CARD_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - said in a notification
            log.warning("variable not inspected: %r", exc)
            text = str(exc) or type(exc).__name__
            notify_plain(self, f"Could not inspect {name}: {text}", severity="error")
            return
        card = reply.card
        if card is None:
            notify_plain(self, f"{name} is no longer defined.", severity="warning")
            return
        await self.show_cards([card])
        self.query_one(TabbedContent).active = "card"
        first = self.query(".card").exclude(".-gone").first()
        if self.visible and self.display:
            first.focus()
        elif self._pane_call("show_inspector"):  # a closed drawer: focus it once shown
            self.call_after_refresh(first.focus)
        if isinstance(card, core.TensorCard):
            self.query_one(AutogradTree).show_graph(card.title, card.graph)

    # -- watches ---------------------------------------------------------------------------
    @on(WatchPanel.Changed)
    def _watches_changed(self, event: WatchPanel.Changed) -> None:
        event.stop()
        self.watch_exprs = event.exprs
        self.run_worker(self._send_watches(event.exprs), group="inspector-watch", exclusive=True)

    async def _send_watches(self, exprs: tuple[str, ...]) -> None:
        try:
            reply = await self._ask(p.SetWatches(exprs=list(exprs)))
        except Exception as exc:  # noqa: BLE001 - sent again when the kernel is ready
            log.warning("watches not set: %r", exc)
            return
        self.show_watch_values(reply.values)

    # -- keys ------------------------------------------------------------------------------
    def moves_focus(self, event: events.Key) -> bool:
        """Its tab keys, ``w`` and Escape move the focus (at once: ``Screen.set_focus``);
        the keys behind them wait for it (``tui.ui.common.focus_moves``)."""
        if event.key == "escape":
            return True
        return event.key in ("c", "v", "g", "w") and not isinstance(self.screen.focused, Input)

    @after_build
    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "vars":
            self.screen.set_focus(self.query_one(VariablesPanel))
        elif tab == "graph":
            self.screen.set_focus(self.query_one(AutogradTree))
        elif tab == "card":
            cards = self.query(".card")
            if cards:
                self.screen.set_focus(cards.first())

    def _pane_call(self, name: str) -> bool:
        """Call ``name`` on the nearest ancestor that has it (the REPL pane)."""
        for node in self.ancestors:
            method = getattr(node, name, None)
            if callable(method):
                method()
                return True
        return False

    def action_leave(self) -> None:
        """Escape: hand the keyboard back to the REPL input (closing a drawer F6 opened)."""
        if not self._pane_call("leave_inspector") and not self._pane_call("focus_default"):
            self.screen.set_focus(None)

    @after_build
    def action_add_watch(self) -> None:
        self.query_one(TabbedContent).active = "watch"
        field = self.query_one("#watch-input", Input)
        if self.visible and self.display:
            self.screen.set_focus(field)
        elif self._pane_call("show_inspector"):  # a closed drawer: focus it once shown
            self.call_after_refresh(field.focus)

    @after_build
    def focus_default(self) -> None:
        """Focus the first card, else the variables table (the REPL's focus key calls this)."""
        cards = self.query(".card")
        if cards and self.query_one(TabbedContent).active == "card":
            cards.first().focus()
        else:
            self.action_tab("vars")
