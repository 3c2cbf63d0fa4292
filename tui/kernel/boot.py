"""The kernel process: ipykernel with torch-tui's settings (``python -m tui.kernel.boot -f FILE``).

IPython's plain completer (jedi takes 120-350 ms a completion on a small box), output of
file descriptors 1 and 2 forwarded to the front end, and no history database locks
shared with the user's own IPython (the kernel has its own IPYTHONDIR).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from ipykernel.kernelapp import IPKernelApp

    args = list(sys.argv[1:] if argv is None else argv)
    args += [
        "--IPCompleter.use_jedi=False",
        "--IPKernelApp.capture_fd_output=True",
        "--HistoryManager.hist_file=:memory:",
        "--InteractiveShell.banner1=",
    ]
    app = IPKernelApp.instance()
    app.initialize(args)
    app.start()


if __name__ == "__main__":
    main()
