"""The decision boundary as half-blocks: two grid rows a cell (upper pixel the character's
colour, lower pixel the background), class colours deeper where the model is surer, data
points as dots of their class on the cell's background, a legend line, and characters in
place of colours under NO_COLOR. Pure text work: no app, no kernel."""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.console import Console

from tui.training.report import Boundary
from tui.ui.common.halfblock import UPPER_HALF
from tui.ui.dashboard.boundary_view import (
    _CLASS_RGB,
    LEVELS,
    POINT,
    REGION_CHARS,
    _rgb,
    boundary_text,
)

CONSOLE = Console(color_system="truecolor", width=200)
SURE = LEVELS - 1


def _boundary(classes, confidence=None, points=(), point_classes=()) -> Boundary:
    classes = np.asarray(classes, dtype=np.int8)
    if confidence is None:
        confidence = np.ones(classes.shape, dtype=np.float32)
    return Boundary(
        extent=(0.0, 1.0, 0.0, 1.0),
        classes=classes,
        confidence=np.asarray(confidence, dtype=np.float32),
        points=np.asarray(points, dtype=np.float32).reshape(-1, 2),
        point_classes=np.asarray(point_classes, dtype=np.int64),
        n_classes=int(classes.max()) + 1 if classes.size else 2,
    )


def _cells(text) -> list[list[tuple[str, object]]]:
    """Each line's cells as (character, style)."""
    out: list[list[tuple[str, object]]] = [[]]
    for i, ch in enumerate(text.plain):
        if ch == "\n":
            out.append([])
            continue
        out[-1].append((ch, text.get_style_at_offset(CONSOLE, i)))
    return out


def _colour(rgb) -> Color:
    return Color.from_rgb(*rgb)


def test_each_cell_shows_two_grid_rows_upper_as_colour_lower_as_background():
    # 4 grid rows, 2 cells high: cell row 0 = grid rows 0 (class 0) and 1 (class 1)
    b = _boundary([[0, 0], [1, 1], [1, 1], [0, 0]])
    cells = _cells(boundary_text(b, width=2, height=2))
    assert len(cells) == 2 and all(len(row) == 2 for row in cells)
    for char, style in cells[0]:
        assert char == UPPER_HALF
        assert style.color == _colour(_rgb(0, SURE)) and style.bgcolor == _colour(_rgb(1, SURE))
    for char, style in cells[1]:
        assert char == UPPER_HALF
        assert style.color == _colour(_rgb(1, SURE)) and style.bgcolor == _colour(_rgb(0, SURE))


def test_a_cell_of_one_colour_is_a_blank_on_its_background():
    b = _boundary([[1, 1], [1, 1]])
    cells = _cells(boundary_text(b, width=2, height=1))
    assert [c for c, _ in cells[0]] == [" ", " "]
    assert all(s.bgcolor == _colour(_rgb(1, SURE)) and s.color is None for _, s in cells[0])


def test_each_class_has_its_colour_deeper_where_the_model_is_surer():
    b = _boundary([[0, 1, 2, 3]] * 2, confidence=[[1.0] * 4] * 2)
    styles = [s for _, s in _cells(boundary_text(b, width=4, height=1))[0]]
    assert len({s.bgcolor for s in styles}) == 4
    unsure = _boundary([[0, 0]] * 2, confidence=[[0.5, 1.0]] * 2)
    low, high = (s.bgcolor for _, s in _cells(boundary_text(unsure, width=2, height=1))[0])
    assert low != high

    def brightness(c: Color) -> int:
        return sum(c.get_truecolor())

    assert brightness(low) < brightness(high)  # a coin flip is drawn nearer the dark ground


def test_a_data_point_is_a_dot_of_its_class_on_the_cells_background():
    b = _boundary(
        [[0, 0, 0], [0, 0, 0], [1, 1, 1], [1, 1, 1]], points=[[0.0, 1.0]], point_classes=[1]
    )
    cells = _cells(boundary_text(b, width=3, height=2))
    char, style = cells[0][0]  # x=0, y=1: the top-left cell
    assert char == POINT
    assert style.color == _colour(_CLASS_RGB[1]) and style.bgcolor == _colour(_rgb(0, SURE))
    assert all(c != POINT for row in cells for c, _ in row[1:])


def test_a_legend_line_names_the_classes_under_the_map():
    b = _boundary([[0, 1]] * 8)
    lines = boundary_text(b, width=60, height=5).plain.split("\n")
    assert len(lines) == 5
    assert "class 0" in lines[-1] and "class 1" in lines[-1] and POINT in lines[-1]


def test_no_color_draws_classes_as_characters_and_points_as_digits():
    confidence = [[1.0, 1.0, 0.5], [1.0, 1.0, 0.5]]
    b = _boundary([[0, 1, 1], [0, 1, 1]], confidence, points=[[0.5, 0.0]], point_classes=[0])
    text = boundary_text(b, width=3, height=1, colour=False)
    cells = _cells(text)[0]
    chars = [c for c, _ in cells]
    assert chars[0] == REGION_CHARS[0]
    assert chars[1] == "0"  # the class-0 point at x=0.5, on class 1's region
    assert chars[2] == " "  # the model is unsure there
    assert all(s.color is None and s.bgcolor is None for _, s in cells)
    legend = boundary_text(b, width=60, height=4, colour=False).plain.split("\n")[-1]
    assert f"{REGION_CHARS[1]} class 1" in legend and "digits" in legend


def test_a_view_bigger_than_the_grid_or_a_hostile_grid_still_draws():
    b = _boundary(
        [[0]], confidence=[[float("nan")]], points=[[float("inf"), 0.0]], point_classes=[7]
    )
    text = boundary_text(b, width=40, height=12)
    assert len(text.plain.split("\n")) == 12
    many = _boundary([[9, 12]] * 2)
    assert len(boundary_text(many, width=10, height=6, colour=False).plain.split("\n")) == 6


def test_dots_cover_at_most_one_cell_in_five_so_the_map_shows_between_them():
    rng = np.random.default_rng(0)
    points = rng.uniform(0, 1, (400, 2))
    b = _boundary([[0, 1]] * 4, points=points, point_classes=[1] * 400)
    text = boundary_text(b, width=20, height=4)  # 3 map rows of 20 cells, then the legend
    map_rows = text.plain.split("\n")[:-1]
    assert 1 <= sum(row.count(POINT) for row in map_rows) <= 60 // 5
