"""The tensor inspector beside the REPL: result cards, variables, autograd graph, watches.

Threading: every summary is computed on the session's exec thread, either by the
``post_run_hooks["inspector"]`` hook after each cell or through ``session.submit``; the
UI thread only renders the plain data that comes back (``tui.core.inspect``). The watch
timer submits its evaluation and never evaluates anything itself.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import (
    DataTable,
    Input,
    ListItem,
    ListView,
    Static,
    TabbedContent,
    TabPane,
    Tree,
)

from tui.core import inspect as core
from tui.widgets.deferred import Deferred, after_build
from tui.widgets.inspector_cards import WIDGET_FOR, card_widget

#: Watches are re-evaluated at most this often (seconds) by the UI timer.
WATCH_INTERVAL = 0.25


@dataclass
class WatchesEvaluated(Message):
    """Posted from the exec thread (post_message is thread-safe and never blocks)."""

    values: list[core.WatchValue]
    exprs: tuple[str, ...]


class VariablesPanel(DataTable):
    """The learner's tensors, modules, optimizers and arrays; Enter opens a card."""

    BINDINGS = [Binding("enter", "select_cursor", "Open the variable's card", show=False)]

    @dataclass
    class Open(Message):
        name: str

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns("name", "kind", "shape", "dtype", "device")

    _shown: list[core.VarRow] | None = None

    def show_rows(self, rows: list[core.VarRow]) -> None:
        """Replace the rows, keeping the cursor on the same name when it still exists."""
        if rows == self._shown:
            return  # unchanged: no rebuild, no repaint
        self._shown = rows
        current = None
        if self.row_count and 0 <= self.cursor_row < self.row_count:
            current = self.get_row_at(self.cursor_row)[0]
        self.clear()
        for r in rows:
            self.add_row(r.name, r.kind, r.shape, r.dtype, r.device, key=r.name)
        if current is not None and current in {r.name for r in rows}:
            self.move_cursor(row=self.get_row_index(current))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Open(event.row_key.value))


class AutogradTree(Tree[str]):
    """``grad_fn.next_functions`` as a tree; leaves name the variables they belong to."""

    def show_graph(self, title: str, graph: core.Graph | None) -> None:
        self.clear()
        if graph is None or not graph.nodes:
            self.root.set_label(f"{title}: no grad_fn (not produced by autograd)")
            return
        self.root.set_label(title)
        made = []
        for node in graph.nodes:
            parent = self.root if node.parent < 0 else made[node.parent]
            label = Text(node.label)
            if node.label.startswith("AccumulateGrad"):
                label.stylize("bold green")
            if node.repeat:
                label.append("  (shared, shown above)", style="dim")
            made.append(parent.add(label, expand=node.depth < 3, allow_expand=True))
        for tree_node, node in zip(made, graph.nodes, strict=True):
            if not tree_node.children:
                tree_node.allow_expand = False
            del node
        if graph.truncated:
            self.root.add_leaf(Text(f"… graph cut at {graph.cap} nodes", style="dim"))
        self.root.expand()


class WatchPanel(Vertical):
    """Pinned expressions, re-evaluated after each cell and by the panel's timer."""

    BINDINGS = [
        Binding("delete,d", "remove", "Remove the selected watch"),
    ]
    DEFAULT_CSS = """
    WatchPanel { height: 1fr; }
    WatchPanel Input { margin-bottom: 1; }
    WatchPanel ListView { height: 1fr; }
    WatchPanel ListItem Static { padding: 0 1; }
    """

    @dataclass
    class Changed(Message):
        exprs: tuple[str, ...]

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.exprs: list[str] = []

    def compose(self) -> ComposeResult:
        yield Input(placeholder="watch expression, e.g. model.fc.weight", id="watch-input")
        yield ListView(id="watch-list")

    @on(Input.Submitted, "#watch-input")
    def _add(self, event: Input.Submitted) -> None:
        event.stop()
        expr = event.value.strip()
        event.input.value = ""
        if not expr:
            return
        try:
            compile(expr, "<watch>", "eval")  # syntax only: nothing is evaluated here
        except SyntaxError as exc:
            self.notify(f"Not an expression: {exc.msg}", severity="warning")
            return
        if expr in self.exprs:
            return
        self.exprs.append(expr)
        lv = self.query_one(ListView)
        lv.append(ListItem(Static(self._label(expr, None, "…"))))
        if lv.index is None:
            lv.index = 0
        self.post_message(self.Changed(tuple(self.exprs)))

    def action_remove(self) -> None:
        lv = self.query_one(ListView)
        i = lv.index
        if i is None or not (0 <= i < len(self.exprs)):
            return
        del self.exprs[i]
        lv.remove_items([i])
        self.post_message(self.Changed(tuple(self.exprs)))

    @staticmethod
    def _label(expr: str, ok: bool | None, text: str) -> Text:
        t = Text(expr, style="bold")
        t.append("\n")
        t.append(text, style="red" if ok is False else ("dim" if ok is None else ""))
        return t

    def show_values(self, values: list[core.WatchValue]) -> None:
        items = list(self.query(ListItem))
        for item, value in zip(items, values, strict=False):
            if item.children and value.expr == self.exprs[items.index(item)]:
                item.query_one(Static).update(self._label(value.expr, value.ok, value.text))


class InspectorPanel(Deferred, Vertical):
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
    InspectorPanel VariablesPanel { height: 1fr; }
    InspectorPanel AutogradTree { height: 1fr; }
    """

    def __init__(self, *children: Any, **kw: Any) -> None:
        super().__init__(*children, **kw)
        self.core = core.Inspector()
        self.session: Any = None
        self._watch_future: concurrent.futures.Future | None = None
        self._graph_title = ""

    PLACEHOLDER = "Results that are tensors, modules or optimizers show up here."
    LATE = True  # of no use before torch is loaded; mounted meanwhile, it delayed torch

    def compose_body(self) -> ComposeResult:
        """After the first frame (see ``Deferred``): the tabs are ~20 widgets to style."""
        with TabbedContent(id="inspector-tabs"):
            with TabPane("Card", id="card"):
                with VerticalScroll(id="cards"):
                    yield Static(
                        "Results that are tensors, modules or optimizers show up here.",
                        id="cards-note",
                    )
            with TabPane("Vars", id="vars"):
                yield VariablesPanel(id="variables")
            with TabPane("Autograd", id="graph"):
                yield AutogradTree("the autograd graph of a result with a grad_fn", id="autograd")
            with TabPane("Watch", id="watch"):
                yield WatchPanel(id="watches")

    def on_mount(self) -> None:
        signal = getattr(self.app, "torch_ready_signal", None)
        if signal is not None:
            signal.subscribe(self, self._on_torch_ready)
        if getattr(self.app, "torch_info", None) is not None:
            self._find_session()
        # Only while there are watches: an idle wake still takes the GIL from training.
        self._watch_timer = self.set_interval(WATCH_INTERVAL, self._tick_watches, pause=True)

    def on_unmount(self) -> None:
        signal = getattr(self.app, "torch_ready_signal", None)
        if signal is not None:
            signal.unsubscribe(self)

    # -- the session ---------------------------------------------------------------------
    def _on_torch_ready(self, _info: object) -> None:
        self._find_session()

    def _find_session(self, tries: int = 100) -> None:
        """The app creates ``app.session`` once torch is loaded; wait for it briefly."""
        session = getattr(self.app, "session", None)
        if session is not None:
            self.attach(session)
        elif tries > 0:
            self.set_timer(0.1, lambda: self._find_session(tries - 1))

    def attach(self, session: Any) -> None:
        """Register the post-run hook that computes each cell's cards on the exec thread."""
        if self.session is session:
            return
        self.session = session
        session.post_run_hooks["inspector"] = self.core.hook

    async def _run(self, fn: Any, *args: Any) -> Any:
        """Run ``fn`` on the exec thread and await it without blocking the event loop."""
        if self.session is None:
            raise RuntimeError("the Python session is still starting")
        return await asyncio.wrap_future(self.session.submit(fn, *args))

    # -- after each cell -------------------------------------------------------------------
    @after_build
    def show(self, record: Any) -> None:
        """Render what the hook computed for ``record`` (called by the REPL pane)."""
        payload = getattr(record, "extras", {}).get("inspector")
        if isinstance(payload, str):
            self._note(f"inspector failed: {payload}")
            return
        if not isinstance(payload, core.Payload):
            return
        if payload.cards:
            self.show_cards(payload.cards, payload.more_cards)
        self.query_one(VariablesPanel).show_rows(payload.variables)
        watches = self.query_one(WatchPanel)
        if payload.watches and tuple(w.expr for w in payload.watches) == tuple(watches.exprs):
            watches.show_values(payload.watches)

    def _note(self, text: str) -> None:
        self.query_one("#cards-note", Static).update(text)

    def show_cards(self, cards: list[core.Card], more: int = 0) -> AwaitComplete:
        """Show these cards, reusing the widgets already there where the kind matches.

        Await the result to act on the new widgets (e.g. focus). Reuse matters: each
        remove + mount leaves Textual garbage that the UI thread's GC must later walk.
        """
        box = self.query_one("#cards", VerticalScroll)
        existing = [w for w in box.query(".card") if not w.has_class("-gone")]
        mounts: list[Any] = []
        for i, card in enumerate(cards):
            if i < len(existing) and type(existing[i]).__name__ == WIDGET_FOR[card.kind]:
                existing[i].set_card(card)
                continue
            w = card_widget(card, self._fetch_preview)
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
        try:
            return await self._run(self.core.preview, key, index)
        except Exception as exc:  # a busy or interrupted session: say so, keep the old slice
            self.notify(f"Could not fetch that slice: {exc}", severity="warning")
            return None

    # -- variables: Enter opens a card -------------------------------------------------------
    @on(VariablesPanel.Open)
    async def _open_variable(self, event: VariablesPanel.Open) -> None:
        event.stop()
        self.open_card(event.name)

    @after_build
    def open_card(self, name: str) -> None:
        self.run_worker(self._open_card(name), group="inspector-card", exclusive=True)

    async def _open_card(self, name: str) -> None:
        if self.session is not None and self.session.busy:
            self.notify("A cell is running; the card opens when it finishes.")
        try:
            card = await self._run(self.core.card_for_name, name, self.session.namespace)
        except Exception as exc:
            self.notify(f"Could not inspect {name}: {type(exc).__name__}: {exc}", severity="error")
            return
        if card is None:
            self.notify(f"{name} is no longer defined.", severity="warning")
            return
        await self.show_cards([card])
        self.query_one(TabbedContent).active = "card"
        self.query(".card").exclude(".-gone").first().focus()
        if isinstance(card, core.TensorCard):
            self.query_one(AutogradTree).show_graph(card.title, card.graph)

    # -- watches -----------------------------------------------------------------------------
    @on(WatchPanel.Changed)
    def _watches_changed(self, event: WatchPanel.Changed) -> None:
        event.stop()
        self.core.watches = event.exprs  # one atomic assignment, read by the exec thread
        if event.exprs:
            self._watch_timer.resume()
        else:
            self._watch_timer.pause()
        self._tick_watches()

    def _tick_watches(self) -> None:
        """Timer: submit an evaluation when there are watches and the session is idle."""
        session = self.session
        if not self.core.watches or session is None or session.busy:
            return
        if self._watch_future is not None and not self._watch_future.done():
            return
        exprs = self.core.watches
        future = session.submit(self.core.evaluate_watches, session.namespace)
        self._watch_future = future

        def done(f: concurrent.futures.Future) -> None:  # runs on the exec thread
            if not f.cancelled() and f.exception() is None:
                self.post_message(WatchesEvaluated(f.result(), exprs))

        future.add_done_callback(done)

    def on_watches_evaluated(self, message: WatchesEvaluated) -> None:
        panel = self.query_one(WatchPanel)
        if message.exprs == tuple(panel.exprs):
            panel.show_values(message.values)

    # -- keys --------------------------------------------------------------------------------
    @after_build
    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        target = {"vars": VariablesPanel, "graph": AutogradTree}.get(tab)
        if target is not None:
            self.query_one(target).focus()
        elif tab == "card":
            cards = self.query(".card")
            if cards:
                cards.first().focus()

    def action_leave(self) -> None:
        """Escape: hand the keyboard back to the pane's main widget (the REPL input)."""
        node = self.parent
        while node is not None and not hasattr(node, "focus_default"):
            node = node.parent
        if node is not None:
            node.focus_default()
        else:
            self.screen.set_focus(None)

    @after_build
    def action_add_watch(self) -> None:
        self.query_one(TabbedContent).active = "watch"
        self.query_one("#watch-input", Input).focus()

    @after_build
    def focus_default(self) -> None:
        """Focus the first card, else the variables table (the REPL's focus key calls this)."""
        cards = self.query(".card")
        if cards and self.query_one(TabbedContent).active == "card":
            cards.first().focus()
        else:
            self.action_tab("vars")
