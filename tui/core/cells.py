"""What a cell produced, as the REPL shows it: typed outputs and one outcome per cell.

The kernel link turns Jupyter messages into these; the REPL renders them. No torch and
no textual here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


Output = Stream | Result | Rich | ErrorOut | Page | ClearOutput


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
        return [Result(int(content.get("execution_count") or 0), data.get("text/plain", ""))]
    if msg_type in ("display_data", "update_display_data"):
        data = content.get("data", {})
        rich = [m for m in data if m != "text/plain"]
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
