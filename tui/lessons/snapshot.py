"""Fresh copies of a lesson's namespace, for ``lessons check``'s wrong answers.

Runs inside the kernel (``tui.cli.lesson_check`` calls it in silent cells: no history,
no outputs, no exercise checks). At an exercise with ```` ```python wrong ```` fences,
``take`` keeps the namespace as it is just before the solution would run, with the
random number generators' states, grad mode and default dtype. ``fresh`` then gives each
wrong answer its own deep copy of that namespace (and the same random state), so what
one wrong answer builds, edits or trains is gone before the next one, and ``restore``
puts the original objects back for the solution: the solution runs exactly where it
would have run without the wrong answers.

What is copied: every name the lesson bound, with one ``deepcopy`` memo, so two names
that share an object (a model and the optimizer over its parameters) still share its
copy. Modules, and the names the namespace had before the lesson (IPython's, the
agent's, the preloaded ``torch``, ``nn``, ``device``) while nobody rebound them, are the
same objects in the copy. A tensor in the middle of a graph (a ``loss``: one
with a ``grad_fn``) cannot be deep-copied; it is copied as a new non-leaf over the same
values whose graph ends at a leaf of its own: it still requires grad, ``backward`` and
``retain_grad`` work on it, and nothing reaches the original graph (the copy keeps no
graph link to the names it was computed from).

A name that holds an autograd node (``node = loss.grad_fn``) keeps the same node: it
belongs to the original graph and is read, not changed. Anything else ``deepcopy``
refuses (a generator, a socket, an open file, a list of autograd nodes) makes ``take``
return those names, and the checker chooses. When neither the check nor any wrong
answer names one of them (a socket closed long ago), ``fresh`` keeps those objects as
they are in each copy. When one does, the wrong answers of that exercise each start
from ``blank`` (the namespace as the lesson started, and its random state), the checker
re-runs the lesson's cells up to the exercise, and ``rewind`` sets the random state the
exercise saw: slower, but exact.
"""

from __future__ import annotations

import copy
import random
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: IPython's output history (``_``, ``__``, ``_i3``, ``_7``): shared, never copied.
_HISTORY = re.compile(r"^_(_{0,2}|i{1,3}|i?\d+)$")

_base: dict[str, Any] = {}
_base_state: dict[str, Any] = {}
_saved: dict[str, Any] = {}
_saved_state: dict[str, Any] = {}
_uncopyable: list[str] = []


def _namespace() -> dict[str, Any]:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("tui.lessons.snapshot runs inside an IPython kernel")
    return shell.user_ns


def _hidden() -> dict[str, Any]:
    from IPython import get_ipython

    shell = get_ipython()
    return getattr(shell, "user_ns_hidden", {}) if shell is not None else {}


# -- the state beside the names -------------------------------------------------------


def _state() -> dict[str, Any]:
    """The random generators' states, grad mode and default dtype."""
    state: dict[str, Any] = {"random": random.getstate()}
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        state["numpy"] = numpy.random.get_state()
    torch = sys.modules.get("torch")
    if torch is not None:
        state["torch"] = torch.random.get_rng_state()
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state["cuda"] = torch.cuda.get_rng_state_all()
        state["grad"] = torch.is_grad_enabled()
        state["dtype"] = torch.get_default_dtype()
    return state


def _set_state(state: dict[str, Any]) -> None:
    random.setstate(state["random"])
    numpy = sys.modules.get("numpy")
    if numpy is not None and "numpy" in state:
        numpy.random.set_state(state["numpy"])
    torch = sys.modules.get("torch")
    if torch is not None and "torch" in state:
        torch.random.set_rng_state(state["torch"])
        if "cuda" in state:
            torch.cuda.set_rng_state_all(state["cuda"])
        torch.set_grad_enabled(state["grad"])
        torch.set_default_dtype(state["dtype"])


# -- names -------------------------------------------------------------------------------


def _shared(name: str, value: Any, hidden: dict[str, Any]) -> bool:
    """Names kept as the same object: dunders, IPython's history, and the names the
    namespace had before the lesson began (IPython's, the agent's, the preloaded torch,
    nn, device...) while they still hold what was there."""
    if name.startswith("__") and name.endswith("__"):
        return True
    if _HISTORY.match(name):
        return True
    if name in _base and _base[name] is value:
        return True
    if name in hidden and hidden[name] is value:
        return True
    return _is_graph_node(value)


def _is_graph_node(value: Any) -> bool:
    """An autograd node (``loss.grad_fn``): part of the graph that made it, read, not
    changed, and never copyable."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.autograd.graph.Node)


def _memo() -> dict[int, Any]:
    """A deepcopy memo in which every imported module is itself."""
    return {id(m): m for m in list(sys.modules.values()) if m is not None}


@contextmanager
def _graph_tensors_copied() -> Iterator[None]:
    """While it is open, ``deepcopy`` copies a tensor with a ``grad_fn`` (which it refuses
    by default) as a non-leaf over the same values, on a graph of its own."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    original = torch.Tensor.__deepcopy__

    def deepcopy_graph_tensor(self: Any, memo: dict[int, Any]) -> Any:
        if self.grad_fn is None:
            return original(self, memo)
        leaf = self.detach().clone().requires_grad_(True)
        out = leaf.clone()  # a non-leaf, like the original, on a graph of its own
        if self.retains_grad:
            out.retain_grad()
            if self.grad is not None:
                out.grad = original(self.grad, memo)
        memo[id(self)] = out
        return out

    torch.Tensor.__deepcopy__ = deepcopy_graph_tensor
    try:
        yield
    finally:
        torch.Tensor.__deepcopy__ = original


def _copy(values: dict[str, Any]) -> dict[str, Any]:
    """One deep copy of ``values`` (one memo: shared objects stay shared)."""
    with _graph_tensors_copied():
        return copy.deepcopy(values, _memo())


def _split(ns: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    hidden = _hidden()
    shared = {k: v for k, v in ns.items() if _shared(k, v, hidden)}
    own = {k: v for k, v in ns.items() if k not in shared}
    return shared, own


def _replace(ns: dict[str, Any], values: dict[str, Any]) -> None:
    """Make ``ns`` hold exactly ``values`` (the same dict object: IPython keeps it)."""
    for name in [k for k in ns if k not in values]:
        del ns[name]
    ns.update(values)


# -- the calls lessons check makes ----------------------------------------------------


def begin() -> None:
    """At the start of a lesson: what ``blank`` goes back to."""
    _base.clear()
    _base.update(_namespace())
    _base_state.clear()
    _base_state.update(_state())


def take() -> list[str]:
    """Keep the namespace as it is now; the names ``deepcopy`` refuses (empty when every
    wrong answer can start from a copy)."""
    ns = _namespace()
    _saved.clear()
    _saved.update(ns)
    _saved_state.clear()
    _saved_state.update(_state())
    _uncopyable.clear()
    _, own = _split(ns)
    try:
        _copy(own)
    except Exception:  # noqa: BLE001 - find which names, one at a time
        for name, value in own.items():
            try:
                _copy({name: value})
            except Exception:  # noqa: BLE001 - whatever deepcopy raises, it is a refusal
                _uncopyable.append(name)
        if not _uncopyable:  # only together (a cycle through two names): all of them
            _uncopyable.extend(own)
    return list(_uncopyable)


def fresh() -> None:
    """The namespace becomes a new deep copy of the one ``take`` kept, with its state
    (the names ``take`` could not copy are the same objects)."""
    if not _saved_state:
        raise RuntimeError("no namespace was taken")
    shared, own = _split(_saved)
    kept = {k: own.pop(k) for k in _uncopyable if k in own}
    _replace(_namespace(), {**shared, **kept, **_copy(own)})
    _set_state(_saved_state)


def blank() -> None:
    """The namespace as the lesson started, with the state it had then (the checker then
    re-runs the lesson's cells up to the exercise)."""
    _replace(_namespace(), dict(_base))
    _set_state(_base_state)


def rewind() -> None:
    """The state ``take`` kept (random generators, grad mode, dtype); names untouched."""
    _set_state(_saved_state)


def restore() -> None:
    """The original objects ``take`` kept, and its state; the snapshot is dropped."""
    if not _saved_state:
        raise RuntimeError("no namespace was taken")
    _replace(_namespace(), dict(_saved))
    _set_state(_saved_state)
    _saved.clear()
    _saved_state.clear()
    _uncopyable.clear()
