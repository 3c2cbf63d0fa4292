"""The learner's starting namespace: torch, nn, F, np, the chosen device, and ``show``
(draws a tensor or an array in the REPL log: ``tui.agent.inline.show``)."""

from __future__ import annotations

from typing import Any

PRELOADED = ("torch", "nn", "F", "np", "device", "show")


def preload(device: str | None = None, shell: Any = None) -> str:
    """Import torch into the namespace; returns the device used (cpu when ``device`` is
    not there, with a warning kept for the app's Hello)."""
    import numpy as np
    import torch
    import torch.nn.functional as F  # noqa: N812

    from tui.agent.inline import show
    from tui.platform.devices import default_device, discover, resolve

    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    devices = discover()
    warning: str | None = None
    if device is None:
        device = default_device(devices)
    else:
        device, warning = resolve(device, devices)
    shell.push(
        {
            "torch": torch,
            "nn": torch.nn,
            "F": F,
            "np": np,
            "device": torch.device(device),
            "show": show,
        },
        interactive=False,
    )
    shell.user_ns["_torch_tui_warning"] = warning or ""
    shell.user_ns_hidden["_torch_tui_warning"] = warning or ""
    # torch, IPython and ipykernel are ~200k long-lived objects: frozen, the collector's
    # full passes (triggered by a training loop's allocations) never walk them again.
    import gc

    gc.freeze()
    return device
