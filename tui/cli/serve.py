"""``torch-tui serve``: the app in a browser, for when a terminal will not do.

textual-serve runs one ``torch-tui`` process per browser tab and relays it over a
websocket. It is an optional extra (``pip install 'torch-tui[serve]'``), imported only
here. Each tab is a Python REPL as the user who started the server, so there is a login:
a token (random, or ``$TORCH_TUI_TOKEN`` / ``--token-file``, never argv) in the printed
URL, then an HttpOnly cookie; other Hosts and Origins are refused, and so are sessions
past ``--max-sessions``. The rules are in ``serve_guard``, the server in
``serve_server``. It binds to loopback unless ``--host`` says otherwise: on a GPU box,
reach it through an SSH tunnel rather than opening a port to the network.
"""

from __future__ import annotations

import argparse
import os
import shlex
import socket
import sys
from pathlib import Path
from urllib.parse import quote

EXIT_USAGE = 2
TOKEN_ENV = "TORCH_TUI_TOKEN"  # serve_guard.TOKEN_ENV; that module loads only when serving
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the app to a web browser (textual-serve)",
        description="Serve torch-tui to a web browser. Binds to loopback unless --host is "
        "given; from your laptop: ssh -L 8000:localhost:8000 user@gpu-box, then open the "
        "URL it prints (http://localhost:8000/?token=...). Without the token nothing is "
        f"served. The token is random unless ${TOKEN_ENV} or --token-file gives one.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (default: 8000)")
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL the browser uses, when it differs from http://localhost:PORT "
        "(e.g. a tunnel to another local port)",
    )
    p.add_argument(
        "--token-file",
        metavar="FILE",
        type=Path,
        help=f"read the login token from FILE (mode 600) instead of ${TOKEN_ENV} or a "
        "random one; keeps the URL the same across restarts",
    )
    p.add_argument(
        "--max-sessions",
        metavar="N",
        type=_positive,
        default=3,
        help="browser tabs served at once, each an app with its own kernel (default: 3)",
    )
    p.set_defaults(handler=cmd_serve)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port {text!r} is not a number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is out of range (1-65535)")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def app_command(args: argparse.Namespace) -> str:
    """The command textual-serve runs for each browser tab: this app, same options."""
    parts = [sys.executable, "-m", "tui"]
    if getattr(args, "device", None):
        parts += ["--device", args.device]
    if getattr(args, "lesson", None):
        parts += ["--lesson", args.lesson]
    for folder in getattr(args, "lessons_dir", None) or []:
        parts += ["--lessons-dir", str(folder)]
    low = getattr(args, "low_bandwidth", None)
    if low is not None:
        parts.append("--low-bandwidth" if low else "--no-low-bandwidth")
    return shlex.join(parts)


def public_url(host: str, port: int) -> str:
    if host in LOOPBACK:
        return f"http://localhost:{port}"
    if host in {"0.0.0.0", "::", ""}:
        return f"http://{socket.gethostname()}:{port}"
    return f"http://{host}:{port}"


def login_url(base: str, token: str) -> str:
    """The URL to open: ``base`` with the token, which the page then swaps for a cookie."""
    return f"{base.rstrip('/')}/?token={quote(token, safe='')}"


def how_to_reach(host: str, port: int, url: str) -> str:
    """What the user reads on start; ``url`` carries the token (see ``login_url``)."""
    if host in LOOPBACK:
        return (
            f"torch-tui serve: listening on {host}:{port} (loopback only).\n"
            f"From your laptop, tunnel to it:  ssh -L {port}:localhost:{port} user@this-box\n"
            f"then open this URL in a browser (the token is the login; keep it private):\n"
            f"  {url}\nCtrl+C stops the server."
        )
    return (
        f"torch-tui serve: listening on {host}:{port}. Anyone who can reach this address "
        "can try the token, and it travels unencrypted over plain http; prefer the default "
        "loopback and an SSH tunnel.\n"
        f"Open this URL in a browser (the token is the login; keep it private):\n"
        f"  {url}\nCtrl+C stops the server."
    )


def _port_free(host: str, port: int) -> str | None:
    """None when ``host:port`` can be bound, else the reason in a few words."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"cannot resolve host {host!r}: {exc.strerror}"
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            return f"cannot listen on {host}:{port}: {exc.strerror}"
    return None


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import textual_serve.server  # noqa: F401 - only to say how to install it
    except ImportError:
        print(
            "torch-tui serve needs textual-serve: pip install 'torch-tui[serve]'",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from tui.cli.serve_guard import (
        Guard,
        Sessions,
        TokenError,
        allowed_hosts,
        cookie_name,
        load_token,
        strip_token_env,
    )
    from tui.cli.serve_server import GuardedServer

    try:
        token = load_token(os.environ, args.token_file)
    except TokenError as exc:
        print(f"torch-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    strip_token_env(os.environ)  # each tab's app (and its REPL) inherits our environment
    problem = _port_free(args.host, args.port)
    if problem:
        print(f"torch-tui: {problem}", file=sys.stderr)
        return EXIT_USAGE
    base = args.public_url or public_url(args.host, args.port)
    url = login_url(base, token)
    guard = Guard(
        token=token,
        cookie=cookie_name(args.port),
        hosts=allowed_hosts(args.host, base),
        login_url=login_url(base, "..."),
    )
    try:
        server = GuardedServer(
            app_command(args),
            guard=guard,
            sessions=Sessions(args.max_sessions),
            host=args.host,
            port=args.port,
            title="torch-tui",
            public_url=base,
            banner=how_to_reach(args.host, args.port, url),
        )
    except RuntimeError as exc:  # a textual-serve we cannot guard: serve nothing
        print(f"torch-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    server.serve()
    return 0
