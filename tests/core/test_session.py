"""The REPL session core, used directly (no UI): what a learner's cells do."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from tui.core.session import QUIT_HINT, Session, source_is_complete


@pytest.fixture(scope="module")
def session() -> Session:
    return Session("cpu")


def wait_busy(session: Session, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not session.busy:
        assert time.monotonic() < deadline, "cell never started"
        time.sleep(0.005)


# -- values -------------------------------------------------------------------------------
def test_final_expression_is_the_result_and_bound_to_underscore(session):
    r = session.execute("a = 20\nb = 22\na + b")
    assert r.ok and r.has_result and r.result == 42
    assert session.namespace["_"] == 42
    assert r.result_repr == "42"
    assert {"a", "b"} <= set(r.changed)


def test_none_and_statements_have_no_result(session):
    assert not session.execute("None").has_result
    assert not session.execute("y = 3").has_result


def test_preloaded_names(session):
    r = session.execute(
        "(torch.__name__, nn.Linear.__name__, F.relu.__name__, np.__name__, str(device))"
    )
    assert r.result == ("torch", "Linear", "relu", "numpy", "cpu")


def test_tensor_result_repr_is_computed(session):
    r = session.execute("x = torch.arange(12.).reshape(3, 4)\nx * 2")
    assert tuple(r.result.shape) == (3, 4)
    assert "22." in r.result_repr
    assert "x" in r.changed


def test_multi_line_block_and_stdout(session):
    r = session.execute("for i in range(3):\n    print(i)\n")
    assert r.stdout == "0\n1\n2\n"


def test_cells_are_numbered(session):
    n = session.execute("1").number
    assert session.execute("2").number == n + 1


def test_cell_runs_on_the_session_thread_not_the_caller(session):
    main = threading.get_ident()
    r = session.execute("import threading\nthreading.get_ident()")
    assert r.result != main
    assert session.submit(threading.get_ident).result() == r.result


# -- errors -------------------------------------------------------------------------------
def test_exception_traceback_shows_only_user_frames(session):
    r = session.execute("def f():\n    return 1 / 0\nf()")
    assert not r.ok and r.error_type == "ZeroDivisionError"
    assert "<cell " in r.error and "return 1 / 0" in r.error
    assert "session.py" not in r.error
    assert session.execute("1 + 1").result == 2  # still usable


def test_syntax_error(session):
    r = session.execute("def f(:")
    assert r.error_type == "SyntaxError" and "SyntaxError" in r.error


@pytest.mark.parametrize(
    "source",
    ["exit()", "quit()", "import sys; sys.exit()", "import sys; sys.exit(3)", "raise SystemExit"],
)
def test_system_exit_never_ends_the_session(session, source):
    r = session.execute(source)
    assert r.error_type == "SystemExit"
    assert "ctrl+q" in r.error and "reset" in r.error
    assert session.execute("40 + 2").result == 42


def test_bare_exit_says_how_to_quit(session):
    assert session.execute("exit").result_repr == QUIT_HINT


def test_input_raises_a_clear_error_instead_of_hanging(session):
    r = session.execute("input('name? ')")
    assert r.error_type == "InputRefused" and "not available" in r.error
    r = session.execute("import sys\nsys.stdin.readline()")
    assert "not available" in r.error


def test_help_prints_instead_of_paging(session):
    r = session.execute("help(torch.zeros)")
    assert r.ok and "zeros" in r.stdout
    assert session.execute("help()").ok


# -- interrupt ------------------------------------------------------------------------------
@pytest.mark.parametrize("source", ["while True: pass", "import time\ntime.sleep(60)"])
def test_interrupt_stops_a_busy_loop_and_a_sleep_within_a_second(session, source):
    future = session.submit(session.run_cell, source)
    wait_busy(session)
    time.sleep(0.05)
    start = time.monotonic()
    assert session.interrupt()
    r = future.result(timeout=5)
    assert time.monotonic() - start < 1.0
    assert r.interrupted and "interrupted" in r.error
    assert session.execute("1 + 1").result == 2


def test_interrupt_beats_code_that_swallows_the_first_one(session):
    src = "while True:\n    try:\n        pass\n    except KeyboardInterrupt:\n        pass"
    future = session.submit(session.run_cell, src)
    wait_busy(session)
    assert session.interrupt()
    assert future.result(timeout=5).interrupted


def test_interrupt_with_nothing_running_is_false(session):
    assert session.interrupt() is False


# -- output ---------------------------------------------------------------------------------
def test_prints_from_other_threads_do_not_leak_into_a_cell(session):
    stop = threading.Event()

    def chatter():
        while not stop.is_set():
            print("NOISE")
            time.sleep(0.001)

    t = threading.Thread(target=chatter, daemon=True)
    t.start()
    try:
        r = session.execute(
            "import time\nfor i in range(20):\n    print('mine')\n    time.sleep(0.002)"
        )
    finally:
        stop.set()
        t.join()
    assert r.stdout == "mine\n" * 20


def test_threads_started_by_a_cell_write_to_a_side_buffer(session):
    r = session.execute(
        "import threading\nt = threading.Thread(target=lambda: print('from thread'))\n"
        "t.start(); t.join()\nprint('mine')"
    )
    assert r.stdout == "mine\n"
    assert "from thread" in r.background


def test_stderr_is_captured(session):
    r = session.execute("import sys\nprint('oops', file=sys.stderr)")
    assert r.stderr == "oops\n"
    assert r.stdout == ""


def test_a_huge_print_is_capped_with_a_marker(session):
    r = session.execute("print('x' * 10_000_000)")
    assert len(r.stdout) < 200_000
    assert "more line" in r.stdout
    r = session.execute("for i in range(50_000): print(i)")
    assert r.stdout.count("\n") < 2_100
    assert "... 48000 more lines" in r.stdout


# -- completion -----------------------------------------------------------------------------
def test_completes_names_and_attributes(session):
    session.execute("my_tensor = torch.ones(2)")
    assert "my_tensor" in session.complete("my_t").matches
    assert {"zeros", "zeros_like"} <= set(session.complete("torch.ze").matches)
    assert "shape" in session.complete("my_tensor.sh").matches
    c = session.complete("x = torch.ze")
    assert c.start == len("x = torch.")


def test_completion_never_runs_properties_or_calls(session):
    session.execute(
        "calls = []\nclass Touchy:\n    @property\n    def boom(self):\n        calls.append(1)\n"
        "        return 1\ntouchy = Touchy()\ndef make():\n    calls.append(2)\n    return touchy"
    )
    assert "boom" in session.complete("touchy.b").matches
    assert session.complete("make().b").matches == []
    assert session.namespace["calls"] == []


def test_completion_is_fast(session):
    session.complete("torch.")
    start = time.perf_counter()
    for _ in range(5):
        session.complete("torch.")
    assert (time.perf_counter() - start) / 5 < 0.5  # generous here; the benchmark holds 50 ms


def test_is_complete():
    assert source_is_complete("x = 1")
    assert not source_is_complete("for i in range(3):")
    assert not source_is_complete("for i in range(3):\n    print(i)")
    assert source_is_complete("for i in range(3):\n    print(i)\n")
    assert not source_is_complete("x = (1,")
    assert source_is_complete("def f(:")  # a syntax error runs, to show the error


# -- reset and hooks ------------------------------------------------------------------------
def test_reset_gives_a_fresh_namespace():
    s = Session("cpu")
    s.execute("leftover = 1")
    s.reset()
    assert "leftover" not in s.namespace
    assert {"torch", "nn", "F", "np", "device"} <= set(s.namespace)
    assert s.execute("torch.ones(1).item()").result == 1.0


def test_reset_interrupts_a_running_cell():
    s = Session("cpu")
    future = s.submit(s.run_cell, "while True: pass")
    wait_busy(s)
    s.reset()
    assert future.result(timeout=5).interrupted


def test_post_run_hooks_get_the_record_and_errors_are_kept():
    s = Session("cpu")
    seen = []
    s.post_run_hooks["spy"] = lambda rec, ns: (seen.append(threading.get_ident()), rec.number)[1]
    s.post_run_hooks["bad"] = lambda rec, ns: 1 / 0
    r = s.execute("1")
    assert r.extras["spy"] == r.number
    assert "ZeroDivisionError" in r.extras["bad"]
    assert seen and seen[0] != threading.get_ident()


def test_main_thread_prints_still_reach_the_real_stream(session, capsys):
    session.execute("1")
    print("to the terminal")
    assert "to the terminal" in capsys.readouterr().out
    assert sys.stdout is not None


def test_changed_lists_names_in_the_order_the_cell_bound_them():
    """The inspector shows the newest assignment's card, so order matters to the learner."""
    s = Session()
    r = s.execute("zeta = 1\nalpha = 2\nmid = 3\n")
    assert r.changed == ["zeta", "alpha", "mid"]
