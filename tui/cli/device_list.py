"""``torch-tui devices``: what torch can train on here, with NVML's live figures for GPUs.

Honours CUDA_VISIBLE_DEVICES (torch does), so ``cuda:N`` here is the ``cuda:N`` that
``--device`` means.
"""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "devices",
        help="list the devices torch can use (name, memory; load, temperature, power with NVML)",
    )
    p.set_defaults(handler=cmd_devices)


def cmd_devices(args: argparse.Namespace) -> int:
    from tui.platform.devices import device_report, discover

    for line in device_report(discover()):
        print(line)
    return 0
