"""textual-serve's ``Server`` with a login: every request passes ``serve_guard`` first.

Imported only by ``torch-tui serve`` once textual-serve is known to be installed.
"""

from __future__ import annotations

import logging
import sys
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, web
from rich.logging import RichHandler
from textual_serve.server import LogHighlighter, Server

from tui.cli.serve_guard import Guard, Refusal, Sessions, redact, refusal_line

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


class GuardedServer(Server):
    """Refuses anything without the token, from another Host or Origin, or over the cap."""

    def __init__(
        self, command: str, *, guard: Guard, sessions: Sessions, banner: str, **kwargs: Any
    ) -> None:
        # textual-serve builds its app in the private ``_make_app``; if a new version
        # renames it, our override below would silently not run: refuse to serve instead.
        if not callable(getattr(Server, "_make_app", None)):
            raise RuntimeError("this textual-serve version is not supported by torch-tui serve")
        super().__init__(command, templates_path=TEMPLATES, **kwargs)
        self.guard = guard
        self.sessions = sessions
        self.banner = banner

    async def on_startup(self, app: web.Application) -> None:
        """Our banner, with the login URL, instead of textual-serve's logo and its URL
        without the token (which would only get a 401)."""
        print(self.banner, flush=True)

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
        query = request.query.copy()
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
            return await super().handle_websocket(request)
        finally:
            self.sessions.close()

    async def handle_download(self, request: web.Request) -> web.StreamResponse:
        self._require_guard(request)
        return await super().handle_download(request)
