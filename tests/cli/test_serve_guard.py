"""The rules of ``torch-tui serve``'s login, one by one (pure functions, no server)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from tui.cli import main, serve
from tui.cli.serve_guard import (
    MIN_TOKEN_CHARS,
    TOKEN_ENV,
    Guard,
    Sessions,
    TokenError,
    allowed_hosts,
    cookie_name,
    load_token,
    new_token,
    origin_problem,
    redact,
    refusal_line,
    split_host,
    strip_token_env,
    token_matches,
)

TOKEN = "t" * 20 + "-_.~AZ09"
GUARD = Guard(
    token=TOKEN,
    cookie=cookie_name(8000),
    hosts=allowed_hosts("127.0.0.1", "http://localhost:8000"),
    login_url="http://localhost:8000/?token=...",
)


def _token_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "token"
    path.write_text(text)
    path.chmod(mode)
    return path


# --- the token -------------------------------------------------------------------------


def test_a_new_token_is_random_and_url_safe():
    first, second = new_token(), new_token()
    assert first != second and len(first) >= 43
    assert load_token({}, None) != load_token({}, None)


def test_the_token_file_wins_over_the_environment(tmp_path):
    path = _token_file(tmp_path, TOKEN + "\n")
    assert load_token({TOKEN_ENV: "e" * 30}, path) == TOKEN
    assert load_token({TOKEN_ENV: f"  {TOKEN}\n"}, None) == TOKEN


@pytest.mark.parametrize(
    ("text", "mode", "expected"),
    [
        (TOKEN, 0o640, "other users"),
        (TOKEN, 0o604, "other users"),
        ("", 0o600, "is empty"),
        ("\n  \n", 0o600, "is empty"),
        ("short", 0o600, f"at least {MIN_TOKEN_CHARS}"),
        ("has spaces in the middle of it", 0o600, "at least"),
    ],
)
def test_a_bad_token_file_is_refused(tmp_path, text, mode, expected):
    with pytest.raises(TokenError, match=expected):
        load_token({}, _token_file(tmp_path, text, mode))


def test_a_missing_token_file_or_a_folder_is_refused(tmp_path):
    with pytest.raises(TokenError, match="does not exist"):
        load_token({}, tmp_path / "nope")
    folder = tmp_path / "dir"
    folder.mkdir(mode=0o700)
    with pytest.raises(TokenError, match="not a regular file"):
        load_token({}, folder)


def test_an_empty_token_variable_is_refused():
    with pytest.raises(TokenError, match=f"{TOKEN_ENV} is empty"):
        load_token({TOKEN_ENV: ""}, None)


@pytest.mark.parametrize("mode", [0o644, 0o600])
def test_serve_with_a_bad_token_file_says_one_line_and_exits_2(tmp_path, capsys, mode):
    path = _token_file(tmp_path, TOKEN if mode != 0o600 else "", mode)
    assert main(["serve", "--port", "8000", "--token-file", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "token file" in err


def test_a_bad_token_variable_is_one_line_and_exit_2(monkeypatch, capsys):
    monkeypatch.setenv(TOKEN_ENV, "short")
    assert main(["serve", "--port", "8000"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and TOKEN_ENV in err
    assert os.environ[TOKEN_ENV] == "short"  # refused before anything else happened


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_max_sessions_must_be_a_positive_number(value, capsys):
    assert main(["serve", "--max-sessions", value]) == 2
    err = capsys.readouterr().err
    assert "--max-sessions" in err and err.count("\n") == 1


def test_the_cli_names_the_same_variable():
    assert serve.TOKEN_ENV == TOKEN_ENV  # serve.py keeps a copy so --help imports nothing


def test_the_token_is_taken_out_of_the_apps_environment():
    env = {TOKEN_ENV: TOKEN, "PATH": "/bin"}
    strip_token_env(env)
    assert env == {"PATH": "/bin"}


def test_tokens_are_compared_exactly():
    assert token_matches(TOKEN, TOKEN)
    assert not token_matches(TOKEN[:-1], TOKEN)
    assert not token_matches(None, TOKEN)
    assert not token_matches("é" * 20, TOKEN)  # non-ASCII is refused, not a TypeError


def test_the_cookie_is_named_after_the_port():
    assert cookie_name(8000) == "torch-tui-token-8000" != cookie_name(8001)


# --- Host and Origin -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("localhost:8000", ("localhost", 8000)),
        ("LocalHost", ("localhost", None)),
        ("[::1]:9000", ("::1", 9000)),
        ("[::1]", ("::1", None)),
        ("::1", None),
        ("localhost:http", None),
        ("localhost:99999", None),
        ("[::1", None),
        ("[::1]x", None),
        (":8000", None),
        ("", None),
        (None, None),
    ],
)
def test_host_headers_are_parsed_strictly(header, expected):
    assert split_host(header) == expected


def test_allowed_hosts_are_loopback_and_what_the_user_named():
    assert allowed_hosts("127.0.0.1", "http://localhost:8000") == {"localhost", "127.0.0.1", "::1"}
    assert "gpu-box" in allowed_hosts("0.0.0.0", "http://gpu-box:8000")
    assert "0.0.0.0" not in allowed_hosts("0.0.0.0", None)
    assert "10.0.0.5" in allowed_hosts("10.0.0.5", None)
    assert "box.example.org" in allowed_hosts("127.0.0.1", "https://Box.example.org/torch")


@pytest.mark.parametrize(
    "host", ["localhost:8000", "127.0.0.1:8000", "[::1]:8000", "localhost:9000", "localhost"]
)
def test_loopback_on_any_port_may_load_the_page(host):
    assert GUARD.check("page", host, presented=TOKEN) is None


@pytest.mark.parametrize(
    "host", ["evil.example.com", "localhost.evil.com", "127.0.0.2:8000", "", None, "a b"]
)
def test_other_hosts_are_refused_even_for_static_files(host):
    for kind in ("static", "page", "websocket"):
        refusal = GUARD.check(kind, host, origin="http://localhost:8000", presented=TOKEN)
        assert refusal is not None and refusal.status == 403 and "Host" in refusal.why


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://localhost:8000", "localhost:8000"),
        ("http://localhost:9000", "localhost:9000"),  # ssh -L 9000:localhost:8000
        ("https://box.example.org", "box.example.org"),  # TLS proxy in front
        ("https://box.example.org:443", "box.example.org"),
        ("http://[::1]:8000", "[::1]:8000"),
        ("HTTP://LOCALHOST:8000", "localhost:8000"),
    ],
)
def test_a_websocket_from_this_server_s_own_page_is_accepted(origin, host):
    assert origin_problem(origin, host) is None


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        (None, "localhost:8000"),
        ("null", "localhost:8000"),
        ("http://evil.example.com", "localhost:8000"),
        ("http://localhost:8888", "localhost:8000"),  # another app on the same box
        ("http://127.0.0.1:8000", "localhost:8000"),
        ("https://localhost", "localhost:80"),
        ("file://localhost", "localhost"),
        ("http://localhost:bad", "localhost:8000"),
        ("http://localhost:8000", None),
    ],
)
def test_a_websocket_from_elsewhere_is_refused(origin, host):
    assert origin_problem(origin, host)


# --- the whole decision ----------------------------------------------------------------


def test_static_files_need_no_token():
    assert GUARD.check("static", "localhost:8000") is None


def test_pages_need_the_token():
    missing = GUARD.check("page", "localhost:8000")
    assert missing is not None and missing.status == 401 and missing.why == "no token"
    assert "?token=" in missing.text
    wrong = GUARD.check("page", "localhost:8000", presented=TOKEN + "x")
    assert wrong is not None and wrong.status == 403 and wrong.why == "wrong token"
    assert TOKEN not in wrong.text + wrong.why + missing.text


def test_websockets_need_the_token_and_their_own_origin():
    ok = "http://localhost:8000"
    assert GUARD.check("websocket", "localhost:8000", ok, TOKEN) is None
    assert GUARD.check("websocket", "localhost:8000", ok, None).status == 401
    refusal = GUARD.check("websocket", "localhost:8000", "http://evil.example.com", TOKEN)
    assert refusal.status == 403 and "evil.example.com" in refusal.why


def test_the_query_token_comes_before_the_cookie():
    cookies = {GUARD.cookie: TOKEN, "other": "x"}
    assert GUARD.presented({}, cookies) == TOKEN
    assert GUARD.presented({"token": "typo"}, cookies) == "typo"
    assert GUARD.presented({}, {cookie_name(8001): TOKEN}) is None


# --- sessions and logs -----------------------------------------------------------------


def test_sessions_stop_at_the_cap_and_free_their_place():
    sessions = Sessions(2)
    assert sessions.try_open() and sessions.try_open()
    assert not sessions.try_open()
    sessions.close()
    assert sessions.try_open()
    assert sessions.active == 2
    for _ in range(5):
        sessions.close()
    assert sessions.active == 0


@pytest.mark.parametrize("limit", [1, 3, 99999])
def test_the_full_message_fits_a_websocket_close_reason(limit):
    message = Sessions(limit).full_message()
    assert f"All {limit} " in message and len(message.encode()) <= 123


def test_a_refusal_is_one_clean_line():
    when = datetime(2026, 1, 2, 3, 4, 5)
    line = refusal_line(when, "127.0.0.1", "GET", "/ws\nfake line\x1b[2J", "no token")
    assert line == (
        "2026-01-02 03:04:05 torch-tui serve: refused GET /ws?fake line?[2J from 127.0.0.1: "
        "no token"
    )
    assert "from ?:" in refusal_line(when, None, "GET", "/", "x")


def test_logs_never_show_the_token():
    cookie = cookie_name(8000)
    line = f'"GET /?token={TOKEN}&fontsize=20 HTTP/1.1" Cookie: {cookie}={TOKEN}; a=b {TOKEN}'
    clean = redact(line, TOKEN, cookie)
    assert TOKEN not in clean and "fontsize=20" in clean and "a=b" in clean
    assert "token=<token>" in redact("GET /?token=guess123 HTTP/1.1", TOKEN, cookie)
