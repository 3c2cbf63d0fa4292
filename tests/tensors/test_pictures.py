"""Pictures of tensors (``tui.tensors.pictures``): colour scales, NaN/Inf marks, images,
grids, which shapes are drawn, and that a 1e8-element tensor's picture copies only the
values it shows."""

from __future__ import annotations

import resource
import time

import numpy as np
import pytest
import torch

from tui.tensors import pictures as pic
from tui.tensors.pictures import (
    DIVERGING,
    NAN_RGB,
    NEG_INF_RGB,
    POS_INF_RGB,
    SEQUENTIAL,
    can_draw,
    grid,
    heatmap,
    image,
    picture_kind,
    picture_of,
)


def pixels(picture: pic.Picture) -> np.ndarray:
    """(height, width, 3) uint8."""
    return np.frombuffer(picture.pixels(), np.uint8).reshape(picture.height, picture.width, 3)


def near(rgb, expected, tol: int = 3) -> bool:
    return all(abs(int(a) - int(b)) <= tol for a, b in zip(rgb, expected, strict=True))


# -- heatmaps: the colour scale --------------------------------------------------------------
def test_non_negative_values_use_the_sequential_scale_low_to_high():
    values = np.tile(np.linspace(0.0, 5.0, 10), (10, 1))  # columns 0 .. 5
    p = heatmap(values)
    assert (p.kind, p.scale, p.lo, p.hi, p.factor) == ("heatmap", "sequential", 0.0, 5.0, 1)
    px = pixels(p)
    assert near(px[0, 0], SEQUENTIAL[0]) and near(px[0, -1], SEQUENTIAL[-1])
    assert (px[3] == px[0]).all()  # every row the same


def test_signed_values_use_a_diverging_scale_centred_on_zero():
    values = np.tile(np.array([-4.0, -2.0, 0.0, 1.0, 2.0, 3.0, 4.0, 0.0]), (8, 1))
    p = heatmap(values)
    assert p.scale == "diverging" and (p.lo, p.hi) == (-4.0, 4.0)
    px = pixels(p)
    white = DIVERGING[len(DIVERGING) // 2]
    assert near(px[0, 2], white) and near(px[0, 7], white)  # 0 is the middle colour
    assert near(px[0, 0], DIVERGING[0]) and near(px[0, 6], DIVERGING[-1])
    assert px[0, 1][2] > px[0, 1][0] and px[0, 4][0] > px[0, 4][2]  # blue below 0, red above
    # not stretched to its own range: the bound is the largest |value| on both sides
    lopsided = heatmap(np.array([[-1.0, 0.0, 8.0] * 3] * 8))
    assert near(pixels(lopsided)[0, 1], white)


def test_nan_and_infinities_are_marked_and_counted_and_the_scale_is_of_finite_values():
    values = np.arange(64, dtype=np.float64).reshape(8, 8)
    values[0, 0], values[1, 1], values[2, 2], values[3, 3] = np.nan, np.inf, -np.inf, np.nan
    p = heatmap(values)
    assert (p.nan, p.inf, p.lo, p.hi) == (2, 2, 1.0, 63.0)
    px = pixels(p)
    assert tuple(px[0, 0]) == NAN_RGB and tuple(px[3, 3]) == NAN_RGB
    assert tuple(px[1, 1]) == POS_INF_RGB and tuple(px[2, 2]) == NEG_INF_RGB
    assert near(px[7, 7], SEQUENTIAL[-1])


def test_all_nan_and_constant_tensors_still_draw():
    p = heatmap(np.full((8, 8), np.nan))
    assert p.nan == 64 and (pixels(p) == NAN_RGB).all()
    q = heatmap(np.full((8, 8), 3.0))
    assert q.lo == q.hi == 3.0 and len({tuple(c) for c in pixels(q).reshape(-1, 3)}) == 1


def test_a_heatmap_fits_its_room_stepping_by_a_whole_factor():
    p = heatmap(np.random.default_rng(0).random((100, 300)), cols=36, rows=16)
    assert p.factor == 9 and p.width == 34 and p.height == 12  # 300/9, 100/9 rounded up
    assert p.width <= 36 and p.height <= 32 and p.height % 2 == 0
    odd = heatmap(np.zeros((9, 9)))  # an odd row count gets a row of background
    assert (odd.width, odd.height) == (9, 10) and (pixels(odd)[-1] == 0).all()


# -- images ---------------------------------------------------------------------------------
def test_images_in_0_1_are_drawn_as_they_are():
    chw = np.zeros((3, 8, 8))
    chw[0], chw[1], chw[2] = 1.0, 0.5, 0.0
    chw[:, 0, 0] = 0.25  # not the full range: nothing stretched
    p = image(chw)
    assert (p.kind, p.lo, p.hi) == ("image", 0.0, 1.0)
    px = pixels(p)
    assert tuple(px[1, 1]) == (255, 128, 0) and tuple(px[0, 0]) == (64, 64, 64)


def test_uint8_images_are_0_255_and_channels_last_is_the_same_picture():
    hwc = torch.zeros(8, 8, 3, dtype=torch.uint8)
    hwc[..., 0], hwc[..., 1], hwc[..., 2] = 100, 20, 200
    p = image(hwc)
    assert (p.lo, p.hi) == (0.0, 255.0) and tuple(pixels(p)[4, 4]) == (100, 20, 200)
    assert image(hwc.permute(2, 0, 1)).data == p.data


def test_images_of_other_ranges_are_stretched_and_grey_is_grey():
    grey = np.linspace(10.0, 20.0, 64).reshape(1, 8, 8)
    p = image(grey)
    assert (p.lo, p.hi) == (10.0, 20.0)
    px = pixels(p)
    assert tuple(px[0, 0]) == (0, 0, 0) and tuple(px[7, 7]) == (255, 255, 255)
    assert (px[..., 0] == px[..., 1]).all() and (px[..., 1] == px[..., 2]).all()
    signed = image(torch.linspace(-1, 1, 3 * 64).reshape(3, 8, 8))
    assert (signed.lo, signed.hi) == (-1.0, 1.0)


# -- grids ----------------------------------------------------------------------------------
def test_a_conv_weight_is_a_grid_of_filters_on_one_scale():
    w = torch.arange(16.0).reshape(16, 1, 1, 1).expand(16, 1, 5, 5) - 8  # filter i is i - 8
    p = picture_of(w, module="Conv2d")
    assert (p.kind, p.scale, p.note) == ("grid", "diverging", "16 filters")
    px = pixels(p)
    # tiles of 5x5, one pixel of the gap colour between them, as square as the room allows
    per_row = (p.width + 1) // 6
    assert per_row * 6 - 1 == p.width and tuple(px[0, 5]) == (40, 40, 40)
    first, last = px[0, 0], px[((16 - 1) // per_row) * 6, ((16 - 1) % per_row) * 6]
    assert first[2] > first[0] and last[0] > last[2]  # -8 blue, +7 red
    assert (px[0:5, 0:5] == first).all()  # a whole tile in its filter's colour


def test_a_grid_shows_at_most_64_items_and_says_so():
    w = torch.randn(100, 3, 4, 4)
    p = picture_of(w, module="Conv2d")
    assert p.note == "64 of 100 filters, channel 0 of 3"
    batch = picture_of(torch.rand(10, 3, 8, 8))  # an N,C,H,W batch of colour images
    assert batch.note == "10 items" and batch.scale == ""
    big = grid(torch.rand(4, 1, 200, 200), cols=36, rows=16)
    assert big.factor > 1 and big.width <= 36 and big.height <= 32


# -- which shapes -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "shape, module, kind",
    [
        ((28, 28), "", "heatmap"),
        ((8, 8), "", "heatmap"),
        ((7, 28), "", None),  # too thin to be a picture by default
        ((4,), "", None),
        ((3, 32, 32), "", "image"),
        ((1, 28, 28), "", "image"),
        ((32, 32, 3), "", "image"),
        ((2, 28, 28), "", None),  # 2 channels: neither grey nor RGB
        ((16, 1, 5, 5), "", "grid"),
        ((16, 3, 5, 5), "Conv2d", "grid"),
        ((2, 2, 2, 2, 2), "", None),
    ],
)
def test_picture_kind(shape, module, kind):
    assert picture_kind(shape, module) == kind


def test_can_draw_is_2_to_4_non_empty_dims():
    assert can_draw((2, 3)) and can_draw((2, 3, 4)) and can_draw((1, 1, 1, 1))
    assert not can_draw((5,)) and not can_draw(()) and not can_draw((2, 2, 2, 2, 2))
    assert not can_draw((0, 5))
    assert picture_of(torch.zeros(5)) is None
    p = picture_of(torch.rand(2, 3, 4))  # asked for: the first channel as a heatmap
    assert p.kind == "heatmap" and p.note == "channel 0 of 2" and p.width == 4


# -- big tensors: the picture copies what it shows ----------------------------------------------
def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("make", ["torch", "numpy"])
def test_a_1e8_element_picture_steps_over_the_tensor_before_copying(make):
    # 1e8 elements whose storage is one row: a copy of the whole would take 800 MB (float64)
    row = np.arange(10_000, dtype=np.float32)
    if make == "torch":
        big = torch.from_numpy(row).expand(10_000, 10_000)
    else:
        big = np.broadcast_to(row, (10_000, 10_000))
    assert big.shape[0] * big.shape[1] == 10**8
    before = _rss_mb()
    start = time.perf_counter()
    p = picture_of(big, 36, 16)
    took = time.perf_counter() - start
    assert took < 0.5, f"{took:.2f} s"
    assert _rss_mb() - before < 100  # the peak: a whole copy would add 400-800 MB
    assert (p.kind, p.factor, p.width, p.height) == ("heatmap", 313, 32, 32)
    px = pixels(p)
    assert near(px[0, 0], SEQUENTIAL[0]) and (px[5] == px[0]).all()  # columns 0 .. 9999
