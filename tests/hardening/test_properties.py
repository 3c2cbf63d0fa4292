"""Property-based: random text to the lesson parser, random tensors to the card summariser.

Neither may ever raise. A bad lesson is a ``Lesson`` whose ``error`` is one clear line; an
odd tensor is a card whose figures match the tensor (or say plainly why they are missing).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.lessons.document import Lesson, parse_lesson
from tui.tensors import cards, objects
from tui.tensors import summaries as inspect

torch = pytest.importorskip("torch")

FAST = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    database=None,  # nothing written into the checkout
)

# Pieces that steer random text into every corner of the format.
PIECES = st.sampled_from(
    [
        "---\n",
        "...\n",
        "id: x\n",
        "title: T\n",
        "id: [1, 2\n",
        "concepts: {a: 1}\n",
        "x: !!python/object/apply:os.system ['true']\n",
        "x: &a [*a]\n",
        "## Section\n",
        "### Exercise: one\n",
        "### Exercise\n",
        "> Hint: h\n",
        "```python\n",
        "```python check\n",
        "```python solution\n",
        "```hint\n",
        "~~~\n",
        "````\n",
        "```\n",
        "[a](../b.md)\n",
        "\ufeff",
        "\x1b[2J",
        "\r\n",
        "\x00",
        "    indented\n",
        "#\n",
    ]
)
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=30)), max_size=40).map("".join)


def check_lesson(lesson: Lesson) -> None:
    assert isinstance(lesson, Lesson)
    if lesson.broken:
        assert isinstance(lesson.error, str) and lesson.error
        assert "\n" not in lesson.error, "a broken lesson's reason is one line"
        assert "Traceback" not in lesson.error
    else:
        assert lesson.id and lesson.title
        for block in lesson.blocks:
            assert block.line >= 1
        for kind, _item in lesson.items_in_order():
            assert kind in ("block", "exercise")
        lesson.links()


@FAST
@given(TEXT)
def test_the_lesson_parser_never_raises_on_random_text(text):
    check_lesson(parse_lesson(text, "random.md"))


@FAST
@given(TEXT)
def test_the_lesson_parser_never_raises_below_valid_front_matter(body):
    check_lesson(parse_lesson("---\nid: r\ntitle: Random\n---\n" + body, "random.md"))


@FAST
@given(st.binary(max_size=200))
def test_the_lesson_loader_never_raises_on_random_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "lesson.md"
    path.write_bytes(data)
    from tui.lessons.document import load_lesson

    check_lesson(load_lesson(path))


DTYPES = [
    "float32",
    "float64",
    "float16",
    "bfloat16",
    "int8",
    "uint8",
    "int16",
    "int32",
    "int64",
    "bool",
    "complex64",
]
SPECIALS = [0.0, -0.0, 1.0, -1.0, 1e30, -1e30, 1e-30, math.inf, -math.inf, math.nan]


@st.composite
def tensors(draw):
    shape = draw(st.lists(st.integers(0, 5), max_size=4))
    dtype = getattr(torch, draw(st.sampled_from(DTYPES)))
    n = math.prod(shape)
    values = draw(
        st.lists(st.one_of(st.sampled_from(SPECIALS), st.floats(-1e6, 1e6)), min_size=n, max_size=n)
    )
    base = torch.tensor(values, dtype=torch.float64).reshape(shape)
    if dtype == torch.bool:
        t = base != 0
    elif dtype.is_complex:
        t = torch.complex(base, base.flip(-1) if base.dim() else base).to(dtype)
    elif dtype.is_floating_point:
        t = base.to(dtype)
    else:
        info = torch.iinfo(dtype)
        t = torch.nan_to_num(base, nan=0.0, posinf=info.max, neginf=info.min)
        t = t.clamp(info.min, info.max).to(dtype)
    if t.dim() >= 2 and draw(st.booleans()):
        t = t.transpose(0, -1)  # non-contiguous
    if t.dim() >= 1 and t.shape[0] > 1 and draw(st.booleans()):
        t = t[::2]  # strided
    if t.is_floating_point() and draw(st.booleans()):
        t = t.detach().requires_grad_(True)
        if draw(st.booleans()):
            t = t * 2  # a grad_fn, so the autograd walk runs too
    return t


@FAST
@given(tensors(), st.lists(st.integers(-3, 9), max_size=4))
def test_the_tensor_card_never_raises_and_matches_the_tensor(t, index):
    card = inspect.tensor_card(t, "t", {"t": t}, index=index)
    assert card.shape == list(t.shape)
    assert card.numel == t.numel()
    assert card.dtype == cards.format_dtype(t.dtype)
    assert card.requires_grad == t.requires_grad
    assert card.nbytes == t.numel() * t.element_size()
    stats = card.stats
    if stats.note and stats.min is None:
        assert "unavailable" not in stats.note, stats.note  # a real tensor always has stats
    elif t.numel() and t.is_floating_point():
        finite = t.detach().float()
        finite = finite[torch.isfinite(finite)]
        assert stats.nan == int(torch.isnan(t.detach().float()).sum())
        if finite.numel():
            assert stats.min == pytest.approx(float(finite.min()), rel=1e-3, abs=1e-6)
    if card.preview is not None:
        assert "unavailable" not in (card.preview.note or ""), card.preview.note
    objects.watch_text(t)
