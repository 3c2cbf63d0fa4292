"""``torch-tui lessons list|check``: see the curriculum, and prove its code runs.

``list`` prints the course in order (prerequisites first, ties by id): place, id,
status (ok, or broken with the reason), title and concepts, and under a lesson each of
its warnings (a python fence the parser will not run: an unknown flag, or one inside a
list or a quote).
``check`` runs each lesson's blocks and exercises in a fresh kernel and prints one
line per block or exercise (a FAIL line more for each wrong answer a check lets
through), then ``N passed, N failed[, N skipped]`` alone on a line.
It runs what it is given, trusted folder or not: the learner asked (its --help says so).
Exit codes: 0 all passed, 1 anything failed (a broken file or a lesson's warning counts),
2 usage errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _dirs_arg(args: argparse.Namespace) -> list[Path]:
    """``--lessons-dir`` may come before or after ``lessons``; both count."""
    return [*(getattr(args, "lessons_dir", None) or []), *(args.sub_lessons_dir or [])]


def add_parser(sub: argparse._SubParsersAction) -> None:
    from tui.cli.args import device_arg, dir_arg

    p = sub.add_parser(
        "lessons", help="list or check lessons", description="List or check lessons."
    )
    lsub = p.add_subparsers(dest="lessons_command", metavar="ACTION", parser_class=type(p))
    p.set_defaults(handler=_no_action(p))

    lp = lsub.add_parser("list", help="id, title, concepts and status of every lesson")
    lp.add_argument(
        "--lessons-dir",
        dest="sub_lessons_dir",
        type=dir_arg,
        action="append",
        metavar="DIR",
        help="also list the lessons in DIR",
    )
    lp.set_defaults(handler=cmd_list)

    cp = lsub.add_parser(
        "check",
        help="run every block and exercise of the lessons; exit 1 on any failure",
        description=(
            "Run every python block, solution and check of the lessons in a fresh kernel, "
            "one line per block or exercise; each check must fail before its solution and "
            "fail each of the exercise's wrong answers (at least 2, ```python wrong fences, "
            "each run in a fresh copy of the namespace); exit 1 on any failure. This runs the lessons' "
            "code, whoever wrote it: the app's folder trust (T) does not apply here, since "
            "you asked for it. Check only lessons you would run yourself."
        ),
    )
    cp.add_argument(
        "--lessons-dir",
        dest="sub_lessons_dir",
        type=dir_arg,
        action="append",
        metavar="DIR",
        help="also check the lessons in DIR (when no FILE is given)",
    )
    cp.add_argument(
        "--device",
        dest="check_device",
        type=device_arg,
        default=None,
        help="device for the kernel: cpu (default), cuda, cuda:N or mps",
    )
    cp.add_argument(
        "files", nargs="*", metavar="FILE", help="lesson files or folders (default: all lessons)"
    )
    cp.set_defaults(handler=cmd_check)


def _no_action(parser: argparse.ArgumentParser):
    def handler(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        print("\ntorch-tui lessons: choose an action: list or check", file=sys.stderr)
        return EXIT_USAGE

    return handler


def cmd_list(args: argparse.Namespace) -> int:
    from tui.lessons.library import discover

    lessons = discover(_dirs_arg(args))
    if not lessons:
        print("no lessons found")
        return EXIT_OK
    width = max(len(ls.id) for ls in lessons)
    digits = len(str(len(lessons)))
    for n, ls in enumerate(lessons, 1):
        if ls.broken:
            print(f"{'-':>{digits}}  {ls.id:<{width}}  BROKEN  {ls.error}")
        else:
            concepts = ", ".join(ls.concepts) or "-"
            print(f"{n:>{digits}}  {ls.id:<{width}}  ok      {ls.title}  [{concepts}]")
            for warning in ls.warnings:
                print(f"{'':>{digits}}  {'':<{width}}  warning {warning}")
    broken = sum(ls.broken for ls in lessons)
    warned = sum(bool(ls.warnings) for ls in lessons if not ls.broken)
    print(
        f"{len(lessons)} lessons, {broken} broken" + (f", {warned} with warnings" if warned else "")
    )
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from tui.cli.lesson_check import check_lesson
    from tui.lessons.library import discover, load_lessons

    if args.files:
        paths = [Path(f).expanduser() for f in args.files]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            print(f"torch-tui: no such file or folder: {', '.join(missing)}", file=sys.stderr)
            return EXIT_USAGE
        lessons = load_lessons(paths)
    else:
        lessons = discover(_dirs_arg(args))
    if not lessons:
        print("no lessons found", file=sys.stderr)
        return EXIT_FAIL
    device = args.check_device or getattr(args, "device", None) or "cpu"
    counts = {"ok": 0, "FAIL": 0, "skipped": 0}
    for lesson in lessons:
        print(f"{lesson.id}  {lesson.title or ''}".rstrip(), flush=True)
        for line in check_lesson(lesson, device=device):
            counts[line.status] = counts.get(line.status, 0) + 1
            print("  " + line.render(), flush=True)
    summary = f"{counts['ok']} passed, {counts['FAIL']} failed"
    if counts["skipped"]:
        summary += f", {counts['skipped']} skipped"
    print(summary)
    return EXIT_FAIL if counts["FAIL"] else EXIT_OK
