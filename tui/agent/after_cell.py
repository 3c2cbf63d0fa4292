"""What the agent computes after each cell: cards, variables, watches and exercise checks.

Runs on IPython's main thread (a ``post_run_cell`` callback), so it sees the namespace as
the cell left it and the next cell waits for it. It keeps no strong reference to the
learner's objects: a card is data, and the object behind a card is kept by weak
reference (for slice navigation), so ``del x`` frees it.
"""

from __future__ import annotations

import logging
import threading
import time
import types
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from tui.lessons import exercises
from tui.protocol import messages as p
from tui.tensors import cards, objects
from tui.tensors import summaries as insp

#: Objects behind recent cards, by key, held weakly.
KEEP_REFS = 64
#: While a training run is active, watches are re-evaluated and pushed this often (s).
log = logging.getLogger(__name__)

WATCH_PUSH_INTERVAL = 0.25


class CellWatcher:
    """The state the per-cell payload needs: watches, exercises, weak refs for previews."""

    def __init__(self, namespace: dict, room: Callable[[], p.SetRoom] = p.SetRoom) -> None:
        self.ns = namespace
        #: The app's room (``Agent.room``, from SetRoom): cards' pictures are fitted to it.
        self.room = room
        self.watches: tuple[str, ...] = ()
        self.lesson = ""
        self.exercises: list[p.ExerciseSpec] = []
        self._refs: OrderedDict[int, Any] = OrderedDict()
        self._next_key = 0
        self._before: dict[str, int] = {}
        #: Set by the trainer while a run trains the REPL's ``model``.
        self.training_model: object | None = None
        #: True while a cell runs on the main thread (the watch pusher then waits).
        self.busy = False
        self._watch_lock = threading.Lock()
        self._watch_generation = 0

    # -- weak references for slice navigation ------------------------------------------
    def keep(self, obj: Any) -> int:
        try:
            ref: Any = weakref.ref(obj)
        except TypeError:  # numpy arrays do not take weak references: no slice navigation
            return -1
        key = self._next_key
        self._next_key += 1
        self._refs[key] = ref
        while len(self._refs) > KEEP_REFS:
            self._refs.popitem(last=False)
        return key

    def kept(self, key: int) -> Any:
        ref = self._refs.get(key)
        return ref() if ref is not None else None

    def card_room(self) -> insp.Room:
        room = self.room()
        return insp.fit_room(room.card_cols, room.card_rows)

    def card(self, obj: Any, title: str) -> Any:
        return objects.card_for(obj, title, self.ns, key=self.keep(obj), room=self.card_room())

    def card_for_name(self, name: str) -> Any:
        if name not in self.ns:
            return None
        return self.card(self.ns[name], name)

    def preview(self, key: int, index: list[int]) -> cards.Preview | None:
        obj = self.kept(key)
        if obj is None:
            return None
        import torch

        if not isinstance(obj, torch.Tensor):
            try:
                obj = torch.from_numpy(obj)
            except (TypeError, ValueError):  # a dtype torch lacks, negative strides
                return None
        return insp.tensor_preview(obj, index)

    def picture(self, key: int, cols: int, rows: int) -> p.PictureReply:
        """A picture of the object behind a card: a tensor or array of 2-4 dims, or a
        module's first Conv2d's filters."""
        obj = self.kept(key)
        if obj is None:
            return p.PictureReply(note="that object is gone (deleted, or the kernel restarted)")
        import torch

        room = insp.fit_room(cols, rows)
        if isinstance(obj, torch.nn.Module):
            card = objects.module_card(obj, room=room)
            note = "" if card.filters else "no Conv2d filters to draw"
            return p.PictureReply(picture=card.filters, note=note)
        if not isinstance(obj, torch.Tensor):
            try:
                obj = torch.from_numpy(obj)
            except (TypeError, ValueError):  # a dtype torch lacks, negative strides
                return p.PictureReply(note="not a tensor")
        picture = insp.tensor_picture(obj, room)
        note = "" if picture else f"no picture of shape {cards.format_shape(obj.shape)}"
        return p.PictureReply(picture=picture, note=note)

    # -- the per-cell hooks ------------------------------------------------------------
    def before(self) -> None:
        self.busy = True
        self._before = {k: id(v) for k, v in self.ns.items()}

    def after(self, result: Any) -> p.CellPayload:
        try:
            return self._payload(result)
        finally:
            self.busy = False

    def _payload(self, result: Any) -> p.CellPayload:
        ns = self.ns
        number = int(getattr(result, "execution_count", 0) or 0)
        payload = p.CellPayload(number=number)
        changed = [
            k
            for k, v in ns.items()
            if not k.startswith("_")
            and self._before.get(k) != id(v)
            and k not in cards.HIDDEN_NAMES
        ]
        payload.changed = changed[-20:]
        value = getattr(result, "result", None)
        failed = getattr(result, "error_in_exec", None) or getattr(
            result, "error_before_exec", None
        )
        if value is not None:
            found, more = objects.find_cardables(value, f"Out[{number}]")
            for title, obj in found:
                card = self.card(obj, title)
                if card is not None:
                    payload.cards.append(card)
            payload.more_cards = more
        elif failed is None:
            for name in reversed(changed[-cards.MAX_ASSIGNED_CARDS :]):
                obj = ns[name]
                if objects._kind_of(obj) is not None:
                    card = self.card(obj, name)
                    if card is not None:
                        payload.cards.append(card)
        payload.variables = objects.list_variables(ns)
        payload.watches = self.evaluate_watches()
        payload.checks = self.check()
        if self.training_model is not None and "model" in (
            getattr(getattr(result, "info", None), "raw_cell", "") or ""
        ):
            payload.warning = (
                "model is training in the dashboard: this cell ran against weights that "
                "change every step (x in the dashboard stops the run)"
            )
        return payload

    def evaluate_watches(self, exprs: tuple[str, ...] | None = None) -> list[cards.WatchValue]:
        return [
            objects.evaluate_watch(e, self.ns) for e in (self.watches if exprs is None else exprs)
        ]

    # -- watches while training ----------------------------------------------------------
    def push_watches_while_training(
        self,
        spawn: Callable[[Callable[[], Any], str], threading.Thread],
        send: Callable[[Any], None],
        runs: Callable[[], Mapping[int, Any]],
    ) -> None:
        """Called on every SetWatches: one thread (this request's, started by ``spawn`` in
        its context, so its messages route like replies) pushes ``WatchValues`` at most 4
        times a second while a run of ``runs()`` (``TrainService.runs``: handles with a
        ``done`` event) trains and no cell is running. The thread of an earlier
        SetWatches (maybe another app's) ends; none runs while there are no watches."""
        with self._watch_lock:
            self._watch_generation += 1
            generation = self._watch_generation
            if self.watches:
                spawn(lambda: self._push_watches(send, runs, generation), "torch-tui-watches")

    def _push_watches(
        self, send: Callable[[Any], None], runs: Callable[[], Mapping[int, Any]], generation: int
    ) -> None:
        said = False  # a failing send is logged once a thread, not four times a second
        while True:
            time.sleep(WATCH_PUSH_INTERVAL)
            with self._watch_lock:
                if generation != self._watch_generation or not self.watches:
                    return
                exprs = self.watches
            if self.busy or not any(not h.done.is_set() for h in list(runs().values())):
                continue
            try:
                send(p.WatchValues(self.evaluate_watches(exprs)))
            except Exception:  # noqa: BLE001 - a closed comm: the next app sets watches again
                if not said:
                    log.warning("watch values not sent", exc_info=True)
                    said = True

    def check(self) -> p.Checks | None:
        if not self.exercises:
            return None
        rows = []
        for spec in self.exercises:
            ex = types.SimpleNamespace(id=spec.id, check=spec.check)
            r = exercises.run_check(ex, self.ns)  # type: ignore[arg-type]
            rows.append(p.CheckResultRow(spec.id, r.passed, r.message, r.line))
        return p.Checks(lesson=self.lesson, results=rows)
