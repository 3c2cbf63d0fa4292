"""``torch-tui lessons list|check`` as a lesson author uses them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.cli import main

SEED = Path(__file__).parents[1] / "fixtures" / "08-pytorch-intro.md"

FAILING = """---
id: "01-fails"
title: "Fails"
---
## Works
```python
x = 1
```
## Breaks

Some prose.

```python
y = x + 1

z = y / 0
```
"""

EXERCISES = """---
id: "02-ex"
title: "Exercises"
---
## S
```python
base = 10
```
### Exercise: Right
```python check
assert answer == base + 1, "answer should be base + 1"
```
```python solution
answer = base + 1
```
```python wrong
answer = base
```
```python wrong
answer = 11.0 + 1
```
### Exercise: Wrong solution
```python check
assert wrong > 0, "wrong should be positive"
assert wrong == 3, f"wrong is {wrong}, want 3"
```
```python solution
wrong = 2
```
```python wrong
wrong = -3
```
```python wrong
wrong = 4
```
### Exercise: No solution
```python check
assert later == 1
```
"""


def run(capsys, *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_the_seed_passes_unchanged(capsys):
    code, lines, err = run(capsys, "lessons", "check", str(SEED))
    assert code == 0, "\n".join(lines)
    assert lines[-1] == "9 passed, 0 failed"
    assert sum(line.strip().startswith("ok") for line in lines) == 9
    assert "Traceback" not in "\n".join(lines) + err


def test_a_failing_block_is_reported_at_its_file_line(capsys, tmp_path):
    path = tmp_path / "01-fails.md"
    path.write_text(FAILING)
    code, lines, _ = run(capsys, "lessons", "check", str(path))
    assert code == 1
    fail = next(line for line in lines if "FAIL" in line)
    line_no = FAILING.splitlines().index("z = y / 0") + 1
    assert f"01-fails.md:{line_no}" in fail
    assert fail.rstrip().endswith("ZeroDivisionError: division by zero")
    assert lines[-1] == "1 passed, 1 failed"


def test_exercises_run_solution_then_check(capsys, tmp_path):
    path = tmp_path / "02-ex.md"
    path.write_text(EXERCISES)
    code, lines, _ = run(capsys, "lessons", "check", str(path))
    assert code == 1
    text = "\n".join(lines)
    assert "ok      " in text and 'exercise "Right"' in text
    wrong = next(line for line in lines if "Wrong solution" in line)
    assert wrong.strip().startswith("FAIL") and "wrong is 2, want 3" in wrong
    check_line = EXERCISES.splitlines().index('assert wrong == 3, f"wrong is {wrong}, want 3"') + 1
    assert f"02-ex.md:{check_line}" in wrong
    skipped = next(line for line in lines if "No solution" in line)
    assert skipped.strip().startswith("skipped")
    assert lines[-1] == "2 passed, 1 failed, 1 skipped"


def test_a_broken_file_fails_with_its_reason_and_neighbours_still_run(capsys, tmp_path):
    (tmp_path / "01-ok.md").write_text(
        '---\nid: "01-ok"\ntitle: OK\n---\n## S\n```python\nx = 1\n```\n'
    )
    (tmp_path / "broken.md").write_text("---\nid: [oops\n---\n")
    code, lines, err = run(capsys, "lessons", "check", str(tmp_path))
    assert code == 1
    text = "\n".join(lines) + err
    assert "Traceback" not in text
    broken = next(line for line in lines if "broken.md" in line)
    assert broken.strip().startswith("FAIL") and "YAML error" in broken
    assert lines[-1] == "1 passed, 1 failed"


@pytest.mark.parametrize(
    "argv",
    [
        ["lessons", "check", "/no/such/file.md"],
        ["lessons", "check", "--device", "tpu"],
        ["lessons", "check", "--lessons-dir", "/no/such/dir"],
        ["lessons", "frobnicate"],
        ["lessons"],
    ],
)
def test_usage_errors_exit_2(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.strip() and "Traceback" not in err


def test_list_shows_status_and_reasons(capsys, tmp_path):
    (tmp_path / "10-ten.md").write_text('---\nid: "10-ten"\ntitle: Ten\nconcepts: [a, b]\n---\n')
    (tmp_path / "2-two.md").write_text('---\nid: "2-two"\ntitle: Two\n---\n')
    (tmp_path / "bad.md").write_text("no front matter\n")
    code, lines, _ = run(capsys, "lessons", "list", "--lessons-dir", str(tmp_path))
    assert code == 0
    ids = [line.split()[1] for line in lines[:-1]]
    assert ids.index("2-two") < ids.index("10-ten")
    assert "07-neural-networks" in ids and "08-pytorch-intro" in ids  # shipped ones too
    ten = next(line for line in lines if line.split()[1] == "10-ten")
    assert " ok " in ten and "Ten" in ten and "a, b" in ten
    bad = next(line for line in lines if line.split()[1] == "bad")
    assert "BROKEN" in bad and "no front matter" in bad


def test_list_shows_the_shipped_course_in_prerequisite_order(capsys):
    """The ids run in course order (09-multi-gpu became 18-multi-gpu, after 17)."""
    code, lines, _ = run(capsys, "lessons", "list")
    assert code == 0
    rows = [line.split() for line in lines[:-1]]
    assert [int(r[0]) for r in rows] == list(range(1, len(rows) + 1))
    ids = [r[1] for r in rows]
    assert ids[:2] == ["07-neural-networks", "08-pytorch-intro"]
    assert ids.index("18-multi-gpu") == ids.index("17-performance") + 1
    assert all(r[2] == "ok" for r in rows), lines


def test_an_unknown_fence_flag_fails_the_check_and_is_listed(capsys, tmp_path):
    """``nroun`` is not ``norun``: the fence is not run, and the author is told where."""
    (tmp_path / "03-typo.md").write_text(
        '---\nid: "03-typo"\ntitle: Typo\n---\n## S\n```python nroun\nboom()\n```\n'
    )
    code, lines, _ = run(capsys, "lessons", "check", str(tmp_path))
    assert code == 1
    fail = next(line for line in lines if line.strip().startswith("FAIL"))
    assert "03-typo.md:6: unknown fence flag 'nroun'" in fail and "shown, not run" in fail
    assert lines[-1] == "0 passed, 1 failed, 1 skipped", "boom() never ran"

    code, lines, _ = run(capsys, "lessons", "list", "--lessons-dir", str(tmp_path))
    assert code == 0
    row = next(i for i, line in enumerate(lines) if "03-typo" in line.split())
    assert " ok " in lines[row]
    assert lines[row + 1].split()[0] == "warning" and "unknown fence flag 'nroun'" in lines[row + 1]
    assert lines[-1].endswith(", 0 broken, 1 with warnings")


def test_a_wrong_answer_that_passes_fails_the_command(capsys, tmp_path):
    path = tmp_path / "04-cheat.md"
    path.write_text(
        '---\nid: "04-cheat"\ntitle: Cheat\n---\n## S\n```python\nbase = 10\n```\n'
        "### Exercise: Bigger\n```python check\n"
        'assert answer > base, "answer should be bigger than base"\n```\n'
        "```python solution\nanswer = base + 1\n```\n"
        "```python wrong\n# the same as base\nanswer = base\n```\n"
        "```python wrong\n# any big number passes this check\nanswer = 1000\n```\n"
    )
    code, lines, _ = run(capsys, "lessons", "check", str(path))
    assert code == 1
    (fail,) = [line for line in lines if line.strip().startswith("FAIL")]
    assert '04-cheat.md:21  exercise "Bigger" wrong answer 2 (any big number passes' in fail
    assert fail.endswith(
        "passes its check: the check cannot tell this wrong answer from a real one"
    )
    assert lines[-1] == "1 passed, 1 failed"


def test_a_list_piped_into_head_ends_quietly():
    """``torch-tui lessons list | head -1``: the reader leaves early; no traceback."""
    import subprocess
    import sys

    done = subprocess.run(
        f"{sys.executable} -m tui lessons list | head -1",
        shell=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
