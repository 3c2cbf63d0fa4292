"""What a cell produced, as the REPL shows it: typed outputs and one outcome per cell.

The kernel link turns Jupyter messages into these; the REPL renders them. No torch and
no textual here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui.tensors.pictures import PICTURE_MIME, Picture

QUIT_HINT = (
    "exit() does not close torch-tui. Press ctrl+q to quit the app, or ctrl+n for a fresh kernel."
)


@dataclass
class Stream:
    name: str  # stdout | stderr
    text: str


@dataclass
class Result:
    """``Out[n]``: the text/plain of an execute_result."""

    number: int
    text: str


@dataclass
class Rich:
    """A display that is not text (an inline PNG...): shown as a one-line placeholder."""

    mime: str
    size: int
    text: str = ""

    @property
    def placeholder(self) -> str:
        kib = self.size / 1024
        return f"<{self.mime} output, {kib:.1f} KiB: not shown in the terminal>"


@dataclass
class PictureOut:
    """A display the kernel also sent as a small picture (an inline PNG scaled to the
    log's width, or ``show(tensor)``): drawn in half-blocks, or a placeholder under
    ``--low-bandwidth``. ``mime`` is the display's own type ("" for ``show()``) and
    ``size`` its bytes, as the placeholder says them; ``number`` is set for an
    execute_result (``Out[n]``)."""

    picture: Picture
    mime: str = ""
    size: int = 0
    text: str = ""
    number: int = 0

    @property
    def rich(self) -> Rich:
        """The same output as a placeholder."""
        return Rich(self.mime or "picture", self.size or len(self.picture.data), self.text)


@dataclass
class ErrorOut:
    name: str
    value: str
    traceback: str  # with IPython's colours (ANSI)


@dataclass
class Page:
    """What IPython pages (``obj?``, ``obj??``, ``%magic?``)."""

    text: str


@dataclass
class ClearOutput:
    wait: bool = False


Output = Stream | Result | Rich | PictureOut | ErrorOut | Page | ClearOutput


@dataclass
class CellOutcome:
    """How one cell ended. ``status`` is ok, error, aborted (not run), or died (the kernel
    ended while it ran)."""

    source: str
    number: int = 0
    status: str = "ok"
    error_name: str = ""
    error_value: str = ""
    duration: float = 0.0
    asked_exit: bool = False
    tag: str | None = None
    #: The agent's summary of the cell (cards, variables, checks), when it came.
    payload: Any = None
    outputs: list[Output] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def interrupted(self) -> bool:
        return self.error_name == "KeyboardInterrupt"

    def text(self) -> str:
        """The cell's output as plain text (what the copy key copies)."""
        parts: list[str] = []
        for out in self.outputs:
            if isinstance(out, Stream | Page):
                parts.append(out.text)
            elif isinstance(out, Result):
                parts.append(out.text + "\n")
            elif isinstance(out, ErrorOut):
                parts.append(f"{out.name}: {out.value}\n")
        return "".join(parts)


def outputs_of(msg_type: str, content: dict[str, Any]) -> list[Output]:
    """The outputs one iopub message carries (none for status, execute_input...)."""
    if msg_type == "stream":
        return [Stream(content.get("name", "stdout"), content.get("text", ""))]
    if msg_type == "execute_result":
        data = content.get("data", {})
        number = int(content.get("execution_count") or 0)
        shown = picture_out(data)
        if shown is not None:
            shown.number = number
            return [shown]
        return [Result(number, data.get("text/plain", ""))]
    if msg_type in ("display_data", "update_display_data"):
        data = content.get("data", {})
        shown = picture_out(data)
        if shown is not None:
            return [shown]
        rich = [m for m in data if m not in ("text/plain", PICTURE_MIME)]
        if rich:
            mime = rich[0]
            return [Rich(mime, len(str(data[mime])), data.get("text/plain", ""))]
        return [Stream("stdout", data.get("text/plain", "") + "\n")]
    if msg_type == "error":
        tb = "\n".join(content.get("traceback", []))
        return [ErrorOut(content.get("ename", "Error"), content.get("evalue", ""), tb)]
    if msg_type == "clear_output":
        return [ClearOutput(bool(content.get("wait")))]
    return []


def picture_out(data: dict[str, Any]) -> PictureOut | None:
    """The bundle's picture, checked as the protocol checks a ``Picture`` (its types, its
    bytes against its size, bounded text); None when there is none or it is malformed."""
    fields = data.get(PICTURE_MIME)
    if not isinstance(fields, dict):
        return None
    import json

    from tui.protocol import messages as protocol

    try:
        text = json.dumps({**fields, "__t": "Picture"}, separators=(",", ":"))
        picture = protocol.decode({"v": protocol.VERSION, "json": text})
    except (TypeError, ValueError, RecursionError):  # ProtocolError is a ValueError
        return None
    if not isinstance(picture, Picture):
        return None
    others = [m for m in data if m not in ("text/plain", PICTURE_MIME)]
    mime = others[0] if others else ""
    size = len(str(data[mime])) if mime else len(picture.data)
    plain = data.get("text/plain", "")
    return PictureOut(picture, mime, size, plain if isinstance(plain, str) else "")


def pages_of(reply: dict[str, Any]) -> list[Output]:
    """Pager payloads of an execute_reply (``obj?``)."""
    out: list[Output] = []
    for item in reply.get("payload", []) or []:
        if item.get("source") == "page":
            data = item.get("data", {})
            out.append(Page(data.get("text/plain", "")))
    return out


def asks_exit(reply: dict[str, Any]) -> bool:
    return any(item.get("source") == "ask_exit" for item in reply.get("payload", []) or [])
