"""``torch-tui train``: filled in by the dashboard issue."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train without the UI")
    p.set_defaults(handler=lambda args: 0)
