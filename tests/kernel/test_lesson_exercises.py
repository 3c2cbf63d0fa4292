"""Shipped exercises fail until the learner does the exercise, in a real kernel."""

from __future__ import annotations

from pathlib import Path

from tui.lessons.library import load_lessons

LESSONS = Path(__file__).resolve().parents[2] / "lessons"


def _exercise(lesson_prefix: str, title_word: str):
    lesson = next(ls for ls in load_lessons([LESSONS]) if ls.id.startswith(lesson_prefix))
    return lesson, next(e for e in lesson.exercises if title_word in e.title)


async def test_relu_by_hand_refuses_torch_relu_and_clamp(kernel):
    _, relu = _exercise("07", "ReLU")
    for cheat, word in [
        ("my_relu = lambda t: torch.relu(t)", "relu"),
        ("def my_relu(t):\n    return t.clamp(min=0)", "clamp"),
    ]:
        await kernel.run(cheat)
        outcome = await kernel.run(relu.check)
        assert not outcome.ok and f"my_relu calls {word}" in outcome.error_value
    await kernel.run("def my_relu(t):\n    return t * (t > 0)")
    assert (await kernel.run(relu.check)).ok


async def test_solve_xor_fails_after_the_lessons_own_example(kernel):
    lesson, xor = _exercise("08", "XOR")
    for block in lesson.blocks:
        if block.line < xor.line:
            assert (await kernel.run(block.code)).ok
    outcome = await kernel.run(xor.check)
    assert not outcome.ok and "has 4 neurons" in outcome.error_value
    assert (await kernel.run(xor.solution)).ok
    assert (await kernel.run(xor.check)).ok
