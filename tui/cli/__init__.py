"""The ``torch-tui`` command: start the app, or run a subcommand without the UI.

Bad input (an unknown flag, a misspelt device, a missing folder, a ``TORCH_TUI_RUNTIME``
that is not a private folder of ours) prints one line on stderr and exits 2; a kernel
that cannot be started (a full disk, ...) prints one line and exits 1: learners should
never see a traceback of ours.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tui import __version__
from tui.cli.args import Parser, StartError, UsageError, device_arg, dir_arg
from tui.platform.devices import check_requested

if TYPE_CHECKING:
    from tui.kernel.hub import KernelHub

EXIT_USAGE = 2
EXIT_START = 1


def _connection_file(text: str) -> Path:
    path = Path(text).expanduser()
    if not path.is_file():
        from tui.kernel.launch import runtime_root

        try:
            ours = [runtime_root()]
        except OSError:  # not a folder of ours: nothing to look for there
            ours = []
        for folder in (Path.cwd(), *ours, _jupyter_runtime()):
            if (folder / text).is_file():
                return (folder / text).resolve()
        raise argparse.ArgumentTypeError(f"connection file {text!r} not found")
    return path.resolve()


def _jupyter_runtime() -> Path:
    """Where Jupyter servers keep their kernels' connection files (``kernel-*.json``)."""
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(jupyter_runtime_dir())


def _versions() -> str:
    from importlib import metadata  # ~25 ms: only --version needs it

    parts = [f"torch-tui {__version__}"]
    for dist in ("textual", "torch"):
        try:
            parts.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{dist} not installed")
    return ", ".join(parts)


class _VersionAction(argparse.Action):
    """``--version``, with the versions looked up only when asked (~60 ms at start-up)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the versions and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(_versions())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="torch-tui",
        description="Learn PyTorch by doing: lessons, a REPL with a tensor inspector, "
        "and a live training dashboard, in your terminal.",
    )
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument(
        "--device", type=device_arg, default=None, help="cpu, cuda, cuda:N or mps (default: best)"
    )
    parser.add_argument("--lesson", metavar="ID", help="open this lesson first")
    parser.add_argument(
        "--lessons-dir", type=dir_arg, action="append", metavar="DIR", help="extra lessons folder"
    )
    parser.add_argument(
        "--existing",
        type=_connection_file,
        metavar="FILE",
        help="attach to a running Jupyter kernel (its connection file) instead of starting one",
    )
    bw = parser.add_mutually_exclusive_group()
    bw.add_argument(
        "--low-bandwidth",
        dest="low_bandwidth",
        action="store_true",
        default=None,
        help="fewer redraws (default when SSH_CONNECTION is set)",
    )
    bw.add_argument("--no-low-bandwidth", dest="low_bandwidth", action="store_false")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    from tui.cli import device_list as devices_cli
    from tui.cli import lessons as lessons_cli
    from tui.cli import serve as serve_cli
    from tui.cli import train as train_cli

    lessons_cli.add_parser(sub)
    train_cli.add_parser(sub)
    serve_cli.add_parser(sub)
    devices_cli.add_parser(sub)
    return parser


def run_app(args: argparse.Namespace) -> int:
    # The kernel first: it imports torch on the other core while Textual loads and paints.
    from tui.kernel.launch import RuntimeDirError, release_runtime

    kernel = None
    if args.existing is None:
        from tui.kernel import reaper
        from tui.kernel.launch import spawn_kernel

        # Before the first kernel: what its cells start in sessions of their own is
        # re-parented to us when it dies, and killed on restart and quit (kernel.reaper).
        reaper.become_subreaper()
        try:
            kernel = spawn_kernel(cwd=Path.cwd())
        except RuntimeDirError as exc:
            release_runtime()
            raise UsageError(str(exc)) from None
        except OSError as exc:  # the kernel's files cannot be written (a full disk, ...)
            release_runtime()
            where = f" ({exc.filename})" if exc.filename else ""
            raise StartError(f"cannot start the kernel: {exc.strerror or exc}{where}") from None
    # No cyclic GC until the first frame (the app turns it back on then, see
    # TorchTUI.on_mount): importing Textual and mounting the screen allocate enough to
    # trigger ~90 ms of collections, a full one among them, that find almost nothing.
    gc.disable()
    try:
        from tui.ui.app import TorchTUI

        app = TorchTUI(
            device=args.device,
            lesson=args.lesson,
            lessons_dirs=args.lessons_dir or [],
            low_bandwidth=args.low_bandwidth,
            kernel=kernel,
            existing=args.existing,
        )
        with _children_end_with_us(app):
            app.run()
    finally:
        if kernel is not None:
            kernel.kill()
            reaper.reap_orphans()
        release_runtime()
    code = app.return_code or 0
    # The terminal is restored and every file is saved by now. Skip the interpreter's
    # teardown: collecting torch's module graph at exit takes seconds on a small box,
    # and "ctrl+q quits at once" is a promise.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


#: Leave the alternate screen, stop mouse reporting and bracketed paste, show the cursor.
RESTORE_TERMINAL = b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?1049l\x1b[?25h"


class _Ending(Protocol):
    """What ending on a signal needs of the app: to exit, and its kernels to kill."""

    @property
    def kernel(self) -> KernelHub: ...

    def exit(self, *, return_code: int) -> None: ...


def _terminal_modes() -> tuple[int, list[Any]] | None:
    """stdin's terminal modes, to put back by hand; None where stdin is no terminal."""
    try:
        import termios
    except ImportError:  # not POSIX
        return None
    try:
        fd = sys.stdin.fileno()
        return (fd, termios.tcgetattr(fd))
    except (AttributeError, OSError, ValueError, termios.error):  # no stdin, a pipe (tests)
        return None


def _restore_terminal(modes: tuple[int, list[Any]] | None) -> None:
    """The terminal modes put back and the screen restored, as far as the terminal is
    still there."""
    if modes is not None:
        import termios  # the modes were read with it

        try:
            termios.tcsetattr(modes[0], termios.TCSANOW, modes[1])
        except termios.error:  # the terminal is gone
            return
    out = sys.__stdout__
    try:
        if out is not None:
            os.write(out.fileno(), RESTORE_TERMINAL)
    except (OSError, ValueError):  # the terminal is gone, or stdout closed
        pass


class _children_end_with_us:
    """SIGHUP (a dropped SSH connection) and SIGTERM end the app the way ctrl+q does:
    history and progress saved, the kernel asked to shut down and killed with its group
    a second later, the terminal restored. Should that take over ``DEADLINE`` seconds (a
    terminal that is gone can stall writes), the kernel is killed, the terminal modes
    are put back by hand and the process exits. A SIGKILLed app's kernel notices its
    parent is gone (``tui.kernel.boot``)."""

    DEADLINE = 1.8

    def __init__(self, app: _Ending) -> None:
        self.app = app
        self.ending = False
        self._tty: tuple[int, list[Any]] | None = None

    def __enter__(self) -> None:
        import signal
        import threading

        self._tty = _terminal_modes()

        def end(signum: int, frame: object) -> None:
            if self.ending:  # a second signal: no more waiting for a clean exit
                self._hard_exit(128 + signum)
            self.ending = True
            timer = threading.Timer(self.DEADLINE, self._hard_exit, args=(128 + signum,))
            timer.daemon = True
            timer.start()
            self.app.exit(return_code=128 + signum)

        self._old = {s: signal.signal(s, end) for s in (signal.SIGHUP, signal.SIGTERM)}

    def _hard_exit(self, code: int) -> None:
        try:
            self.app.kernel.kill_now()
        finally:
            try:
                _restore_terminal(self._tty)
            finally:
                os._exit(code)

    def __exit__(self, *exc: object) -> None:
        import signal

        for sig, handler in self._old.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        handler = getattr(args, "handler", None)
        # A GPU that is not there: say so now rather than fall back quietly. The app
        # itself never imports torch: its kernel checks the device and says so.
        problem = check_requested(getattr(args, "device", None)) if handler else None
        if problem:
            raise UsageError(f"{problem}; try --device cpu")
        return handler(args) if handler else run_app(args)
    except UsageError as exc:
        print(f"torch-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StartError as exc:
        print(f"torch-tui: {exc}", file=sys.stderr)
        return EXIT_START
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `torch-tui lessons list | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 0


if __name__ == "__main__":
    sys.exit(main())
