"""A display bundle's picture becomes a ``PictureOut`` only when it is well formed."""

from __future__ import annotations

import base64

import pytest

from tui.console import outputs as cells
from tui.tensors.pictures import PICTURE_MIME

PNG = "iVBORw0KGgo" * 100


def fields(width: int = 4, height: int = 2, **extra) -> dict:
    data = base64.b64encode(bytes(i % 256 for i in range(3 * max(0, width * height)))).decode()
    return {"width": width, "height": height, "data": data, "kind": "image", **extra}


def bundle(picture) -> dict:
    return {
        "image/png": PNG,
        "text/plain": "<Figure size 640x480 with 1 Axes>",
        PICTURE_MIME: picture,
    }


def test_a_picture_bundle_is_a_picture_output_with_its_png_size():
    (out,) = cells.outputs_of("display_data", {"data": bundle(fields(note="640x480 image"))})
    assert isinstance(out, cells.PictureOut)
    assert (out.picture.width, out.picture.height, out.picture.note) == (4, 2, "640x480 image")
    assert (out.mime, out.size, out.number) == ("image/png", len(PNG), 0)
    assert out.text.startswith("<Figure") and out.picture.pixels()[:3] == b"\x00\x01\x02"
    assert out.rich.placeholder.startswith("<image/png output, 1.1 KiB")


def test_a_picture_is_always_built_as_a_picture():
    (out,) = cells.outputs_of("display_data", {"data": bundle({**fields(), "__t": "CardReply"})})
    assert isinstance(out, cells.PictureOut)


def test_a_result_with_a_picture_keeps_its_number():
    content = {"execution_count": 7, "data": bundle(fields())}
    (out,) = cells.outputs_of("execute_result", content)
    assert isinstance(out, cells.PictureOut) and out.number == 7


def test_a_show_bundle_has_no_source_mime():
    data = {PICTURE_MIME: fields(kind="heatmap", lo=0.0, hi=1.0), "text/plain": "tensor 4x2"}
    (out,) = cells.outputs_of("display_data", {"data": data})
    assert isinstance(out, cells.PictureOut)
    assert (out.mime, out.text, out.size) == ("", "tensor 4x2", len(out.picture.data))


@pytest.mark.parametrize(
    "picture",
    [
        {**fields(), "width": 5},  # bytes that do not match the size
        {**fields(), "height": 4},
        fields(height=3),  # half a cell
        {**fields(), "width": "4"},  # a string for a number
        {**fields(), "data": 42},
        {k: v for k, v in fields().items() if k != "data"},  # a field missing
        {**fields(), "lo": "low"},
        {**fields(), "__f": "nan"},
        {**fields(), "data": "!" * len(fields()["data"])},  # not base64: refused when drawn
        "not a dict",
        None,
        [1, 2, 3],
    ],
)
def test_a_malformed_picture_leaves_the_placeholder(picture):
    (out,) = cells.outputs_of("display_data", {"data": bundle(picture)})
    if isinstance(out, cells.PictureOut):  # only the undecodable-bytes case gets this far
        with pytest.raises(ValueError):
            out.picture.pixels()
        return
    assert isinstance(out, cells.Rich) and out.mime == "image/png"


@pytest.mark.parametrize(
    "width,height",
    [(1001, 2), (4, 1002), (0, 2), (-4, 2), (200, 200)],  # 200x200: 160 KB of text
)
def test_an_oversized_or_impossible_picture_leaves_the_placeholder(width, height):
    (out,) = cells.outputs_of("display_data", {"data": bundle(fields(width, height))})
    assert isinstance(out, cells.Rich)


def test_a_malformed_show_bundle_is_its_text():
    data = {PICTURE_MIME: {**fields(), "width": 9}, "text/plain": "tensor 9x2"}
    assert cells.outputs_of("display_data", {"data": data}) == [
        cells.Stream("stdout", "tensor 9x2\n")
    ]
