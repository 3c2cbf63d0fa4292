"""The ``lessons check`` driver on real kernels: file lines, the time limit, input(), a
kernel that dies mid-lesson, and one that does not start."""

from __future__ import annotations

from tui.cli.lesson_check import cell_line, check_lesson
from tui.lessons.document import parse_lesson

SLOW = """---
id: "s-slow"
title: "Slow"
---
## S

```python


x = 1
y = [1][3]
```

```python
while True:
    pass
```

```python
name = input("name? ")
z = 2
```

### Exercise: After
```python check
assert name == ""
assert x == 2, "x is 1"
```
```python solution
z = 2
```
```python wrong
z = 3
```
```python wrong
z = 4
```
"""

DIES = """---
id: "s-dies"
title: "Dies"
---
## S

```python
import os
os._exit(3)
```

```python
after = 1
```
"""


def lines_of(text: str, **kw) -> list:
    return list(check_lesson(parse_lesson(text, "/x/lesson.md"), **kw))


def test_lines_time_limit_and_input():
    got = lines_of(SLOW, time_limit=3)
    rendered = [line.render() for line in got]
    assert [line.status for line in got] == ["FAIL", "FAIL", "ok", "FAIL"], rendered
    index = SLOW.splitlines().index("y = [1][3]") + 1  # blank lines above the code count
    assert got[0].where.endswith(f":{index}") and "IndexError" in got[0].detail
    assert "longer than 3 s" in got[1].detail
    check = SLOW.splitlines().index('assert x == 2, "x is 1"') + 1
    assert got[3].where.endswith(f":{check}") and got[3].detail == "x is 1"


def test_a_kernel_that_dies_fails_once_and_the_rest_is_skipped():
    got = lines_of(DIES)
    assert [line.status for line in got] == ["FAIL", "skipped"], [g.render() for g in got]
    assert "kernel ended" in got[0].detail and "exit code 3" in got[0].detail
    assert "ended earlier" in got[1].detail


def test_a_kernel_that_does_not_start_is_one_failure():
    class NoKernel:
        def __init__(self, device: str) -> None:
            self.closed = False

        def start(self) -> None:
            raise RuntimeError("device cuda:7 is not available (have: cpu); using cpu")

        def close(self) -> None:
            self.closed = True

    got = lines_of(DIES, runner_factory=NoKernel)
    assert len(got) == 1 and got[0].status == "FAIL"
    assert "cuda:7 is not available" in got[0].detail


def test_cell_line_takes_the_innermost_frame_of_the_cell():
    tb = (
        "Cell In[3], line 3\n  f()\nCell In[3], line 2, in f()\nFile ~/lib.py:9\nCell In[2], line 5"
    )
    assert cell_line(tb, 3) == 2
    assert cell_line(tb, 9) == 5  # not this cell's number: any cell's last frame
    assert cell_line("no frames", 1) is None


def test_a_kernel_that_fails_to_come_up_is_replaced_once(monkeypatch):
    from tui.cli import lesson_check as lc

    starts = []
    real = lc.KernelRunner._start

    async def first_fails(self):
        starts.append(self.process)
        await real(self)
        if len(starts) == 1:
            raise lc._NotStarted("no answer to create_subshell_request")

    monkeypatch.setattr(lc.KernelRunner, "_start", first_fails)
    text = '---\nid: "a"\ntitle: A\n---\n## S\n```python\nx = 1\n```\n'
    got = lines_of(text)
    assert [line.status for line in got] == ["ok"] and len(starts) == 2


FREEBIE = """---
id: "s-freebie"
title: "Freebie"
---
## S

```python
w = torch.zeros(3)
```

### Exercise: Already done
Make `w`, three zeros.
```python check
assert w.shape == (3,), "w should have 3 values"
```
```python solution
w = torch.zeros(3)
```
```python wrong
w = torch.ones(3)
```
```python wrong
w = torch.zeros(4)
```

### Exercise: Honest
Make `v`, three ones.
```python check
assert "v" in dir(), "make v"
assert torch.equal(v, torch.ones(3)), "v should be three ones"
```
```python solution
v = torch.ones(3)
```
```python wrong
v = torch.zeros(3)
```
```python wrong
v = torch.ones(4)
```
"""


def test_a_check_that_passes_before_its_solution_fails_the_lesson():
    got = lines_of(FREEBIE)
    assert [line.status for line in got] == ["ok", "FAIL", "ok"], [g.render() for g in got]
    assert "passes before the solution" in got[1].detail
    check = FREEBIE.splitlines().index('assert w.shape == (3,), "w should have 3 values"') + 1
    assert got[1].where.endswith(f":{check}")


def test_a_kernel_that_dies_while_starting_is_reported_with_its_log(monkeypatch, tmp_path):
    """The real link watches a "kernel" that prints one line to its log and is killed
    before it answers: the FAIL line names the death and the log's last line (read with
    ``KernelProcess.log_tail``), after one replacement kernel died the same way."""
    import subprocess
    import sys

    from tui.kernel import launch

    spawned = []

    def spawn_kernel(cwd=None, folder=None):
        name = f"dies{len(spawned)}"
        conn, info = launch.write_connection_file(tmp_path, name)
        log_path = tmp_path / f"{name}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "import os; print('fatal: the GPU went away', flush=True); os.kill(os.getpid(), 9)",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        spawned.append(proc)
        return launch.KernelProcess(proc, conn, info, log_path)

    monkeypatch.setattr(launch, "spawn_kernel", spawn_kernel)
    got = lines_of('---\nid: "a"\ntitle: A\n---\n## S\n```python\nx = 1\n```\n')
    assert [(line.status, line.what) for line in got] == [("FAIL", "kernel")], got
    assert got[0].detail == (
        "the kernel did not start: killed by SIGKILL (fatal: the GPU went away)"
    )
    assert len(spawned) == 2 and all(proc.poll() is not None for proc in spawned)


WRONGS = """---
id: "s-wrongs"
title: "Wrong answers"
---
## S

```python
torch.manual_seed(0)
model = nn.Linear(2, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
w0 = model.weight.detach().clone()
leaf = torch.ones(3, requires_grad=True)
loss = (leaf * 2).sum()
numbers = iter(range(10))
unused = (i for i in range(3))  # cannot be copied, and no check or wrong answer names it
state = torch.get_rng_state()
```

### Exercise: Train once
Train `model` one step, take the `first` of `numbers` and draw `r`.
```python check
assert torch.allclose(model.weight.detach(), w0 - 0.1), "train model one step"
assert leaf.grad is None and torch.equal(leaf.detach(), torch.ones(3)), "leaf was touched"
assert first == 0, f"first is {first}"
assert torch.equal(r, torch.rand(4, generator=torch.Generator().set_state(state))), "r"
```
```python solution
first = next(numbers)
model(torch.ones(1, 2)).sum().backward()
opt.step()
r = torch.rand(4)
```
```python wrong
# no training, and everything else touched
first = next(numbers)
r = torch.rand(4)
loss.backward()
leaf.data.fill_(5.0)
first = next(numbers)
```
```python wrong
# trains twice: a copy of model, and the optimizer over the copy's weights
first = next(numbers)
for _ in range(2):
    model(torch.ones(1, 2)).sum().backward()
    opt.step()
assert opt.param_groups[0]["params"][0] is model.weight, "the optimizer lost the model"
r = torch.rand(4)
```
```python wrong
# passes: this one is right after all
first = next(numbers)
model(torch.ones(1, 2)).sum().backward()
opt.step()
r = torch.rand(4)
```
```python wrong
# does not run
first = next(numbers) / undefined_name
```

### Exercise: Only one wrong answer
```python check
assert later == 1, "later should be 1"
```
```python solution
later = 1
```
```python wrong
later = 2
```

## A generator

```python
gen = (i for i in range(3))
```

### Exercise: Honest
```python check
assert again == 0, f"again is {again}, want the first of gen"
assert leaf.grad is None and torch.equal(leaf.detach(), torch.ones(3)), "leaf was touched"
```
```python solution
again = next(gen)
```
```python wrong
again = next(gen) + 1
leaf.data.fill_(2.0)
```
```python wrong
next(gen)
again = next(gen)
```
"""


def test_each_wrong_answer_runs_in_a_fresh_copy_and_must_fail_its_check():
    """The wrong answers of an exercise each start from the namespace the solution
    would run in (a model and its optimizer, a graph's loss, a half-read iterator, the
    random state), so what one changes never reaches the next or the solution; where
    the namespace holds what cannot be copied (a generator), it is shared when nothing
    of the exercise names it, and the lesson's cells are re-run for each wrong answer
    when something does. One that passes its check, or does not run, is a FAIL line naming
    the lesson, the exercise and the wrong answer; an exercise that declares fewer than
    2 fails; the rest is ``ok``."""
    got = lines_of(WRONGS)
    rendered = [line.render() for line in got]
    lines = WRONGS.splitlines()
    passes = lines.index("# passes: this one is right after all") + 1
    raises = lines.index("first = next(numbers) / undefined_name") + 1
    one = lines.index("### Exercise: Only one wrong answer") + 1
    gen = lines.index("gen = (i for i in range(3))") + 1
    honest = lines.index("### Exercise: Honest") + 1
    assert rendered == [
        "ok      /x/lesson.md:8  block 1 (S)",
        f'FAIL    /x/lesson.md:{passes}  exercise "Train once" wrong answer 3 (passes: this '
        "one is right after all): passes its check: the check cannot tell this wrong answer "
        "from a real one",
        f'FAIL    /x/lesson.md:{raises}  exercise "Train once" wrong answer 4 (does not run): '
        "it did not run (NameError: name 'undefined_name' is not defined): a wrong answer "
        "must run, so that its check rejects it",
        f'FAIL    /x/lesson.md:{one}  exercise "Only one wrong answer": it declares 1 wrong '
        "answer; an exercise declares at least 2 (```python wrong``` fences: a borrowed "
        "call, the example's output, a hard-coded value) that its check fails",
        f"ok      /x/lesson.md:{gen}  block 2 (A generator)",
        f'ok      /x/lesson.md:{honest}  exercise "Honest": its check rejects 2 wrong answers',
    ], rendered
