"""Errors that teach: a shape-mismatch RuntimeError gets a line-up of its operands' shapes.

torch's messages name sizes, not variables. Here the message is parsed (matmul,
broadcasting, cat), the tensors named on the failing line of the user's cell are looked
up in that frame, and their shapes are printed one above the other, aligned the way the
operation aligns them, with the dimension that disagrees marked. Best-effort: when the
operands cannot be found the explanation uses only the numbers in the message.
"""

from __future__ import annotations

import ast
import linecache
import logging
import re
from types import FrameType, TracebackType
from typing import Any

_MATMUL = re.compile(r"mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)")
_BROADCAST = re.compile(
    r"The size of tensor a \((\d+)\) must match the size of tensor b \((\d+)\) "
    r"at non-singleton dimension (\d+)"
)
_CAT = re.compile(
    r"Sizes of tensors must match except in dimension (-?\d+)\. "
    r"Expected size (\d+) but got size (\d+) for tensor number (\d+) in the list"
)
_MAX_OPERANDS = 6

log = logging.getLogger(__name__)


#: The names IPython gives a cell's code: ipykernel's cache files, the terminal's inputs.
_CELL_FILE = re.compile(r"^<cell |^<ipython-input-|ipykernel_\d+[/\\]\d+\.py$")


def cell_frame(tb: TracebackType | None) -> tuple[FrameType | None, int]:
    """The innermost frame of the user's own cell code and its line number."""
    found: tuple[FrameType | None, int] = (None, 0)
    while tb is not None:
        if _CELL_FILE.search(tb.tb_frame.f_code.co_filename):
            found = (tb.tb_frame, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _is_tensor(value: Any) -> bool:
    return type(value).__name__ in {"Tensor", "Parameter"} and hasattr(value, "shape")


def _operands(frame: FrameType | None, lineno: int) -> list[tuple[str, tuple[int, ...]]]:
    """(name, shape) of the tensors named on the failing line, in order of appearance."""
    if frame is None:
        return []
    line = linecache.getline(frame.f_code.co_filename, lineno).strip()
    tree: ast.Module | None
    try:
        tree = ast.parse(line)
    except SyntaxError:
        try:
            tree = ast.parse(line.rstrip(":") + ": pass") if line.endswith(":") else None
        except SyntaxError:
            tree = None
    if tree is None:
        return []
    found: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
            try:
                text = ast.unparse(node)
            except RecursionError:  # a.b.c... nested past the interpreter's limit
                continue
            if re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", text):
                found.append((node.lineno, node.col_offset, text))
    out: list[tuple[str, tuple[int, ...]]] = []
    seen: set[str] = set()
    for _, _, text in sorted(found):
        if text in seen:
            continue
        seen.add(text)
        value = _lookup(frame, text)
        if _is_tensor(value):
            out.append((text, tuple(int(s) for s in value.shape)))
        if len(out) >= _MAX_OPERANDS:
            break
    return out


def _lookup(frame: FrameType, dotted: str) -> Any:
    """Resolve ``a.b.c`` with plain lookups only (no calls)."""
    head, *rest = dotted.split(".")
    missing = object()
    value = frame.f_locals.get(head, missing)
    if value is missing:
        value = frame.f_globals.get(head, missing)
    if value is missing:
        return None
    for attr in rest:
        if type(value).__name__ == "module" and attr.startswith("_"):
            return None
        try:
            value = getattr(value, attr)
        except Exception as exc:  # noqa: BLE001 - the learner's property may raise anything
            log.info("no operand %s: %r", dotted, exc)
            return None
    return value


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _table(rows: list[tuple[str, tuple[int, ...]]], mark: int | None, right: bool) -> list[str]:
    """Shapes one above the other, cells aligned (from the right when broadcasting)."""
    ndim = max(len(s) for _, s in rows)
    width = max(len(str(d)) for _, s in rows for d in s) if any(s for _, s in rows) else 1
    name_w = max(len(n) for n, _ in rows)
    lines = []
    for name, shape in rows:
        cells = [str(d).rjust(width) for d in shape]
        pad = ndim - len(shape)
        cells = ([" " * width] * pad + cells) if right else (cells + [" " * width] * pad)
        lines.append(f"  {name.ljust(name_w)}  [ {'  '.join(cells)} ]")
    if mark is not None and 0 <= mark < ndim:
        col = 2 + name_w + 2 + 2 + mark * (width + 2) + width - 1
        lines.append(" " * col + "^")
    return lines


def explain(exc: BaseException) -> str | None:
    """A short line-up for a shape mismatch, or None when the error is of another kind."""
    if not isinstance(exc, RuntimeError):
        return None
    message = str(exc)
    frame, lineno = cell_frame(exc.__traceback__)
    try:
        if m := _MATMUL.search(message):
            return _explain_matmul(m, _operands(frame, lineno))
        if m := _BROADCAST.search(message):
            return _explain_broadcast(m, _operands(frame, lineno))
        if m := _CAT.search(message):
            return _explain_cat(m, _operands(frame, lineno))
    except Exception:  # noqa: BLE001 - an explanation must never hide the real error
        log.warning("no explanation for %s", type(exc).__name__, exc_info=True)
        return None
    return None


def _explain_matmul(m: re.Match, operands: list[tuple[str, tuple[int, ...]]]) -> str:
    a = (int(m.group(1)), int(m.group(2)))
    b = (int(m.group(3)), int(m.group(4)))
    names = {"mat1": "mat1", "mat2": "mat2"}
    by_shape: dict[tuple[int, ...], list[str]] = {}
    for name, shape in operands:
        by_shape.setdefault(shape[-2:] if len(shape) >= 2 else shape, []).append(name)
    if len(by_shape.get(a, [])) == 1:
        names["mat1"] = f"{by_shape[a][0]} (mat1)"
    if len(by_shape.get(b, [])) == 1 and by_shape.get(b) != by_shape.get(a):
        names["mat2"] = f"{by_shape[b][0]} (mat2)"
    name_w = max(len(n) for n in names.values())
    w = max(len(str(d)) for d in (*a, *b))
    cell = lambda d: str(d).rjust(w)  # noqa: E731
    # mat2 is shifted one column right so mat1's columns sit above mat2's rows.
    line1 = f"  {names['mat1'].ljust(name_w)}  [ {cell(a[0])}  {cell(a[1])} ]"
    line2 = f"  {names['mat2'].ljust(name_w)}  {' ' * (w + 2)}[ {cell(b[0])}  {cell(b[1])} ]"
    col = 2 + name_w + 2 + 2 + (w + 2) + w - 1
    return "\n".join(
        [
            "Shape check (matmul): the inner dimensions must be equal.",
            line1,
            line2,
            " " * col + "^",
            f"{names['mat1']} has {a[1]} columns (dim 1) but {names['mat2']} has {b[0]} rows "
            f"(dim 0). Fix: transpose one side (.T) or change a layer's size so they match.",
        ]
    )


def _explain_broadcast(m: re.Match, operands: list[tuple[str, tuple[int, ...]]]) -> str:
    size_a, size_b, dim = int(m.group(1)), int(m.group(2)), int(m.group(3))
    head = (
        f"Shape check (broadcasting): shapes line up from the right, and each pair of sizes "
        f"must be equal or one of them 1. At dimension {dim} the sizes are {size_a} and "
        f"{size_b}."
    )
    ndim = max((len(s) for _, s in operands), default=0)
    rows = []
    if ndim > dim:
        for name, shape in operands:
            pad = ndim - len(shape)
            d = dim - pad
            if 0 <= d < len(shape) and shape[d] in (size_a, size_b):
                rows.append((name, shape))
    if len({s[dim - (ndim - len(s))] for _, s in rows}) < 2:
        return head
    return "\n".join([head, *_table(rows, dim, right=True)])


def _explain_cat(m: re.Match, operands: list[tuple[str, tuple[int, ...]]]) -> str:
    cat_dim, expected, got, number = (int(g) for g in m.groups())
    head = (
        f"Shape check (cat): every size must match except along dim {cat_dim}; tensor "
        f"number {number} in the list has size {got} where {expected} was expected."
    )
    same_rank = [op for op in operands if operands and len(op[1]) == len(operands[0][1])]
    if len(same_rank) < 2:
        return head
    ref = same_rank[0][1]
    ndim = len(ref)
    bad = next(
        (
            d
            for d in range(ndim)
            if d != cat_dim % ndim and any(s[d] != ref[d] for _, s in same_rank)
        ),
        None,
    )
    lines = [head, *_table(same_rank, bad, right=False)]
    if bad is not None:
        lines.append(f"dimension {bad} disagrees (cat joins along dim {cat_dim % ndim}).")
    return "\n".join(lines)
