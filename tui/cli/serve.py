"""``torch-tui serve``: the app in a browser, for when a terminal will not do.

textual-serve runs one ``torch-tui`` process per browser tab and relays it over a
websocket. It is an optional extra (``pip install 'torch-tui[serve]'``), imported only
here. It binds to loopback unless ``--host`` says otherwise: on a GPU box, reach it
through an SSH tunnel rather than opening a port to the network (there is no login).
"""

from __future__ import annotations

import argparse
import shlex
import socket
import sys

EXIT_USAGE = 2
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the app to a web browser (textual-serve)",
        description="Serve torch-tui to a web browser. Binds to loopback unless --host is "
        "given; from your laptop: ssh -L 8000:localhost:8000 user@gpu-box, then open "
        "http://localhost:8000.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (default: 8000)")
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL the browser uses, when it differs from http://localhost:PORT "
        "(e.g. a tunnel to another local port)",
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


def how_to_reach(host: str, port: int) -> str:
    if host in LOOPBACK:
        return (
            f"torch-tui serve: listening on {host}:{port} (loopback only).\n"
            f"From your laptop, tunnel to it:  ssh -L {port}:localhost:{port} user@this-box\n"
            f"then open http://localhost:{port} in a browser. Ctrl+C stops the server."
        )
    return (
        f"torch-tui serve: listening on {host}:{port}. Anyone who can reach this address can "
        "use the app (there is no login); prefer the default loopback and an SSH tunnel.\n"
        f"Open {public_url(host, port)} in a browser. Ctrl+C stops the server."
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
        from textual_serve.server import Server
    except ImportError:
        print(
            "torch-tui serve needs textual-serve: pip install 'torch-tui[serve]'",
            file=sys.stderr,
        )
        return EXIT_USAGE
    problem = _port_free(args.host, args.port)
    if problem:
        print(f"torch-tui: {problem}", file=sys.stderr)
        return EXIT_USAGE
    server = Server(
        app_command(args),
        host=args.host,
        port=args.port,
        title="torch-tui",
        public_url=args.public_url or public_url(args.host, args.port),
    )
    print(how_to_reach(args.host, args.port), flush=True)
    server.serve()
    return 0
