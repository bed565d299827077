"""`peninsula grade`: autograde what is new, write feedback, and account for everyone.

nbgrader does the grading; the kit's own steps (`autograde.configure`) compute every score in this
process from the answer cells' text. No student code runs for an assignment the kit scores
entirely from text; one with an instructor's own code-graded cells runs each notebook in the
bubblewrap sandbox (`execution`), and the status table says which way each was graded. Around it, this
module adds what a term needs: a status for every student, a progress bar, parallel workers,
feedback that carries nothing but the graded page (scanned for key material), and a check after
every student that the key and the source notebooks are byte-for-byte what they were.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from peninsula.grader import atomic
from peninsula.grader.collect import submitted_students
from peninsula.grader.course import Course, PipelineError
from peninsula.grader.grade_failures import caught_failures, failure_reason, grade_log
from peninsula.grader.statuses import (
    CSV_COLUMNS,
    FAILED,
    GRADED,
    MISSING,
    NEEDS_MANUAL,
    STATUSES,
    StudentResult,
)

UNSANDBOXED = "UNSANDBOXED: student code could read and change the course"

# nbgrader's own files beside a feedback page: release_feedback reads them, students never get them.
NBGRADER_FEEDBACK_FILES = {"timestamp.txt", "submission_secret.txt"}


def _timestamp(folder: Path) -> str | None:
    stamp = folder / "timestamp.txt"
    return stamp.read_text().strip() if stamp.exists() else None


def needs_autograde(course: Course, assignment: str, student: str) -> bool:
    """New or resubmitted since the last autograde. Re-autograding an unchanged submission would
    flag its manual grades for review again, so an unchanged one is left alone. Unless its done
    marker says otherwise (atomic.py), a folder may be a killed run's half-written work."""
    autograded = course.folder("autograded", student, assignment)
    submitted = course.folder("submitted", student, assignment)
    done = atomic.is_done(atomic.done_marker(course.folder("autograded"), student, assignment), submitted)
    return not done or not autograded.is_dir() or _timestamp(autograded) != _timestamp(submitted)


def interrupted(course: Course, assignment: str, student: str) -> bool:
    """A graded folder for this very submission, and no marker at all: a killed run's work."""
    autograded = course.folder("autograded", student, assignment)
    submitted = course.folder("submitted", student, assignment)
    marker = atomic.done_marker(course.folder("autograded"), student, assignment)
    return autograded.is_dir() and _timestamp(autograded) == _timestamp(submitted) and not marker.exists()


@contextlib.contextmanager
def _output_to_log(log: Path) -> Iterator[object]:
    """Kernels and nbgrader write to file descriptor 2; send it to the log and yield a stream
    on the real terminal, so the progress bar stays readable."""
    log.parent.mkdir(exist_ok=True)
    sys.stderr.flush()
    terminal_fd = os.dup(2)
    with log.open("a", encoding="utf-8") as handle, os.fdopen(os.dup(terminal_fd), "w") as terminal:
        os.dup2(handle.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stderr.flush()
            os.dup2(terminal_fd, 2)
            os.close(terminal_fd)


class Tampering(PipelineError):
    """A protected file changed while a student's work was being graded."""


def protected_files(course: Course, assignment: str) -> list[Path]:
    """What no submission may change: the key, the course config and the assignment's sources."""
    return [
        course.key_file,
        course.root / "nbgrader_config.py",
        *sorted((course.source / assignment).rglob("*")),
    ]


def fingerprint(paths: Iterable[Path]) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


def check_untouched(expected: dict[Path, str], course: Course, assignment: str, student: str) -> None:
    now = fingerprint(protected_files(course, assignment))
    changed = sorted(str(p.relative_to(course.root)) for p in expected.keys() | now.keys()
                     if expected.get(p) != now.get(p))
    if changed:
        raise Tampering(
            f"{', '.join(changed)} changed while {student}'s submission was being graded; grading stopped. "
            f"Restore the file(s) (e.g. from git) and look at {student}'s notebook before grading again."
        )


def grade(
    course: Course, assignment: str, show_progress: bool = False, jobs: int = 1, sandbox: bool = True
) -> list[StudentResult]:
    """Autograde what is new, generate feedback, and return every student's status. nbgrader's and
    the kernels' messages go to exports/<assignment>-grade.log.

    With `jobs` > 1, students are graded in that many worker processes, each with its own
    gradebook connection; every student is still graded exactly once. Without `sandbox`, every
    row whose notebook ran says so."""
    from peninsula.grader.execution import SANDBOX, ExecuteWhereNeeded

    if jobs < 1:
        raise PipelineError(f"--jobs must be 1 or more, not {jobs}")
    notebooks = course.notebooks(assignment)
    api = grading_api(course, sandbox)  # opens (and if need be creates) the gradebook before any worker
    if sandbox and ExecuteWhereNeeded(config=api.config).how(assignment) == SANDBOX:
        from peninsula.grader.sandbox import SandboxUnavailable, preflight

        try:
            preflight()
        except SandboxUnavailable as error:
            raise PipelineError(str(error)) from None
    submitted = submitted_students(course, assignment)
    everyone = sorted(set(roster_ids(api)) | set(submitted))
    results = {s: StudentResult(s, MISSING, reason="no submission") for s in everyone if s not in submitted}
    results |= refused_ids(submitted)  # an id a page would show as HTML is never graded
    submitted = [s for s in submitted if s not in results]
    expected = fingerprint(protected_files(course, assignment))
    log = grade_log(course, assignment)
    redone = {s for s in submitted if interrupted(course, assignment, s)}
    with _output_to_log(log) as terminal, _faults_explained():
        report = progress_bar(terminal) if show_progress else None

        def record(result: StudentResult) -> None:
            check_untouched(expected, course, assignment, result.student_id)
            if not sandbox and result.how == SANDBOX:
                result = replace(result, reason=_join(UNSANDBOXED, result.reason))
            if result.student_id in redone:
                result = replace(result, reason=_join(atomic.INTERRUPTED, result.reason))
            results[result.student_id] = result
            if report:
                report(len(results), len(everyone), result.student_id, result.status)

        if jobs == 1:
            for student in submitted:
                record(_grade_one(course, api, assignment, student, notebooks, log))
        else:
            from concurrent.futures import ProcessPoolExecutor, as_completed

            from peninsula.grader.gradebook_engine import forget_engines

            # The platform's own start method: on Linux a fork, so a worker starts with the parent's
            # imports (a second each), and forgets the parent's database engines first.
            with ProcessPoolExecutor(jobs, initializer=forget_engines) as pool:
                futures = [
                    pool.submit(
                        _grade_in_worker, str(course.root), sandbox, assignment, s, notebooks, str(log)
                    )
                    for s in submitted
                ]
                try:
                    for future in as_completed(futures):
                        record(future.result())
                except Tampering:
                    for future in futures:
                        future.cancel()
                    raise
    from peninsula.grader.grade_term import with_lateness  # the term: lateness, penalties, regrades

    with _faults_explained():  # it reads the gradebook too
        return with_lateness(course, assignment, [results[s] for s in everyone])


def refused_ids(submitted: list[str]) -> dict[str, StudentResult]:
    """Submission folders whose name is not a plain student id: not graded, and never in the gradebook."""
    from peninsula.grader.sanitize import is_plain_id

    reason = "the submission's folder name is not a plain student id (letters, digits, . _ @ -); not graded"
    return {s: StudentResult(s, FAILED, reason=reason) for s in submitted if not is_plain_id(s)}


@contextlib.contextmanager
def _faults_explained() -> Iterator[None]:
    """A full disk or a gradebook that stopped answering ends the run with words, not a traceback."""
    try:
        yield
    except Exception as error:
        cause = error.__cause__ or error
        if atomic.is_disk_full(error) or atomic.is_disk_full(cause) or "disk is full" in str(error):
            raise PipelineError(f"the disk is full ({error}); grading stopped. Free space, then rerun: "
                                f"{atomic.RERUN_IS_SAFE}") from None
        if atomic.is_database_down(error) or atomic.is_database_down(cause):
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise PipelineError(f"the gradebook stopped answering ({first_line}); grading stopped. "
                                f"When it is back, rerun: {atomic.RERUN_IS_SAFE}") from None
        raise


def grading_api(course: Course, sandbox: bool):
    """nbgrader's API with the kit's grading steps, whatever the course's config file says."""
    from peninsula.grader.autograde import configure

    api = course.api()
    configure(api.config, sandbox)
    return api


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


@functools.cache
def _worker_api(root: str, sandbox: bool):
    return grading_api(Course(Path(root)), sandbox)


def _grade_in_worker(
    root: str, sandbox: bool, assignment: str, student: str, notebooks: list[str], log: str
) -> StudentResult:
    course = Course(Path(root))
    return _grade_one(course, _worker_api(root, sandbox), assignment, student, notebooks, Path(log))


def _log_outcome(log_file: Path, step: str, assignment: str, student: str, outcome: dict) -> None:
    """Append what an nbgrader step said to the assignment's grade log."""
    said = outcome.get("log", "") + outcome.get("error", "")
    with log_file.open("a", encoding="utf-8") as handle:
        handle.write(f"===== {step} {assignment} for {student}\n{said}\n")


def _grade_one(
    course: Course, api, assignment: str, student: str, notebooks: list[str], log_file: Path
) -> StudentResult:
    errors: list[BaseException] = []
    marker = atomic.done_marker(course.folder("autograded"), student, assignment)
    submitted = course.folder("submitted", student, assignment)
    autograde_again = needs_autograde(course, assignment, student)
    atomic.mark_started(marker)  # from here on, this student's pages are not to be trusted
    if autograde_again:
        with caught_failures(api) as errors:
            outcome = api.autograde(assignment, student, force=True, create=True)
        _log_outcome(log_file, "autograde", assignment, student, outcome)
    graded_copies = [course.folder("autograded", student, assignment, n) for n in notebooks]
    if not all(p.exists() for p in graded_copies):
        reason = failure_reason(course, assignment, student, errors, notebooks)
        atomic.mark_failed(marker, submitted)
        return StudentResult(student, FAILED, reason=reason)
    notes = grading_notes(course, assignment, student, notebooks)
    from peninsula.grader.grade_term import annotate_feedback, settle_term

    settle_term(course, api, assignment, student)  # accepted regrades and the late penalty, in the gradebook
    outcome = api.generate_feedback(assignment, student, force=True)
    if not outcome.get("success", False):
        _log_outcome(log_file, "generate_feedback", assignment, student, outcome)
    annotate_feedback(course, assignment, student)  # due date, extension and regrades, in words
    withheld = screen_feedback(course, assignment, student, notebooks)
    pages = course.folder("feedback", student, assignment)
    unwritten = [
        p for n in notebooks if (p := f"{Path(n).stem}.html") not in withheld and not (pages / p).exists()
    ]
    with api.gradebook as gradebook:
        submission = gradebook.find_submission(assignment, student)
        score, max_score, manual = submission.score, submission.max_score, submission.needs_manual_grade
    details = grade_log(course, assignment).relative_to(course.root)
    reason = _join(
        *notes.reasons,
        f"feedback withheld, it holds key material: {', '.join(withheld)}" if withheld else "",
        f"no feedback page was written for {', '.join(unwritten)} (details: {details})" if unwritten else "",
        "open it in the Formgrader" if manual else "",
    )
    atomic.mark_done(marker, submitted)  # last: the graded copy, rows and feedback are all written
    status = NEEDS_MANUAL if manual else GRADED
    return StudentResult(student, status, round(score, 2), max_score, reason, notes.how)


@dataclass
class GradingNotes:
    """What the kit's grading steps noted in a graded notebook (`execution.NOTES`), read on every
    run, so a rerun that grades nothing again reports the same reasons."""

    how: str = ""
    reasons: tuple[str, ...] = ()


def grading_notes(course: Course, assignment: str, student: str, notebooks: list[str]) -> GradingNotes:
    from peninsula.grader.execution import NOTES

    hows, reasons = [], []
    for name in notebooks:
        notes = _autograded(course, assignment, student, name).get("metadata", {}).get(NOTES, {})
        where = f"{name}: " if len(notebooks) > 1 else ""
        hows.append(notes.get("graded", ""))
        known = _source_ids(course.source / assignment / name)  # a student's own ids are never echoed
        for grade_id, numbers in sorted(notes.get("copies", {}).items()):
            cells = ", ".join(map(str, numbers))
            which = f"cell {grade_id!r}" if grade_id in known else "a cell the assignment does not have"
            reasons.append(f"{where}{which} appears {len(numbers)} times (cells {cells}): "
                           f"graded cell {numbers[0]}, the first")
        if notes.get("restored"):
            reasons.append(f"{where}deleted cell(s) put back and graded 0: {', '.join(notes['restored'])}")
    return GradingNotes(" / ".join(sorted(set(hows) - {""})), tuple(reasons))


def _source_ids(source: Path) -> set[str]:
    cells = json.loads(source.read_text(encoding="utf-8"))["cells"] if source.is_file() else []
    return {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells} - {None}


def _autograded(course: Course, assignment: str, student: str, name: str) -> dict:
    return json.loads(course.folder("autograded", student, assignment, name).read_text(encoding="utf-8"))


def screen_feedback(course: Course, assignment: str, student: str, notebooks: list[str]) -> list[str]:
    """Keep only the graded notebooks' pages in feedback/ (nbgrader also copies every file the
    submission's folder holds), and withhold any page that holds key material. Returns the withheld."""
    from peninsula.grader.leaks import leaks_in_files

    folder = course.folder("feedback", student, assignment)
    pages = {f"{Path(n).stem}.html" for n in notebooks}
    for path in sorted(folder.rglob("*"), reverse=True):
        relative = path.relative_to(folder).as_posix()
        if path.is_dir():
            with contextlib.suppress(OSError):
                path.rmdir()
        elif relative not in pages and relative not in NBGRADER_FEEDBACK_FILES:
            path.unlink()
    typed = typed_ids(course, assignment, student, notebooks)
    found = leaks_in_files(folder.glob("*.html"), assignment_material=True, key_file=course.key_file)
    # What the student typed in their own answer cell is theirs to see again, right or wrong.
    leaks = [path for path, what in found.items() if any(w.split(" ", 1)[0] not in typed for w in what)]
    for path in leaks:
        path.unlink()
    return sorted(p.name for p in leaks)


def typed_ids(course: Course, assignment: str, student: str, notebooks: list[str]) -> set[str]:
    """The item ids the student typed something for in their answer cells, readable or not."""
    from peninsula.answer_cell import read_notebook_answers

    typed = set()
    for name in notebooks:
        typed |= read_notebook_answers(course.folder("autograded", student, assignment, name)).typed
    return typed


def roster_ids(api) -> list[str]:
    with api.gradebook as gradebook:
        return sorted(student.id for student in gradebook.students)


def write_grades(course: Course, assignment: str, results: Iterable[StudentResult]) -> Path:
    """One row per student, with a status column (a failed or missing submission is never a plain 0).
    Rewritten whole on every run, so re-running never duplicates rows."""
    from peninsula.grader.deadlines import TERM_COLUMNS, term_cells
    from peninsula.grader.spreadsheet import safe_row  # no cell runs as a formula

    target = course.folder("exports", f"{assignment}-grades.csv")
    handle = io.StringIO(newline="")
    writer = csv.writer(handle)
    writer.writerow([*CSV_COLUMNS, *TERM_COLUMNS])
    for r in results:
        score, max_score = _blank(r.score), _blank(r.max_score)
        row = [r.student_id, assignment, r.status, score, max_score, r.reason, *term_cells(r)]
        writer.writerow(safe_row(row))
    atomic.write_atomic(target, handle.getvalue())  # a killed run leaves the last whole CSV
    return target


def _blank(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def status_table(results: list[StudentResult]) -> str:
    """A fixed-width table for the terminal, with a count per status and how the submissions were
    graded at the end."""
    width = max([len("student"), *(len(r.student_id) for r in results)])
    lines = [f"{'student':<{width}}  {'status':<21}  {'score':>11}  note", "-" * (width + 50)]
    for r in results:
        score = f"{r.score:g}/{r.max_score:g}" if r.score is not None else "—"
        lines.append(f"{r.student_id:<{width}}  {r.status:<21}  {score:>11}  {r.reason}")
    counts = {s: sum(r.status == s for r in results) for s in STATUSES}
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items()) + f" ({len(results)} students)")
    hows = {how: sum(r.how == how for r in results) for how in sorted({r.how for r in results} - {""})}
    lines += [f"{n} submission(s) graded {how}" for how, n in hows.items()]
    return "\n".join(lines)


def progress_bar(stream) -> Callable[[int, int, str, str], None]:
    """A one-line progress bar on a terminal; one line per student elsewhere (logs, CI)."""
    interactive = stream.isatty() and os.environ.get("TERM") != "dumb"

    def show(done: int, total: int, student: str, status: str) -> None:
        filled = round(30 * done / total)
        line = f"[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {student}: {status}"
        stream.write(("\r\033[K" + line) if interactive else line + "\n")
        if interactive and done == total:
            stream.write("\n")
        stream.flush()

    return show
