"""A lesson's prose as the learner reads it: wrapped to the pane, lists under their
bullets, tables and fences inside the width, nothing read as markup."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.ui.lessons.prose import draw, parse_prose


def rows(markdown: str, width: int) -> list[str]:
    return [row.plain for row in draw(parse_prose(markdown), width)]


def test_a_wrapped_list_item_goes_on_under_its_text_and_nested_items_step_in():
    got = rows("- first item that is long enough to wrap\n  - inner\n- last", 24)
    assert got[0].startswith("• first item")
    assert got[1].startswith("  ") and got[1].strip() and not got[1].startswith("   ")
    inner = next(row for row in got if "inner" in row)
    assert inner.startswith("  ▪ inner")
    assert got[-1] == "• last"


def test_ordered_lists_count_from_their_start():
    assert rows("3. three\n4. four", 40) == ["3. three", "4. four"]


def test_paragraphs_and_headings_are_apart_and_an_h1_is_centred():
    got = rows("# Title\n\nOne.\n\nTwo.", 21)
    assert got == ["", "", " " * 8 + "Title", "", "One.", "", "Two."]


def test_text_that_looks_like_markup_is_shown_as_written():
    got = rows("A class `Net[/x]` and [b]bold[/b] and [/x] here.", 80)
    assert got == ["A class Net[/x] and [b]bold[/b] and [/x] here."]


def test_a_table_fits_the_width_with_every_cell_shown():
    table = (
        "| recipe | weight | bytes per parameter |\n|---|---|---|\n"
        "| autocast bf16 (weights stay float32) | 4 | 16, activations about halved |\n"
    )
    got = rows(table, 40)
    assert all(len(row) <= 40 for row in got)
    assert any(set(row.replace(" ", "")) == {"─"} for row in got[:4])  # under the header
    words = " ".join(got).split()
    for word in ("recipe", "autocast", "float32)", "halved", "parameter"):
        assert word in words


def test_a_fence_wraps_like_lesson_code():
    got = rows("```text\n" + "word " * 20 + "\n```", 30)
    assert len(got) > 1 and got[1].lstrip().startswith("↪")
    assert all(len(row) <= 30 for row in got)


FRAGMENTS = st.sampled_from(
    [
        "word ",
        "`code` ",
        "**bold** ",
        "*it* ",
        "[link](x.md) ",
        "[/x] ",
        "averyveryverylongwordwithoutanyspaceatall ",
        "\n",
        "\n\n",
        "\n- ",
        "\n  - ",
        "\n1. ",
        "\n> ",
        "\n## ",
        "\n# ",
        "\n```\ncode line\n```\n",
        "\n| a | b |\n|---|---|\n| c | d |\n",
        "\n---\n",
        "<b>html</b> ",
        "中文字符 ",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(FRAGMENTS, max_size=30).map("".join), st.integers(6, 120))
def test_any_markdown_draws_within_any_width(markdown, width):
    for row in draw(parse_prose(markdown), width):
        assert row.cell_length <= width
