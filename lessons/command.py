"""`minimod lessons` in a terminal: --list, --check [--hint], --report and --reset, with no app started.

The command itself is inspector/commands/lessons_command.py: it asks here first, and opens the course in
the inspector when none of these was asked for. The lessons import nothing of the inspector.
"""

from __future__ import annotations

import argparse

from minimod.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--list", action="store_true",
                       help="print the lessons, your progress and the questions you first answered wrongly")
    group.add_argument(
        "--check", metavar="N", help="check lesson N's exercise; exit 0 if it passes, 1 if not"
    )
    group.add_argument("--report", action="store_true",
                       help="print every prediction made so far, lesson by lesson, as text for a teacher")
    group.add_argument(
        "--reset", nargs="?", const="all", metavar="N",
        help="forget your progress (all lessons, or only lesson N); your exercise files are kept",
    )
    parser.add_argument(
        "--file", metavar="PATH", help="with --check: the file to check (default: your workspace copy)"
    )
    parser.add_argument("--hint", action="store_true",
                        help="with --check: also print code for each failing check")


def run(args: argparse.Namespace) -> int | None:
    """Do what the options ask in the terminal and return the exit status; None when they ask for nothing
    but the course (which the inspector opens)."""
    from lessons.course import find_lesson, load_course
    from lessons.progress import Progress, data_dir, workspace_exercise

    if args.file and not args.check:
        raise UserError("--file only goes with --check N, e.g. minimod lessons --check 1 --file my.py")
    if getattr(args, "hint", False) and not args.check:
        raise UserError("--hint only goes with --check N, e.g. minimod lessons --check 1 --hint")
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
            for entry in progress.missed(lesson.slug):
                print(f"       first answered wrongly: {question_label(lesson, entry['key'])}")
        print("Open the course with 'minimod lessons'; check an exercise with 'minimod lessons --check N'.")
        return 0
    if getattr(args, "report", False):
        print(report(course, progress))
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
        failed_before = progress.record_check(lesson.slug, result.passed)
        print(result.format(hint_level(failed_before, asked=getattr(args, "hint", False))))
        return 0 if result.passed else 1
    return None


def hint_level(failed_before: int, asked: bool) -> str:
    """Code only when asked for; a tip in words from the second failed check on; the message first."""
    if asked:
        return "code"
    return "words" if failed_before >= 1 else "message"


def question_label(lesson, key: str) -> str:
    """'3.2 How many ...?': the step a question is asked at, and its prompt (the key if it is gone)."""
    question = next((question for question in lesson.questions if question.key == key), None)
    if question is None:
        return key
    return f"{lesson.number}.{question.step} {question.prompt}"


def report(course, progress) -> str:
    """Every recorded prediction as plain text: per lesson, right and wrong, what was chosen and why."""
    lines = ["minimod lessons: predictions, in the order of the course", ""]
    total = wrong = 0
    for lesson in course:
        answered = progress.lesson(lesson.slug)["questions"]
        if not answered:
            continue
        missed = [key for key, entry in answered.items() if not entry.get("correct")]
        total += len(answered)
        wrong += len(missed)
        lines.append(f"Lesson {lesson.number}: {lesson.short_title}: {len(answered)} answered, "
                     f"{len(missed)} wrong the first time")
        for question in lesson.questions:
            entry = answered.get(question.key)
            if entry is None:
                continue
            chosen = entry.get("chosen") or _choice_text(question, entry.get("choice"))
            verdict = "right" if entry.get("correct") else "WRONG"
            lines.append(f"  {lesson.number}.{question.step} [{verdict}] {question.prompt}")
            lines.append(f"        predicted: {chosen}")
            if not entry.get("correct"):
                lines.append(f"        answer:    {entry.get('answer') or '(see the lesson)'}")
        lines.append("")
    if total == 0:
        return "No predictions recorded yet: questions are asked inside the lessons ('minimod lessons')."
    lines.append(f"{total} predictions, {wrong} wrong the first time.")
    return "\n".join(lines)


def _choice_text(question, choice) -> str:
    if isinstance(choice, int) and 0 <= choice < len(question.choices):
        return question.choices[choice]
    return "?"
