"""Who may use ``torch-tui serve``: the token, the cookie, Host and Origin, the session cap.

Each browser tab gets a Python REPL as the user who started the server, so on a shared
box the server must tell its user's browser from everyone else's. These are pure
functions (no aiohttp, no textual-serve) so each rule is tested on its own; the server
in ``serve_server`` only asks them.
"""

from __future__ import annotations

import hmac
import re
import secrets
import stat
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

TOKEN_ENV = "TORCH_TUI_TOKEN"
MIN_TOKEN_CHARS = 16
# Unreserved URL characters only: the token travels in a query string and in a cookie.
_TOKEN_RE = re.compile(r"[A-Za-z0-9._~-]+")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


class TokenError(Exception):
    """The token the user gave cannot be used; the message is the one line they see."""


def new_token() -> str:
    """A fresh random token (256 bits), for when the user brings none."""
    return secrets.token_urlsafe(32)


def load_token(env: Mapping[str, str], token_file: Path | None) -> str:
    """The token from ``--token-file``, else ``$TORCH_TUI_TOKEN``, else a new one.

    Never from argv: other users on the box can read every process's command line.
    A token file others could read is refused, as ssh refuses such a key.
    """
    if token_file is not None:
        token_file = token_file.expanduser()
        return _check_token(_read_token_file(token_file), f"token file {str(token_file)!r}")
    if TOKEN_ENV in env:
        return _check_token(env[TOKEN_ENV].strip(), TOKEN_ENV)
    return new_token()


def _read_token_file(path: Path) -> str:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise TokenError(f"token file {str(path)!r} is not a regular file")
        if info.st_mode & 0o077:
            raise TokenError(
                f"token file {str(path)!r} can be read by other users "
                f"(mode {stat.S_IMODE(info.st_mode):o}): chmod 600 it"
            )
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise TokenError(f"token file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise TokenError(f"cannot read token file {str(path)!r}: {reason}") from None


def _check_token(token: str, source: str) -> str:
    if not token:
        raise TokenError(f"{source} is empty")
    if len(token) < MIN_TOKEN_CHARS or not _TOKEN_RE.fullmatch(token):
        raise TokenError(
            f"{source}: the token must be at least {MIN_TOKEN_CHARS} characters of "
            "A-Z a-z 0-9 . _ ~ - (python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return token


def cookie_name(port: int) -> str:
    """Cookies ignore ports: two servers on one box each need their own name."""
    return f"torch-tui-token-{port}"


def token_matches(presented: str | None, token: str) -> bool:
    """Constant-time comparison, so timing tells an attacker nothing about the token."""
    if presented is None:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), token.encode("utf-8"))


def split_host(value: str | None) -> tuple[str, int | None] | None:
    """``Host`` header -> (lower-case host without brackets, port or None); None if malformed."""
    if not value:
        return None
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[1:end], value[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:] if rest else None
    elif value.count(":") == 1:
        host, port_text = value.split(":")
    elif ":" in value:
        return None  # a bare IPv6 address must be bracketed in a Host header
    else:
        host, port_text = value, None
    if not host:
        return None
    if port_text is None:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return None
    return host, int(port_text)


def allowed_hosts(bind_host: str, public_url: str | None) -> frozenset[str]:
    """Names the browser may use for this server: loopback, ``--host``, ``--public-url``.

    Any other Host is a DNS-rebinding page or a misdirected request. Ports are not
    checked, so a tunnel to another local port (``ssh -L 9000:localhost:8000``) works.
    """
    hosts = set(LOOPBACK_HOSTS)
    bind = bind_host.strip("[]").lower()
    if bind not in _WILDCARD_HOSTS:
        hosts.add(bind)
    if public_url:
        name = urlsplit(public_url).hostname
        if name:
            hosts.add(name.lower())
    return frozenset(hosts)


def origin_problem(origin: str | None, host_header: str | None) -> str | None:
    """Why a websocket's Origin is refused, or None: it must be this very server.

    Browsers always send Origin on a websocket; one from another site (or another port
    of localhost, which cookies do not tell apart) must not drive the app.
    """
    if not origin or origin == "null":
        return "websocket without an Origin"
    parts = urlsplit(origin)
    try:
        origin_port = parts.port
    except ValueError:
        return f"malformed Origin {origin!r}"
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return f"Origin {origin!r} is not an http(s) page"
    host = split_host(host_header)
    if host is None:
        return "missing or malformed Host"
    default = _DEFAULT_PORTS[parts.scheme]
    if (parts.hostname.lower(), origin_port or default) != (host[0], host[1] or default):
        return f"Origin {origin!r} is not this server ({host_header})"
    return None


@dataclass(frozen=True)
class Refusal:
    """An HTTP status, the plain text the client gets, and the reason logged."""

    status: int
    text: str
    why: str


@dataclass(frozen=True)
class Guard:
    """The rules of one server: its token, cookie name and the host names it answers to."""

    token: str
    cookie: str
    hosts: frozenset[str]
    login_url: str

    def presented(self, query: Mapping[str, str], cookies: Mapping[str, str]) -> str | None:
        """The token the request carries: in the query (the printed URL), else the cookie."""
        if "token" in query:
            return query["token"]
        return cookies.get(self.cookie)

    def check(
        self,
        kind: str,
        host_header: str | None,
        origin: str | None = None,
        presented: str | None = None,
    ) -> Refusal | None:
        """None when the request may go on; ``kind`` is "static", "websocket" or "page"."""
        host = split_host(host_header)
        if host is None or host[0] not in self.hosts:
            return Refusal(
                403,
                "torch-tui serve answers only to localhost and the names given by --host "
                "or --public-url.",
                f"Host {host_header!r} not allowed",
            )
        if kind == "static":  # the package's own CSS, JS and fonts: nothing of the app
            return None
        if presented is None:
            return Refusal(
                401,
                f"torch-tui serve needs its token: open the URL it printed ({self.login_url}).",
                "no token",
            )
        if not token_matches(presented, self.token):
            return Refusal(403, "Wrong token: open the URL torch-tui serve printed.", "wrong token")
        if kind == "websocket":
            problem = origin_problem(origin, host_header)
            if problem:
                return Refusal(403, "This page may not open a torch-tui session.", problem)
        return None


class Sessions:
    """How many apps run at once: each is a process with a kernel that imports torch."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0

    def try_open(self) -> bool:
        """Take a place if one is free (no await inside: atomic on the event loop)."""
        if self.active >= self.limit:
            return False
        self.active += 1
        return True

    def close(self) -> None:
        self.active = max(0, self.active - 1)

    def full_message(self) -> str:
        """The close reason the browser shows (a websocket close reason: <= 123 bytes)."""
        noun = "session is" if self.limit == 1 else "sessions are"
        return f"All {self.limit} torch-tui {noun} in use: close another tab and press Restart."


def refusal_line(when: datetime, remote: str | None, method: str, path: str, why: str) -> str:
    """One log line per refused request, cleaned so a crafted path cannot forge lines."""
    stamp = when.isoformat(sep=" ", timespec="seconds")
    line = f"{stamp} torch-tui serve: refused {method} {path[:200]} from {remote or '?'}: {why}"
    return "".join(c if c.isprintable() else "?" for c in line)


_TOKEN_QUERY_RE = re.compile(r"([?&]token=)[^&\s\"']*")


def redact(text: str, token: str, cookie: str) -> str:
    """``text`` without the token: logs (aiohttp's access log, tracebacks) may end up in
    a file others can read, and every first visit has the token in its query string."""
    text = text.replace(token, "<token>")
    text = re.sub(rf"({re.escape(cookie)}=)[^;\s\"']*", r"\1<token>", text)
    return _TOKEN_QUERY_RE.sub(r"\1<token>", text)


def strip_token_env(env: MutableMapping[str, str]) -> None:
    """The apps inherit the server's environment; the token must not reach their REPLs."""
    env.pop(TOKEN_ENV, None)
