"""A lesson block's highlighting waits for the section to be painted."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Vertical

from tui.lessons.document import Block
from tui.ui.lessons.code_block import CodeBlock
from tui.ui.lessons.code_body import CodeBody

from ..pilot_wait import wait_for


class Holder(App):
    def compose(self) -> ComposeResult:
        yield Vertical(id="box")


def highlighted(block: CodeBlock) -> bool:
    return bool(block.query_one(CodeBody).code.spans)


async def test_the_first_block_is_highlighted_after_its_section_is_painted(monkeypatch):
    """Pygments builds its Python lexer in ~50 ms. A section mounts in a batch, where
    Textual runs after-refresh callbacks before painting: the lexer was built there,
    and the lesson's first screen waited for it."""
    monkeypatch.setattr(CodeBlock, "_lexer_ready", False)
    app = Holder()
    async with app.run_test() as pilot:
        block = CodeBlock(Block(index=0, code="x = 1  # one", line=1, section=0), "block 1")
        with app.batch_update():
            await app.query_one("#box").mount(block)
            await pilot.pause()
            await pilot.pause()
            assert not highlighted(block), "highlighted before the section was painted"
        await wait_for(pilot, lambda: highlighted(block), what="the highlighting")
