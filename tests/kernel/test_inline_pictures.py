"""Image displays come with a picture scaled in the kernel to the log's room; ``show()``."""

from __future__ import annotations

import base64

from tui.console import outputs as cells
from tui.protocol import messages as p

#: A 200x100 PNG, its left half red and its right half blue, made with Pillow.
MAKE_PNG = """
import io
from PIL import Image as _PIL
_im = _PIL.new("RGB", (200, 100), (255, 0, 0))
_im.paste((0, 0, 255), (100, 0, 200, 100))
_buf = io.BytesIO()
_im.save(_buf, format="PNG")
png = _buf.getvalue()
from IPython.display import Image, display
"""


def pictures(outcome) -> list[cells.PictureOut]:
    return [out for out in outcome.outputs if isinstance(out, cells.PictureOut)]


def pixel(picture, x: int, y: int) -> tuple[int, ...]:
    raw = base64.b64decode(picture.data)
    i = 3 * (y * picture.width + x)
    return tuple(raw[i : i + 3])


async def test_a_png_display_and_result_carry_a_picture_fitted_to_the_log(kernel):
    await kernel.link.agent(p.SetRoom(log_cols=50))
    assert (await kernel.run(MAKE_PNG)).ok
    outcome = await kernel.run("display(Image(data=png))")
    (shown,) = pictures(outcome)
    assert shown.mime == "image/png" and shown.size > 0
    pic = shown.picture
    assert (pic.width, pic.kind) == (50, "image")
    assert pic.height in (24, 26) and pic.height % 2 == 0  # 100 px at 50/200, whole cells
    assert pixel(pic, 2, 2) == (255, 0, 0) and pixel(pic, 47, 20) == (0, 0, 255)
    assert pic.note == "200x100 image"

    result = await kernel.run("Image(data=png)")  # an execute_result
    (shown,) = pictures(result)
    assert shown.number == result.number and shown.picture.width == 50

    await kernel.link.agent(p.SetRoom(log_cols=20))  # a narrower log: a smaller picture
    (shown,) = pictures(await kernel.run("display(Image(data=png))"))
    assert (shown.picture.width, shown.picture.height) == (20, 10)


async def test_a_matplotlib_plot_and_show_draw_in_the_log(kernel):
    await kernel.link.agent(p.SetRoom(log_cols=80))
    outcome = await kernel.run("import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()")
    (shown,) = pictures(outcome)
    assert shown.mime == "image/png" and "Figure" in shown.text
    assert shown.picture.width == 80
    assert 4 * shown.picture.width * shown.picture.height <= 30_000  # what crosses the wire

    outcome = await kernel.run("%matplotlib inline\nplt.plot([2, 1]);")  # as in Jupyter
    assert len(pictures(outcome)) == 1

    outcome = await kernel.run("show(torch.arange(64.).reshape(8, 8))")
    (shown,) = pictures(outcome)
    assert shown.mime == "" and shown.text == "tensor 8x8 float32"
    assert (shown.picture.kind, shown.picture.width, shown.picture.height) == ("heatmap", 8, 8)

    outcome = await kernel.run("show(torch.arange(3))")  # no picture for 1-D: shown as usual
    assert not pictures(outcome) and "tensor([0, 1, 2])" in outcome.text()

    outcome = await kernel.run("show(torch.rand(8, 8), rows=0)")  # a clear error, ours hidden
    assert outcome.error_name == "ValueError" and "1 or more" in outcome.error_value

    await kernel.link.agent(p.SetRoom(log_cols=80, log_rows=20))  # a plot fits the log
    outcome = await kernel.run("plt.plot([2, 1]);")
    (shown,) = pictures(outcome)
    assert shown.picture.height // 2 == 20 - 2


async def test_without_pillow_the_placeholder_stays(kernel):
    assert (await kernel.run(MAKE_PNG)).ok
    outcome = await kernel.run("import sys\nsys.modules['PIL'] = None\ndisplay(Image(data=png))")
    assert not pictures(outcome)
    (rich,) = [out for out in outcome.outputs if isinstance(out, cells.Rich)]
    assert rich.mime == "image/png"
