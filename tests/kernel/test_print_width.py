"""The kernel prints as wide as the REPL log: a tensor's rows break where torch breaks
them at the log's width, and a learner's own width wins."""

from __future__ import annotations

from tui.protocol import messages as p

TENSOR = "print(torch.arange(100.).reshape(10, 10) * 1000)"


def widest(outcome) -> int:
    return max(len(line) for line in outcome.text().splitlines())


async def test_tensors_and_arrays_break_at_the_logs_width(kernel):
    await kernel.link.agent(p.SetRoom(log_cols=120))
    wide = await kernel.run(TENSOR)
    assert len(wide.text().splitlines()) == 10  # a row a line: 10 values fit in 120
    assert widest(wide) <= 120
    await kernel.link.agent(p.SetRoom(log_cols=60))
    narrow = await kernel.run(TENSOR)
    assert widest(narrow) <= 60 and len(narrow.text().splitlines()) > 10  # torch broke them
    array = await kernel.run("print(np.arange(30) * 1000)")
    assert widest(array) <= 60
    columns = await kernel.run("import os; print(os.environ['COLUMNS'])")
    assert columns.text().strip() == "60"  # IPython's traceback rule follows it


async def test_a_learners_own_width_wins(kernel):
    await kernel.link.agent(p.SetRoom(log_cols=120))
    await kernel.run("torch.set_printoptions(linewidth=200)")
    await kernel.link.agent(p.SetRoom(log_cols=60))
    own = await kernel.run("print(torch._tensor_str.PRINT_OPTS.linewidth)")
    assert own.text().strip() == "200"


async def test_without_a_room_torch_keeps_its_default(kernel):
    default = await kernel.run("print(torch._tensor_str.PRINT_OPTS.linewidth)")
    assert default.text().strip() == "80"  # lessons check sends no room
