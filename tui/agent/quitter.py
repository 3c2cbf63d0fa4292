"""``exit()`` and ``quit()`` in the kernel: they ask the front end, never end the kernel.

ipykernel's own exiter stops the kernel a moment after ``exit()``; in torch-tui the app
answers with a hint instead (ctrl+q quits, ctrl+n restarts).
"""

from __future__ import annotations

from typing import Any

from ipykernel.zmqshell import ZMQExitAutocall


class KeepKernelExit(ZMQExitAutocall):
    def __call__(self, keep_kernel: bool = True) -> None:
        super().__call__(keep_kernel=True)


def install(shell: Any) -> None:
    shell.exiter = KeepKernelExit(shell)
    shell.user_ns["exit"] = shell.user_ns["quit"] = shell.exiter
