"""`minimod lessons`: open the course in the inspector, or list, check and reset from a plain terminal."""

from __future__ import annotations

import argparse

from minimod.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--list", action="store_true", help="print the lessons and your progress, then exit")
    group.add_argument(
        "--check", metavar="N", help="check lesson N's exercise; exit 0 if it passes, 1 if not"
    )
    group.add_argument(
        "--reset", nargs="?", const="all", metavar="N",
        help="forget your progress (all lessons, or only lesson N); your exercise files are kept",
    )
    parser.add_argument(
        "--file", metavar="PATH", help="with --check: the file to check (default: your workspace copy)"
    )


def run(args: argparse.Namespace) -> int:
    from lessons.course import find_lesson, load_course
    from lessons.progress import Progress, data_dir, workspace_exercise

    if args.file and not args.check:
        raise UserError("--file only goes with --check N, e.g. minimod lessons --check 1 --file my.py")
    course = load_course()
    progress = Progress()
    if progress.warning:
        print(f"warning: {progress.warning}")
    if args.list:
        print(f"minimod lessons (progress kept in {data_dir()})")
        for lesson in course:
            mark = "x" if progress.is_complete(lesson.slug, len(lesson.steps)) else " "
            summary = progress.summary(lesson.slug, len(lesson.steps), len(lesson.questions))
            print(f"[{mark}] {lesson.number:2d}. {lesson.short_title}  ({summary})")
        print("Open the course with 'minimod lessons'; check an exercise with 'minimod lessons --check N'.")
        return 0
    if args.reset:
        if args.reset == "all":
            progress.reset()
            print("Progress of every lesson forgotten. "
                  f"Exercise files are kept in {data_dir() / 'workspace'}.")
        else:
            lesson = find_lesson(args.reset, course)
            progress.reset(lesson.slug)
            print(f"Progress of lesson {lesson.number} forgotten. Its exercise file is kept.")
        return 0
    if args.check:
        from lessons.checker import check_exercise

        lesson = find_lesson(args.check, course)
        if args.file:
            path = args.file
        else:
            path = workspace_exercise(lesson.slug, lesson.exercise_path)
        result = check_exercise(lesson, path)
        print(result.format())
        progress.record_check(lesson.slug, result.passed)
        return 0 if result.passed else 1
    from inspector.screens.lesson_list import run_course

    return run_course()
