"""``torch-tui lessons list|check``: filled in by the lessons issue."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lessons", help="list or check lessons")
    p.set_defaults(handler=lambda args: 0)
