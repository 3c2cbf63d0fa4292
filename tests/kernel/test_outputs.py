"""What IPython sends back, as the REPL gets it: rich displays, pages, the debugger."""

from __future__ import annotations

import asyncio
import re

from tui.console import outputs as cells
from tui.kernel.events import InputWanted


async def test_a_png_display_is_a_placeholder_naming_its_type_and_size(kernel):
    code = (
        "from IPython.display import display\n"
        "display({'image/png': 'iVBORw0KGgo' * 100, 'text/plain': '<Figure>'}, raw=True)"
    )
    outcome = await kernel.run(code)
    rich = [out for out in outcome.outputs if isinstance(out, cells.Rich)]
    assert rich and rich[0].mime == "image/png"
    assert rich[0].placeholder.startswith("<image/png output, 1.1 KiB")


async def test_debug_after_an_error_is_a_post_mortem_debugger(kernel):
    """%debug reads its commands with input(): the stdin channel carries them."""
    await kernel.run("def f(x):\n    return 1 / x\nf(0)")
    answers = iter(["p x", "q"])

    def on_event(event):
        if isinstance(event, InputWanted):
            kernel.link.send_input(next(answers))

    kernel.link.on_event = on_event
    outcome = await asyncio.wait_for(kernel.link.execute("%debug", lambda out: None), 30)
    assert outcome.ok
    text = re.sub(r"\x1b\[[0-9;]*m", "", outcome.text())
    assert "return 1 / x" in text  # the debugger stopped in the frame that raised
    assert text.endswith("\n0\n")  # `p x` printed that frame's x


async def test_a_shape_error_lines_up_its_operands_under_the_traceback(kernel):
    outcome = await kernel.run("a = torch.ones(3, 4)\nb = torch.ones(5, 2)\nc = a @ b")
    assert outcome.error_name == "RuntimeError"
    text = outcome.text()
    assert "Shape check (matmul): the inner dimensions must be equal." in text
    assert "a (mat1)  [ 3  4 ]" in text and "b (mat2)     [ 5  2 ]" in text


async def test_a_broadcast_and_a_cat_mismatch_name_the_dimension(kernel):
    text = (await kernel.run("p = torch.ones(2, 3)\nq = torch.ones(4)\np + q")).text()
    assert "Shape check (broadcasting)" in text
    assert "At dimension 1 the sizes are 3 and 4" in text
    text = (
        await kernel.run("u = torch.ones(2, 3)\nv = torch.ones(3, 3)\ntorch.cat([u, v], dim=1)")
    ).text()
    assert "Shape check (cat)" in text and "dimension 0 disagrees" in text
    other = await kernel.run("torch.ones(2)[5]")
    assert other.error_name == "IndexError" and "Shape check" not in other.text()
