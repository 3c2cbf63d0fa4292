"""Text the app did not write, shown as it is: never parsed as Textual markup.

Textual reads a ``str`` given to ``Static``, ``Label``, ``notify``, ``Tab``, ``Option``,
``DataTable`` cells and border titles as markup: an unmatched ``[/x]`` in a class name,
a lesson title or an error message raised ``MarkupError`` and ended the app, and
``[@click=app.quit]`` in a learner's string became a live link. Every name, message,
title, setting or kernel text on screen goes through one of these instead:

- ``plain(text)``: a ``Content`` of the literal text;
- ``styled("[b]$name[/b] …", name=value)``: the app's own markup with the values
  substituted as literal text (Textual's variables never parse what they insert);
- ``notify_plain(node, text, …)``: ``notify`` with ``markup=False``;
- ``plain_cell(text)``: a literal Rich ``Text`` for a ``DataTable`` cell.

Raw control characters (ESC, BEL, C1…) are drawn as their visible U+2400 symbols
(``visible``, from ``tui.platform.text``, which the lesson parser uses too), so
a name or a message can never drive the terminal either.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.content import Content

from tui.platform.text import visible


def plain(text: object) -> Content:
    """The literal text as Textual ``Content``: brackets are just brackets."""
    return Content(visible(text))


def styled(markup: str, **values: object) -> Content:
    """The app's own ``markup`` with ``$name`` variables replaced by literal ``values``."""
    return Content.from_markup(markup, **{k: visible(v) for k, v in values.items()})


def notify_plain(node: Any, text: object, *, title: object = "", **kw: Any) -> None:
    """``node.notify(text)`` (an app or a widget) with the text and the title literal."""
    node.notify(visible(text), title=visible(title), markup=False, **kw)


def plain_cell(text: object) -> Text:
    """A literal Rich ``Text`` for a ``DataTable`` cell or column label (a ``str`` there is
    read as Rich markup)."""
    return Text(visible(text), end="")
