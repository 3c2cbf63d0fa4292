"""The command line's shared parts: its errors, its parser, and the argument types."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from tui.platform.devices import DeviceError, parse_device


class UsageError(Exception):
    """A bad command line; the message is the one line the user sees."""


class StartError(Exception):
    """The app could not start (its kernel's files cannot be written); one line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def device_arg(text: str) -> str:
    try:
        return parse_device(text)
    except DeviceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def dir_arg(text: str) -> Path:
    path = Path(text).expanduser()
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"lessons dir {text!r} does not exist or is not a folder")
    return path.resolve()
