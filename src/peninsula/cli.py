"""The `peninsula` command line. Each command imports what it needs when it runs."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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

    files = DataFiles(answer_key=_instructor_key(args))
    problems = check_all(files)
    print(report_text(problems, files))
    return 1 if problems else 0


def _build_assignments(args: argparse.Namespace) -> int:
    from peninsula.grader.assignments import write_assignments

    for path in write_assignments(_course(args)):
        print(f"wrote {path}")
    return 0


def _export_charts(args: argparse.Namespace) -> int:
    from peninsula.charts import export_charts

    for path in export_charts(Path(args.out), args.format):
        print(f"wrote {path}")
    return 0


def _course(args: argparse.Namespace):
    from peninsula.grader.course import open_course

    return open_course(args.course)


def _instructor_key(args: argparse.Namespace) -> Path | None:
    """The course's key for `check`: the --course folder's, else the working folder's course's, if any
    (outside a course, and in a student's copy, only the student-safe data is checked)."""
    try:
        return _course(args).key_file
    except PipelineError:
        if args.course:
            raise
        return None


def _release(args: argparse.Namespace) -> int:
    from peninsula.grader.release import release

    target = release(_course(args), args.assignment, lms_zip=args.lms_zip)
    where = "Upload this zip to your LMS" if args.lms_zip else "Released to the exchange"
    print(f"Generated release/{args.assignment}; the leak check found nothing. {where}: {target}")
    return 0


def _collect(args: argparse.Namespace) -> int:
    from peninsula.grader.collect import collect

    collected = collect(_course(args), args.assignment, Path(args.downloads) if args.downloads else None)
    print(f"Collected {len(collected.students)} student(s) into submitted/: {', '.join(collected.students)}")
    if collected.unmatched:
        print(f"{len(collected.unmatched)} file(s) could not be matched to a student; rename and re-run:")
        print("\n".join(f"  {name}" for name in collected.unmatched))
    if collected.refused:  # also in exports/<a>-collect.txt
        print(f"Not taken, or taken in part ({len(collected.refused)}):")
        print("\n".join(f"  {line}" for line in collected.refused))
    return 0


def _grade(args: argparse.Namespace) -> int:
    from peninsula.grader.grade import grade, grade_log, status_table, write_grades

    course = _course(args)
    if args.no_sandbox:
        print("WARNING: --no-sandbox: student code runs with your permissions and can read and change "
              "the course folder, the key and the gradebook.", file=sys.stderr)
    results = grade(course, args.assignment, show_progress=True, jobs=args.jobs, sandbox=not args.no_sandbox)
    print(status_table(results))
    print(f"Grades with a status column: {write_grades(course, args.assignment, results)}")
    print(f"nbgrader's log: {grade_log(course, args.assignment)}")
    print(f"Feedback (hidden tests cleared): {course.folder('feedback')}; send it with "
          f"`peninsula release-feedback {args.assignment}` or from the LMS.")
    return 0


def _release_feedback(args: argparse.Namespace) -> int:
    from peninsula.grader.release_feedback import release_feedback

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
        from peninsula.grader.codings import write_demo_panel

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
    from peninsula.grader.codings import export_codings

    target, skipped = export_codings(_course(args), args.assignment, Path(args.out) if args.out else None)
    for student, why in skipped.items():
        print(f"Left out: {student!r}: {why}")
    print(f"Anonymous class codings (no names, ids or key; leak-checked): {target}\n"
          "Give it to students as class_codings.yaml next to the lessons; Lesson 5 reads it.")
    return 0


def _export_grades(args: argparse.Namespace) -> int:
    from peninsula.grader.lms_grades import export_grades

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
}

def _due(args: argparse.Namespace) -> int:
    from peninsula.grader.deadlines import POLICY_KINDS, LatePolicy, set_due_date
    from peninsula.grader.term import day_words

    course = _course(args)
    due = set_due_date(course, args.assignment, args.date)
    policy = LatePolicy.of(course)
    print(f"{args.assignment} is due {day_words(due)} (kept in the gradebook; the Formgrader shows it). "
          f"Late policy: {POLICY_KINDS[policy.kind]} (c.LatePolicy in nbgrader_config.py).")
    return 0


def _extend(args: argparse.Namespace) -> int:
    from peninsula.grader.deadlines import grant_extension
    from peninsula.grader.term import day_words

    extension = grant_extension(_course(args), args.assignment, args.student, args.until, args.reason)
    print(f"{args.student} may submit {args.assignment} until {day_words(extension['until'])} "
          f"({extension['reason']}). `peninsula grade {args.assignment}` applies it.")
    return 0


def _waive(args: argparse.Namespace) -> int:
    from peninsula.grader.deadlines import waive_penalty

    waive_penalty(_course(args), args.assignment, args.student, args.reason)
    print(f"{args.student}'s late penalty on {args.assignment} is waived ({args.reason}); "
          f"`peninsula grade {args.assignment}` updates the grades and feedback.")
    return 0


def _regrades(args: argparse.Namespace) -> int:
    from peninsula.grader import regrades

    course, assignment = _course(args), args.assignment
    if args.open:
        target = regrades.open_regrades(course, assignment, lms_zip=args.lms_zip)
        name = regrades.regrade_assignment(assignment)
        print(f"Released {name} (students fetch and submit it like the assignment): {target}")
        return 0
    if args.accept or args.decline:
        student, item = args.accept or args.decline
        credit = args.credit if args.accept else None
        if args.accept and credit is None:
            raise ValueError("--accept needs --credit (the item's new credit, 0 to 1)")
        decided = regrades.decide(course, assignment, student, item, credit, args.reason or "")
        print(f"{student} {item}: {decided['status']}. Run `peninsula grade {assignment}`, then "
              f"`peninsula release-feedback {assignment}`, so the student sees it.")
        return 0
    if not args.no_collect:
        downloads = Path(args.downloads) if args.downloads else None
        new, refused = regrades.collect_requests(course, assignment, downloads)
        print(f"Collected {len(new)} new request(s).")
        for line in refused:
            print(f"  refused: {line}")
    requests = regrades.open_requests(course, assignment)
    print(f"{len(requests)} open regrade request(s) on {assignment}:")
    for request in requests:
        details = regrades.request_details(course, assignment, request)
        print(f"\n{request['student']} {request['item']}: \"{request['reason']}\"\n"
              f"  answer:   {details['answer']} ({details['verdict']})\n"
              f"  key:      {details['key']}; also accepted: {details['accepted']}\n"
              f"  note:     {details['note']}")
    if requests:
        print(f"\nDecide with `peninsula regrades {assignment} --accept STUDENT ITEM --credit 1` "
              f"or `--decline STUDENT ITEM --reason \"...\"`.")
    return 0


def _debrief(args: argparse.Namespace) -> int:
    from peninsula.grader.debrief import write_debrief

    target = write_debrief(_course(args), args.assignment, released_on_lms=args.released_on_lms)
    print(f"Debrief for students (offline page, no names; the one release of the key's reasons): {target}")
    return 0


STUDENT, TERM, MAINTENANCE = "for students", "the instructor's term", "course maintenance"


@dataclass(frozen=True)
class Command:
    group: str
    summary: str
    run: Callable[[argparse.Namespace], int]
    reads_course: bool = True


COMMANDS: dict[str, Command] = {
    "texts": Command(
        STUDENT, "list the commentaries, or print one with its paragraph ids", _show_text, False
    ),
    "release": Command(TERM, "generate the student version, check it for leaks, and publish it", _release),
    "collect": Command(TERM, "collect submissions from the exchange, or from LMS downloads", _collect),
    "grade": Command(TERM, "autograde, write feedback and grades, and show each student's status", _grade),
    "release-feedback": Command(
        TERM, "send feedback to the students whose grading is settled", _release_feedback
    ),
    "report": Command(
        TERM, "write a class analytics page: scores, item difficulty, actor confusion", _report
    ),
    "integrity": Command(
        TERM, "list submissions worth a second look: identical files, shared errors", _integrity
    ),
    "export-codings": Command(TERM, "write the class's codings, anonymised, for Lesson 5", _export_codings),
    "export-grades": Command(
        TERM, "write grades as the CSV a Canvas or Moodle gradebook imports", _export_grades
    ),
    "check": Command(MAINTENANCE, "validate the texts, codebook, positions and answer key", _check),
    "build-assignments": Command(
        MAINTENANCE, "write the graded assignments' notebooks from the answer key", _build_assignments
    ),
    "demo-class": Command(
        MAINTENANCE, "make a synthetic class in submitted/ to rehearse the cycle", _demo_class
    ),
    "export-charts": Command(
        MAINTENANCE, "save every chart as SVG or PNG for handouts", _export_charts, False
    ),
    "due": Command(
        TERM, "set an assignment's due date (in the gradebook, where the Formgrader shows it)", _due
    ),
    "extend": Command(TERM, "give one student an extension, with its reason", _extend),
    "waive": Command(TERM, "waive one student's late penalty, with its reason", _waive),
    "regrades": Command(TERM, "collect and list regrade requests; accept or decline one", _regrades),
    "debrief": Command(
        TERM, "write the students' debrief page, once every student's feedback is out", _debrief
    ),
}


def _grouped_commands() -> str:
    """The commands listed by who uses them, for --help."""
    width = max(map(len, COMMANDS)) + 2
    lines = []
    for group in (STUDENT, TERM, MAINTENANCE):
        lines.append(f"{group[0].upper()}{group[1:]}:")
        lines += [f"  {name:<{width}}{c.summary}" for name, c in COMMANDS.items() if c.group == group]
        lines.append("")
    return "\n".join(lines) + "Run `peninsula COMMAND --help` for a command's options."


def _unknown_command(argv: Sequence[str]) -> str | None:
    """A message for a mistyped command, naming the nearest ones; None when the command exists."""
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is None or first in COMMANDS:
        return None
    nearest = difflib.get_close_matches(first, COMMANDS, n=2, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(n) for n in nearest)}?" if nearest else ""
    return f"peninsula: there is no command {first!r}.{hint} `peninsula --help` lists them all."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peninsula",
        description="Course kit for close reading Trivedi (PacNet #28, 2018) and Cronin (2019).",
        epilog=_grouped_commands(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", help=argparse.SUPPRESS)
    for name, command in COMMANDS.items():
        sub = commands.add_parser(name, help=command.summary, description=command.summary)
        if command.reads_course:
            sub.add_argument("--course", help="the course folder (default: the one this runs in)")
    commands.choices["texts"].add_argument("text", nargs="?", help="trivedi or cronin")
    export = commands.choices["export-charts"]
    export.add_argument("--format", choices=["svg", "png"], default="svg", help="file format (default: svg)")
    export.add_argument("--out", default="exports", help="folder to write to (default: exports/)")
    for name in (
        "release",
        "collect",
        "grade",
        "release-feedback",
        "report",
        "demo-class",
        "integrity",
        "export-codings",
        "export-grades",
        "due",
        "extend",
        "waive",
        "regrades",
        "debrief",
    ):
        command = commands.choices[name]
        command.add_argument("assignment", help="an assignment's id, as in course/assignments.yaml")
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
    _term_arguments(commands.choices)
    return parser


def _term_arguments(choices: dict[str, argparse.ArgumentParser]) -> None:
    choices["due"].add_argument("date", help='"2026-09-14 17:00" (UTC) or "2026-09-14 17:00 Europe/London"')
    for name in ("extend", "waive"):
        choices[name].add_argument("student", help="the student's id")
        choices[name].add_argument("--reason", required=True, help="why (kept with the decision)")
    choices["extend"].add_argument("--until", required=True, help="the new deadline, like the due date")
    regrades = choices["regrades"]
    regrades.add_argument("--open", action="store_true", help="write and release <assignment>-regrade")
    regrades.add_argument("--lms-zip", action="store_true", help="with --open: a zip for an LMS instead")
    regrades.add_argument("--from", dest="downloads", help="regrade notebooks downloaded from an LMS")
    regrades.add_argument("--no-collect", action="store_true", help="only list the recorded open requests")
    regrades.add_argument("--accept", nargs=2, metavar=("STUDENT", "ITEM"), help="accept a request")
    regrades.add_argument("--decline", nargs=2, metavar=("STUDENT", "ITEM"), help="decline a request")
    regrades.add_argument("--credit", type=float, help="with --accept: the item's new credit, 0 to 1")
    regrades.add_argument("--reason", help="why (required to decline; the student reads it)")
    choices["debrief"].add_argument(
        "--released-on-lms", action="store_true", help="feedback went out through the LMS, not the exchange"
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if message := _unknown_command(argv):
        print(message, file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    try:
        return COMMANDS[args.command].run(args)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in GRADER_SIDE:
            raise
        print(f"peninsula {args.command}: {error.name} is not installed: this command is on the grader's "
              "side. Install it with: pip install 'peninsula[grader]'", file=sys.stderr)
        return 2
    except (KeyError, ValueError, FileNotFoundError, PipelineError) as error:
        message = error.args[0] if isinstance(error, KeyError) else error
        print(f"peninsula {args.command}: {message}", file=sys.stderr)
        return 2
