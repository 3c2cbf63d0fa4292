"""The inspector's tabs besides the cards: the variables table, the autograd tree and the
watch list. They render plain data (``tui.tensors.cards``) handed to them by the
panel (``tui.ui.inspector.inspector_panel``) and post messages for what the user asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, ListItem, ListView, Static, Tree
from textual.widgets.tree import TreeNode

from tui.tensors import cards as core
from tui.ui.common.ordered_input import OrderedInput
from tui.ui.common.plain import notify_plain, plain_cell, visible


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
        previous, self._shown = self._shown or [], rows
        current = None
        if self.row_count and 0 <= self.cursor_row < min(self.row_count, len(previous)):
            current = previous[self.cursor_row].name
        self.clear()
        for r in rows:  # the learner's names and classes: literal, never markup
            cells = (r.name, r.kind, r.shape, r.dtype, r.device)
            self.add_row(*map(plain_cell, cells), key=r.name)
        if current is not None and current in {r.name for r in rows}:
            self.move_cursor(row=self.get_row_index(current))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Open(event.row_key.value))


class AutogradTree(Tree[str]):
    """``grad_fn.next_functions`` as a tree; leaves name the variables they belong to."""

    def process_label(self, label: str | Text) -> Text:
        """A ``str`` label (a variable's name) is literal here, not markup."""
        return super().process_label(Text(visible(label)) if isinstance(label, str) else label)

    def show_graph(self, title: str, graph: core.Graph | None) -> None:
        self.clear()
        if graph is None or not graph.nodes:
            self.root.set_label(f"{title}: no grad_fn (not produced by autograd)")
            return
        self.root.set_label(title)
        made: list[TreeNode[str]] = []
        for node in graph.nodes:
            parent = self.root if node.parent < 0 else made[node.parent]
            label = Text(visible(node.label))
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
    """Pinned expressions, evaluated in the kernel after each cell (and while training)."""

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
        yield OrderedInput(placeholder="watch expression, e.g. model.fc.weight", id="watch-input")
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
            notify_plain(self, f"Not an expression: {exc.msg}", severity="warning")
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
        t = Text(visible(expr), style="bold")
        t.append("\n")
        t.append(visible(text), style="red" if ok is False else ("dim" if ok is None else ""))
        return t

    def show_values(self, values: list[core.WatchValue]) -> None:
        items = list(self.query(ListItem))
        for item, value in zip(items, values, strict=False):
            if item.children and value.expr == self.exprs[items.index(item)]:
                item.query_one(Static).update(self._label(value.expr, value.ok, value.text))
