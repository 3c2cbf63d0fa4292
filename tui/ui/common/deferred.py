"""Mount a widget's heavy body after the first frame, and hold calls until it is there.

Styling a widget costs the UI thread about 3 ms here, and the dashboard's settings and
the inspector's tabs are about 100 widgets: composed up front they delayed the first
frame by ~0.8 s on a 2-core box. A ``Deferred`` widget composes a one-line placeholder,
mounts its real children right after the first refresh, and queues any
``@after_build`` method called in between (a key pressed while the app starts).
"""

from __future__ import annotations

import functools
import inspect
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

F = TypeVar("F", bound=Callable[..., Any])


def after_build(method: F) -> F:
    """Run ``method`` now if the body is mounted, else as soon as it is (result: None)."""

    @functools.wraps(method)
    def wrapper(self: Deferred, *args: Any, **kwargs: Any) -> Any:
        if self.built:
            return method(self, *args, **kwargs)
        self._queued.append(functools.partial(method, self, *args, **kwargs))
        return None

    return wrapper  # type: ignore[return-value]


class LoadingNote(Static):
    """What a deferred widget shows for the first frame."""

    DEFAULT_CSS = "LoadingNote { color: $text-muted; padding: 0 1; }"


class _Builds:
    """One app's deferred widgets, mounted one per frame in the order they appeared.

    Mounted back to back, none of them showed until the last was in (~1.5 s here): the
    lesson and the REPL, which are quick, now show first. In an app that called
    ``hold_late``, ``LATE`` widgets wait until ``release_late`` (torch-tui holds them
    until torch is loaded: mounting the dashboard and the inspector while torch imports
    delayed torch by ~1 s on a 2-core box).
    """

    def __init__(self) -> None:
        self.waiting: deque[Deferred] = deque()
        self.late: list[Deferred] = []
        self.held = False
        self.scheduled = False
        #: Called once every deferred widget so far is built, the late ones included.
        self.settled: list[Callable[[], Any]] = []
        #: Called once the deferred widgets not held back (``LATE``) are built.
        self.quick: list[Callable[[], Any]] = []

    def add(self, widget: Any) -> None:
        if widget.LATE and self.held:
            self.late.append(widget)
            return
        self.waiting.append(widget)
        self._schedule(widget.app)

    def release(self, app: Any) -> None:
        self.held = False
        self.waiting.extend(self.late)
        self.late.clear()
        self._schedule(app)

    def _schedule(self, app: Any) -> None:
        if self.waiting and not self.scheduled:
            self.scheduled = True
            app.call_after_refresh(self.build_next, app)

    async def build_next(self, app: Any) -> None:
        try:
            if self.waiting:  # widgets mounted by this build (the REPL's inspector) queue up
                await self.waiting.popleft()._build()
        finally:
            self.scheduled = False
            self._schedule(app)  # the next one after the frame that shows this one
            if not self.waiting:
                quick, self.quick = self.quick, []
                for callback in quick:
                    callback()
            if not (self.waiting or self.late or self.held):
                settled, self.settled = self.settled, []
                for callback in settled:
                    callback()


_builds: weakref.WeakKeyDictionary[Any, _Builds] = weakref.WeakKeyDictionary()


def _builds_of(app: Any) -> _Builds:
    return _builds.setdefault(app, _Builds())


def hold_late(app: Any) -> None:
    """From now on ``app``'s ``LATE`` deferred widgets wait for ``release_late(app)``."""
    _builds_of(app).held = True


def release_late(app: Any) -> None:
    """Let the ``LATE`` deferred widgets of ``app`` mount (now and from now on)."""
    _builds_of(app).release(app)


def when_all_built(app: Any, callback: Callable[[], Any]) -> None:
    """Call ``callback`` once, when every deferred widget of ``app`` is built (the
    ``LATE`` ones after ``release_late``)."""
    _builds_of(app).settled.append(callback)


def when_quick_built(app: Any, callback: Callable[[], Any]) -> None:
    """Call ``callback`` once, when the deferred widgets not held back (``LATE``) are
    built (the widgets of the first frame are counted after it: they register as they
    mount); at once if none is waiting then."""
    builds = _builds_of(app)

    def after_first_frame() -> None:
        if builds.waiting or builds.scheduled:
            builds.quick.append(callback)
        else:
            callback()

    app.call_after_refresh(after_first_frame)


def _say_state_warnings(app: Any) -> None:
    """Bodies read state as they build (progress, reviews, the dashboard's settings),
    some after the app showed the start-up warnings: a file they set aside is said now."""
    from tui.platform import state

    for warning in state.warnings.drain():
        app.notify(warning, severity="warning", timeout=8, markup=False)


class Deferred(Vertical):
    """A container whose children come from ``compose_body`` after the first frame (the
    base of the panes and of the REPL's inspector).

    Textual's ``Lazy`` mounts a widget after the first refresh too, but it queues no calls
    and cannot wait for the kernel: a pane must take the keys typed for it while it
    mounts (``when_built``, ``after_build``), and ``LATE`` bodies wait for torch.
    Subclasses implement ``compose_body`` (it may import what it needs: those imports are
    deferred too) and ``on_built`` for what ``on_mount`` would otherwise do.
    """

    PLACEHOLDER = "loading…"
    #: In an app that holds them (``hold_late``), mount only after ``release_late(app)``:
    #: for bodies of no use before torch is loaded.
    LATE = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.built = False
        self._queued: list[Callable[[], Any]] = []

    def compose(self) -> ComposeResult:
        yield LoadingNote(self.PLACEHOLDER)

    def on_mount(self) -> None:
        # Textual calls the on_mount of every class in the MRO: the pane's own runs too.
        _builds_of(self.app).add(self)

    def _quitting(self) -> bool:
        app = self.app
        return not (self.is_attached and app.is_running and not getattr(app, "quitting", False))

    async def _build(self) -> None:
        if self._quitting():  # quit before the first frame: mounting now would race
            return  # the teardown (Select's children vanish under it)
        async with self.batch():
            await self.query_children(LoadingNote).remove()
            await self.mount_compose(self.compose_body())
        if self._quitting():
            return
        self.built = True
        result = self.on_built()
        if inspect.isawaitable(result):
            await result
        queued, self._queued = self._queued, []
        for call in queued:
            call()
        _say_state_warnings(self.app)

    def compose_body(self) -> ComposeResult:
        """The real children (called once, after the first frame)."""
        yield from ()

    def on_built(self) -> Any:
        """The body is mounted: start timers, subscribe to signals, fill in values.

        May be a coroutine (awaited before the queued calls run)."""

    def when_built(self, callback: Callable[[], Any]) -> None:
        """Call ``callback`` now if the body is mounted, else as soon as it is."""
        if self.built:
            callback()
        else:
            self._queued.append(callback)
