"""textual-serve's ``Server`` with a login: every request passes ``serve_guard`` first.

Each tab's app runs in a process group of its own, and no app can hold its session (or
the server) forever: textual-serve waits for an app to quit with no time limit, so a
hung app kept its tab's place after the tab closed and kept Ctrl+C from stopping the
server. Here a closed tab's app gets ``QUIT_GRACE`` seconds, then SIGTERM (the app's own
clean end, see ``tui.cli._children_end_with_us``), then SIGKILL to its group; stopping
the server ends every app that way within ``SHUTDOWN_GRACE``.

Imported only by ``torch-tui serve`` once textual-serve is known to be installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import signal
import sys
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, web
from multidict import MultiDict
from rich.logging import RichHandler
from textual_serve.app_service import AppService
from textual_serve.server import LogHighlighter, Server, to_int

from tui.cli.serve_guard import Guard, Refusal, Sessions, redact, refusal_line

log = logging.getLogger("textual-serve")

#: Seconds a closed tab's app has to quit before SIGTERM to its process group.
QUIT_GRACE = 3.0
#: Seconds after SIGTERM before SIGKILL: the app's own SIGTERM path ends it within 1.8 s.
TERM_GRACE = 2.0
#: Seconds every app has after SIGTERM when the server stops (Ctrl+C), before SIGKILL.
SHUTDOWN_GRACE = 1.0
#: Seconds to wait for a SIGKILLed app to be reaped and for its output to end.
KILL_WAIT = 1.0
#: Seconds a stopping server waits for a browser to answer its closing of a tab.
CLOSE_WAIT = 0.3

TEMPLATES = Path(__file__).with_name("serve_templates")
# Set on a request once the guard has let it through (RequestKey: aiohttp >= 3.12).
_GUARDED: Any = getattr(web, "RequestKey", lambda name, _type: name)("torch_tui_guarded", bool)


def _route_kind(request: web.Request) -> str:
    """The kind of route aiohttp matched: static, websocket or page.

    From the route, not the raw path, so ``/static/../ws`` cannot pass for a static file.
    """
    resource = getattr(request.match_info.route, "resource", None)
    name = getattr(resource, "name", None)
    return name if name in ("static", "websocket") else "page"


class _RedactToken(logging.Filter):
    """Keeps the token out of every log line (the access log quotes each query string)."""

    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.guard.token, self.guard.cookie)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[1] is not None:
            text = "".join(traceback.format_exception(record.exc_info[1]))
            if redact(text, self.guard.token, self.guard.cookie) != text:
                record.exc_info = None
                record.msg = f"{record.msg} (traceback withheld: it quoted the token)"
        return True


class SessionApp(AppService):
    """One tab's app, in a session (and process group) of its own so it can be killed
    whole; ``stop`` is bounded in time where textual-serve's waits forever."""

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        # textual-serve's own, but with start_new_session (a group to signal, and the
        # server's terminal, its Ctrl+C, no longer reaches the apps directly) and without
        # a shell in between: the app is our child, reaped the moment it ends, where a
        # shell's orphaned child would wait for init to reap it (for a second, on some
        # boxes). ``serve.app_command`` writes the command with ``shlex.join``.
        environment = self._build_environment(width=width, height=height)
        self._process = process = await asyncio.create_subprocess_exec(
            *shlex.split(self.command),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            start_new_session=True,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    _group_gone = False

    def group_alive(self) -> bool:
        """Some process of the app's group is still there (the shell textual-serve
        starts may be gone while the app it started lives on). Once the group is empty
        it is never signalled again: its number could be another group's one day."""
        if self._process is None or self._group_gone:
            return False
        try:
            os.killpg(self._process.pid, 0)
        except ProcessLookupError:
            self._group_gone = True
            return False
        except PermissionError:
            pass
        return True

    def signal_group(self, sig: int) -> None:
        """``sig`` to every process of the app's group, while there is one."""
        if self.group_alive() and self._process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, sig)

    async def ended(self, timeout: float) -> bool:
        """True once the app's whole process group is gone (waiting at most ``timeout``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.group_alive():
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    async def _ask_to_quit(self) -> None:
        await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
        await self.send_meta({"type": "quit"})

    async def stop(self, grace: float = QUIT_GRACE) -> None:
        """Ask the app to quit; after ``grace`` s SIGTERM its group, then SIGKILL it."""
        task = self._task
        if task is None:
            return
        self._task = None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        try:
            try:
                await asyncio.wait_for(self._ask_to_quit(), grace)
            except (TimeoutError, OSError):  # a hung app never reads its stdin, a dead one has none
                pass
            except Exception:  # noqa: BLE001 - SIGTERM and SIGKILL follow all the same
                log.warning("app not asked to quit", exc_info=True)
            if not await self.ended(deadline - loop.time()):
                log.warning("app did not quit within %g s: SIGTERM", grace)
                self.signal_group(signal.SIGTERM)
                if not await self.ended(TERM_GRACE):
                    log.warning("app did not end on SIGTERM: SIGKILL")
                    self.signal_group(signal.SIGKILL)
                    await self.ended(KILL_WAIT)
            # Its output ends with it; a pipe still held open elsewhere ends here.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), KILL_WAIT)
        finally:
            self.signal_group(signal.SIGKILL)  # cancelled, or still there: never left
            if not task.done():
                task.cancel()


class GuardedServer(Server):
    """Refuses anything without the token, from another Host or Origin, or over the cap."""

    def __init__(
        self, command: str, *, guard: Guard, sessions: Sessions, banner: str, **kwargs: Any
    ) -> None:
        # textual-serve builds its app in the private ``_make_app``; if a new version
        # renames it, our override below would silently not run: refuse to serve instead.
        private = (Server, "_make_app"), (Server, "_process_messages"), (AppService, "run")
        if not all(callable(getattr(cls, name, None)) for cls, name in private):
            raise RuntimeError("this textual-serve version is not supported by torch-tui serve")
        super().__init__(command, templates_path=TEMPLATES, **kwargs)
        self.guard = guard
        self.sessions = sessions
        self.banner = banner
        #: Each running tab's app and its websocket.
        self.live: dict[SessionApp, web.WebSocketResponse] = {}

    async def on_startup(self, app: web.Application) -> None:
        """Our banner, with the login URL, instead of textual-serve's logo and its URL
        without the token (which would only get a 401)."""
        print(self.banner, flush=True)

    async def on_shutdown(self, app: web.Application) -> None:
        """Ctrl+C: every app gets SIGTERM (it ends as on ctrl+q), SIGKILL after
        ``SHUTDOWN_GRACE`` s; then the tabs are closed, so no handler keeps the server."""
        live = list(self.live.items())
        for service, _ in live:
            service.signal_group(signal.SIGTERM)
        await asyncio.gather(
            *(service.ended(SHUTDOWN_GRACE) for service, _ in live),
            *(self._close(websocket) for _, websocket in live),
        )
        for service, _ in live:
            service.signal_group(signal.SIGKILL)
        await asyncio.gather(*(service.ended(KILL_WAIT) for service, _ in live))

    @staticmethod
    async def _close(websocket: web.WebSocketResponse) -> None:
        """Close a tab, waiting at most ``CLOSE_WAIT`` s for the browser's answer."""
        try:
            await asyncio.wait_for(
                websocket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped"),
                CLOSE_WAIT,
            )
        except (TimeoutError, OSError):  # a browser that does not answer, or is gone
            pass
        except Exception:  # noqa: BLE001 - the server stops all the same
            log.warning("tab not closed", exc_info=True)

    def initialize_logging(self) -> None:
        """textual-serve's logging, minus tracebacks' local variables (they hold raw
        requests, cookies included), with the token redacted from every line."""
        handler = RichHandler(
            show_path=False,
            show_time=False,
            rich_tracebacks=True,
            tracebacks_show_locals=False,
            highlighter=LogHighlighter(),
            console=self.console,
        )
        handler.addFilter(_RedactToken(self.guard))
        logging.basicConfig(
            level="DEBUG" if self.debug else "INFO", format="%(message)s", handlers=[handler]
        )

    async def _make_app(self) -> web.Application:
        # The one private hook we use: textual-serve has no middleware option, and this is
        # where its aiohttp app exists before it is frozen. One middleware covers every
        # route (static files and 404s included); the handlers below also refuse any
        # request it did not see.
        app = await super()._make_app()
        app.middlewares.append(self._guard_middleware)
        return app

    @web.middleware
    async def _guard_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Host for every request; the token for all but static files; Origin for /ws."""
        presented = self.guard.presented(request.query, request.cookies)
        refusal = self.guard.check(
            _route_kind(request),
            request.headers.get("Host"),
            request.headers.get("Origin"),
            presented,
        )
        if refusal is not None:
            return self._refuse(request, refusal)
        request[_GUARDED] = True
        return await handler(request)

    def _refuse(self, request: web.Request, refusal: Refusal) -> web.Response:
        """The plain-text answer, and one line on stderr for whoever runs the server."""
        self._log_refusal(request, refusal.why)
        return web.Response(status=refusal.status, text=refusal.text + "\n")

    def _log_refusal(self, request: web.Request, why: str) -> None:
        line = refusal_line(datetime.now(), request.remote, request.method, request.path, why)
        print(line, file=sys.stderr, flush=True)

    @staticmethod
    def _require_guard(request: web.Request) -> None:
        """Fail closed should a textual-serve change ever route around the middleware."""
        if not request.get(_GUARDED):
            raise web.HTTPForbidden(text="torch-tui serve: request not checked; refused\n")

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page; with ``?token=`` (already checked) it sets the cookie and redirects,
        so the token leaves the address bar and the history."""
        self._require_guard(request)
        if "token" not in request.query:
            return await super().handle_index(request)
        query = MultiDict(request.query)
        del query["token"]
        # Relative, so a reverse proxy's path prefix survives.
        location = "./" + (f"?{request.rel_url.with_query(query).query_string}" if query else "")
        response = web.Response(status=303, headers={"Location": location})
        response.set_cookie(
            self.guard.cookie,
            self.guard.token,
            httponly=True,
            samesite="Strict",
            path="/",
            secure=self.public_url.startswith("https:"),
        )
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One app process per session, up to the cap; past it, closed with the reason."""
        self._require_guard(request)
        if not self.sessions.try_open():
            reason = self.sessions.full_message()
            self._log_refusal(request, f"all {self.sessions.limit} sessions in use")
            websocket = web.WebSocketResponse()
            await websocket.prepare(request)
            await websocket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=reason.encode())
            return websocket
        try:
            return await self._session(request)
        finally:
            self.sessions.close()

    async def _session(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's ``handle_websocket`` with a ``SessionApp``, whose ``stop`` ends
        within ``QUIT_GRACE + TERM_GRACE + 2 * KILL_WAIT`` s, whatever the app does."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service: SessionApp | None = None

        async def close() -> None:
            await websocket.close()

        try:
            await websocket.prepare(request)
            service = SessionApp(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            self.live[service] = websocket
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await self._close(websocket)
        except Exception as error:  # noqa: BLE001 - as textual-serve: logged, tab closed
            log.exception(error)
        finally:
            if service is not None:
                try:
                    await service.stop()
                finally:
                    self.live.pop(service, None)
        return websocket

    async def handle_download(self, request: web.Request) -> web.StreamResponse:
        self._require_guard(request)
        return await super().handle_download(request)
