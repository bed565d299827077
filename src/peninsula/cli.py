"""The `peninsula` command line. Each command imports what it needs when it runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from peninsula.grader.course import PipelineError


def _show_text(args: argparse.Namespace) -> int:
    from peninsula.texts import load_corpus

    corpus = load_corpus()
    texts = [corpus[args.text]] if args.text else list(corpus)
    for text in texts:
        print(text.citation)
        print(f"  {len(text.paragraphs)} paragraphs, {text.word_count} words\n")
        if args.text:
            print("\n\n".join(str(p) for p in text.paragraphs))
    return 0


def _check(args: argparse.Namespace) -> int:
    from peninsula.grader.check import DataFiles, check_all, report_text

    files = DataFiles()
    problems = check_all(files)
    print(report_text(problems, files))
    return 1 if problems else 0


def _build_assignments(args: argparse.Namespace) -> int:
    from peninsula.grader.assignments import write_assignments

    for path in write_assignments():
        print(f"wrote {path}")
    return 0


def _export_charts(args: argparse.Namespace) -> int:
    from peninsula.charts import export_charts

    for path in export_charts(Path(args.out), args.format):
        print(f"wrote {path}")
    return 0


def _course(args: argparse.Namespace):
    from peninsula.grader.course import Course, find_course_root

    return Course(find_course_root(Path(args.course)) if args.course else find_course_root())


def _release(args: argparse.Namespace) -> int:
    from peninsula.grader.pipeline import release

    target = release(_course(args), args.assignment, lms_zip=args.lms_zip)
    where = "Upload this zip to your LMS" if args.lms_zip else "Released to the exchange"
    print(f"Generated release/{args.assignment}; the leak check found nothing. {where}: {target}")
    return 0


def _collect(args: argparse.Namespace) -> int:
    from peninsula.grader.pipeline import collect

    collected = collect(_course(args), args.assignment, Path(args.downloads) if args.downloads else None)
    print(f"Collected {len(collected.students)} student(s) into submitted/: {', '.join(collected.students)}")
    if collected.unmatched:
        print(f"{len(collected.unmatched)} file(s) could not be matched to a student; rename and re-run:")
        print("\n".join(f"  {name}" for name in collected.unmatched))
    return 0


def _grade(args: argparse.Namespace) -> int:
    from peninsula.grader.grade import grade, grade_log, status_table, write_grades

    course = _course(args)
    if args.no_sandbox:
        print("WARNING: --no-sandbox: student code runs with your permissions and can read and change "
              "the course folder, the key and the gradebook.", file=sys.stderr)  # fmt: skip
    results = grade(course, args.assignment, show_progress=True, jobs=args.jobs, sandbox=not args.no_sandbox)
    print(status_table(results))
    print(f"Grades with a status column: {write_grades(course, args.assignment, results)}")
    print(f"nbgrader's log: {grade_log(course, args.assignment)}")
    print(f"Feedback (hidden tests cleared): {course.folder('feedback')}; send it with "
          f"`peninsula release-feedback {args.assignment}` or from the LMS.")  # fmt: skip
    return 0


def _release_feedback(args: argparse.Namespace) -> int:
    from peninsula.grader.feedback import release_feedback

    released = release_feedback(_course(args), args.assignment, include_provisional=args.include_provisional)
    print(f"Feedback released to {len(released.sent)} student(s): {', '.join(released.sent) or 'none'}")
    if released.held:
        print(f"Held back ({len(released.held)}):")
        print("\n".join(f"  {h.student_id}: {h.reason}" for h in released.held))
    return 0


def _report(args: argparse.Namespace) -> int:
    from peninsula.grader.report import write_report

    print(f"Class report (opens offline in a browser): {write_report(_course(args), args.assignment)}")
    return 0


def _demo_class(args: argparse.Namespace) -> int:
    from peninsula.grader.demo import describe, make_demo_class

    course = _course(args)
    students = make_demo_class(course, args.assignment, args.students, args.seed)
    print(describe(students, args.assignment, course.root))
    if args.panel:
        from peninsula.grader.exports import write_demo_panel

        panel = write_demo_panel(course, args.assignment, Path(args.panel), args.seed, args.students)
        print(f"The demo class's codings, as an anonymous panel for Lesson 5: {panel}")
    return 0


def _integrity(args: argparse.Namespace) -> int:
    from peninsula.grader.integrity import integrity_text, write_integrity

    result, target = write_integrity(_course(args), args.assignment)
    print(integrity_text(result))
    print(f"\nThe same list (instructor only): {target}")
    return 0


def _export_codings(args: argparse.Namespace) -> int:
    from peninsula.grader.exports import export_codings

    target = export_codings(_course(args), args.assignment, Path(args.out) if args.out else None)
    print(f"Anonymous class codings (no names, ids or key; leak-checked): {target}\n"
          "Give it to students as class_codings.yaml next to the lessons; Lesson 5 reads it.")  # fmt: skip
    return 0


def _export_grades(args: argparse.Namespace) -> int:
    from peninsula.grader.exports import export_grades

    out = Path(args.out) if args.out else None
    target, unscored = export_grades(_course(args), args.assignment, args.lms, args.column, out)
    print(f"Grades for the {args.lms.capitalize()} gradebook: {target}")
    if unscored:
        print(f"No score for {len(unscored)} student(s), so the LMS keeps what it has:")
        print("\n".join(f"  {row['student_id']}: {row['status']}" for row in unscored))
    return 0


#: What the `grader` extra installs (`pip install peninsula` is the student side, without them).
GRADER_SIDE = {
    "nbgrader", "jupyterlab", "notebook", "altair", "vl_convert", "krippendorff", "numpy", "jsonschema",
    "jupyter_server", "jupyter_core", "nbconvert", "nbformat", "traitlets",
}  # fmt: skip

COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
    "texts": ("list the commentaries, or print one with its paragraph ids", _show_text),
    "check": ("validate the texts, codebook, positions and answer key", _check),
    "export-charts": ("save every chart as SVG or PNG for handouts", _export_charts),
    "build-assignments": ("write the graded assignments' notebooks from the answer key", _build_assignments),
    "release": ("generate the student version, check it for leaks, and publish it", _release),
    "collect": ("collect submissions from the exchange, or from LMS downloads", _collect),
    "grade": ("autograde, write feedback and grades, and show each student's status", _grade),
    "release-feedback": ("send feedback to the students whose grading is settled", _release_feedback),
    "report": ("write a class analytics page: scores, item difficulty, actor confusion", _report),
    "demo-class": ("make a synthetic class in submitted/ to rehearse the cycle", _demo_class),
    "integrity": ("list submissions worth a second look: identical files, shared errors", _integrity),
    "export-codings": ("write the class's codings, anonymised, for Lesson 5", _export_codings),
    "export-grades": ("write grades as the CSV a Canvas or Moodle gradebook imports", _export_grades),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peninsula",
        description="Course kit for close reading Trivedi (PacNet #28, 2018) and Cronin (2019).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (summary, _) in COMMANDS.items():
        commands.add_parser(name, help=summary, description=summary)
    commands.choices["texts"].add_argument("text", nargs="?", help="trivedi or cronin")
    export = commands.choices["export-charts"]
    export.add_argument("--format", choices=["svg", "png"], default="svg", help="file format (default: svg)")
    export.add_argument("--out", default="exports", help="folder to write to (default: exports/)")
    for name in ("release", "collect", "grade", "release-feedback", "report", "demo-class", "integrity",
                 "export-codings", "export-grades"):
        command = commands.choices[name]
        command.add_argument("assignment", help="who_must_act or comparing_positions")
        command.add_argument("--course", help="the course folder (default: the one this runs in)")
    commands.choices["release"].add_argument(
        "--lms-zip", action="store_true", help="write a zip for an LMS instead of using the exchange"
    )
    commands.choices["collect"].add_argument(
        "--from", dest="downloads", help="a folder or zip of submissions downloaded from an LMS"
    )
    commands.choices["grade"].add_argument(
        "--jobs", type=int, default=1, help="students to grade at once, in separate processes (default: 1)"
    )
    commands.choices["grade"].add_argument(
        "--no-sandbox", action="store_true", help="run student code without the bubblewrap sandbox (unsafe)"
    )
    commands.choices["release-feedback"].add_argument(
        "--include-provisional", action="store_true", help="also send provisional feedback"
    )
    demo = commands.choices["demo-class"]
    demo.add_argument("--students", type=int, default=30, help="class size (default: 30)")
    demo.add_argument("--seed", type=int, default=0, help="random seed, for a reproducible class")
    demo.add_argument("--panel", help="also write the class's codings as an anonymous panel file here")
    commands.choices["export-codings"].add_argument(
        "--out", help="where to write it (default: exports/class_codings.yaml)"
    )
    grades = commands.choices["export-grades"]
    grades.add_argument("--lms", choices=["canvas", "moodle"], required=True, help="the gradebook's format")
    grades.add_argument("--column", help="the assignment's column name in the LMS (default: the assignment)")
    grades.add_argument("--out", help="where to write it (default: exports/<assignment>-<lms>.csv)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    try:
        return COMMANDS[args.command][1](args)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in GRADER_SIDE:
            raise
        print(f"peninsula {args.command}: {error.name} is not installed: this command is on the grader's "
              "side. Install it with: pip install 'peninsula[grader]'", file=sys.stderr)  # fmt: skip
        return 2
    except (KeyError, ValueError, FileNotFoundError, PipelineError) as error:
        message = error.args[0] if isinstance(error, KeyError) else error
        print(f"peninsula {args.command}: {message}", file=sys.stderr)
        return 2
