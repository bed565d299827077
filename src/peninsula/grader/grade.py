"""`peninsula grade`: autograde what is new in the sandbox, write feedback, and account for everyone.

nbgrader does the grading; the kit's own steps (`autograde.configure`) compute every score in this
process from the answer cells' text, and run each kernel in the bubblewrap sandbox. Around it, this
module adds what a term needs: a status for every student, a progress bar, parallel workers,
feedback that carries nothing but the graded page (scanned for key material), and a check after
every student that the key and the source notebooks are byte-for-byte what they were.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from peninsula.grader import atomic
from peninsula.grader.course import Course, PipelineError
from peninsula.grader.pipeline import submitted_students

GRADED = "graded"
NEEDS_MANUAL = "needs manual grading"
FAILED = "failed"
MISSING = "missing"
UNSANDBOXED = "UNSANDBOXED: student code could read and change the course"

# nbgrader's own files beside a feedback page: release_feedback reads them, students never get them.
NBGRADER_FEEDBACK_FILES = {"timestamp.txt", "submission_secret.txt"}
CSV_COLUMNS = ["student_id", "assignment", "status", "score", "max_score", "reason"]


@dataclass
class StudentResult:
    student_id: str
    status: str
    score: float | None = None
    max_score: float | None = None
    reason: str = ""


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


def failure_reason(course: Course, assignment: str, student: str, log: str, notebooks: list[str]) -> str:
    """Why a submission has no graded copy, in words an instructor can act on."""
    submitted = course.folder("submitted", student, assignment)
    present = sorted(p.name for p in submitted.glob("*.ipynb"))
    missing = [n for n in notebooks if n not in present]
    if missing:
        extra = [p for p in present if p not in notebooks]
        renamed = f"; found {', '.join(extra)} instead (renamed?)" if extra else ""
        return f"notebook {', '.join(missing)} not submitted{renamed}"
    lowered = log.lower()
    for clue, reason in [
        ("notjsonerror", "the notebook file is not valid JSON"),
        ("not valid json", "the notebook file is not valid JSON"),
        ("unreadable", "the notebook file could not be read"),
        ("kernel died", "the kernel died while running it"),
        ("timeout", "a cell ran past the time limit"),
    ]:
        if clue in lowered:
            return reason
    errors = [line for line in log.splitlines() if "Error" in line and "Please see" not in line]
    details = grade_log(course, assignment).relative_to(course.root)
    return (errors[-1].strip() if errors else "autograde failed")[:200] + f" (details: {details})"


def grade_log(course: Course, assignment: str) -> Path:
    return course.folder("exports", f"{assignment}-grade.log")


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
                     if expected.get(p) != now.get(p))  # fmt: skip
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
    row says so."""
    if jobs < 1:
        raise PipelineError(f"--jobs must be 1 or more, not {jobs}")
    if sandbox:
        from peninsula.grader.sandbox import SandboxUnavailable, preflight

        try:
            preflight()
        except SandboxUnavailable as error:
            raise PipelineError(str(error)) from None
    notebooks = course.notebooks(assignment)
    api = grading_api(
        course, sandbox
    )  # opens (and if need be creates) the gradebook before any worker starts
    submitted = submitted_students(course, assignment)
    everyone = sorted(set(roster_ids(api)) | set(submitted))
    results = {s: StudentResult(s, MISSING, reason="no submission") for s in everyone if s not in submitted}
    expected = fingerprint(protected_files(course, assignment))
    log = grade_log(course, assignment)
    redone = {s for s in submitted if interrupted(course, assignment, s)}
    with _output_to_log(log) as terminal, _faults_explained():
        report = progress_bar(terminal) if show_progress else None

        def record(result: StudentResult) -> None:
            check_untouched(expected, course, assignment, result.student_id)
            if result.student_id in redone:
                result = replace(result, reason=_join(atomic.INTERRUPTED, result.reason))
            results[result.student_id] = (
                result if sandbox else replace(result, reason=_join(UNSANDBOXED, result.reason))
            )
            if report:
                report(len(results), len(everyone), result.student_id, result.status)

        if jobs == 1:
            for student in submitted:
                record(_grade_one(course, api, assignment, student, notebooks, log))
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            # "spawn": a forked worker would share the parent's open database connection.
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(jobs, mp_context=context) as pool:
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
    return [results[s] for s in everyone]


@contextlib.contextmanager
def _faults_explained() -> Iterator[None]:
    """A full disk or a gradebook that stopped answering ends the run with words, not a traceback."""
    try:
        yield
    except Exception as error:
        cause = error.__cause__ or error
        if atomic.is_disk_full(error) or atomic.is_disk_full(cause) or "disk is full" in str(error):
            raise PipelineError(f"the disk is full ({error}); grading stopped. Free space, then rerun: "
                                f"{atomic.RERUN_IS_SAFE}") from None  # fmt: skip
        if atomic.is_database_down(error) or atomic.is_database_down(cause):
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise PipelineError(f"the gradebook stopped answering ({first_line}); grading stopped. "
                                f"When it is back, rerun: {atomic.RERUN_IS_SAFE}") from None  # fmt: skip
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


def _log_outcome(log_file: Path, step: str, assignment: str, student: str, outcome: dict) -> str:
    """Append what an nbgrader step said to the assignment's grade log; returns it."""
    said = outcome.get("log", "") + outcome.get("error", "")
    with log_file.open("a", encoding="utf-8") as handle:
        handle.write(f"===== {step} {assignment} for {student}\n{said}\n")
    return said


def _grade_one(
    course: Course, api, assignment: str, student: str, notebooks: list[str], log_file: Path
) -> StudentResult:
    from peninsula.grader.autograde import RESTORED_LOG

    log = ""
    marker = atomic.done_marker(course.folder("autograded"), student, assignment)
    submitted = course.folder("submitted", student, assignment)
    autograde_again = needs_autograde(course, assignment, student)
    atomic.mark_started(marker)  # from here on, this student's pages are not to be trusted
    if autograde_again:
        outcome = api.autograde(assignment, student, force=True, create=True)
        log = _log_outcome(log_file, "autograde", assignment, student, outcome)
    graded_copies = [course.folder("autograded", student, assignment, n) for n in notebooks]
    if not all(p.exists() for p in graded_copies):
        reason = failure_reason(course, assignment, student, log, notebooks)
        atomic.mark_failed(marker, submitted)
        return StudentResult(student, FAILED, reason=reason)
    restored = [
        line.split(f"{RESTORED_LOG}:", 1)[1].strip() for line in log.splitlines() if RESTORED_LOG in line
    ]
    outcome = api.generate_feedback(assignment, student, force=True)
    if not outcome.get("success", False):
        _log_outcome(log_file, "generate_feedback", assignment, student, outcome)
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
        f"deleted cell(s) put back and graded 0: {', '.join(restored)}" if restored else "",
        f"feedback withheld, it holds key material: {', '.join(withheld)}" if withheld else "",
        f"no feedback page was written for {', '.join(unwritten)} (details: {details})" if unwritten else "",
        "open it in the Formgrader" if manual else "",
    )
    atomic.mark_done(marker, submitted)  # last: the graded copy, rows and feedback are all written
    return StudentResult(student, NEEDS_MANUAL if manual else GRADED, round(score, 2), max_score, reason)


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
    import json

    from peninsula.answers import ANSWER_CELL_ID, ITEM_LINE

    typed = set()
    for name in notebooks:
        notebook = json.loads(
            course.folder("autograded", student, assignment, name).read_text(encoding="utf-8")
        )
        for cell in notebook["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == ANSWER_CELL_ID:
                lines = "".join(cell["source"]).splitlines()
                typed |= {
                    m["id"] for m in map(ITEM_LINE.match, lines) if m and m["value"].strip(" ,") != '""'
                }
    return typed


def roster_ids(api) -> list[str]:
    with api.gradebook as gradebook:
        return sorted(student.id for student in gradebook.students)


def write_grades(course: Course, assignment: str, results: Iterable[StudentResult]) -> Path:
    """One row per student, with a status column (a failed or missing submission is never a plain 0).
    Rewritten whole on every run, so re-running never duplicates rows."""
    import io

    target = course.folder("exports", f"{assignment}-grades.csv")
    handle = io.StringIO(newline="")
    writer = csv.writer(handle)
    writer.writerow(CSV_COLUMNS)
    for r in results:
        score, max_score = _blank(r.score), _blank(r.max_score)
        writer.writerow([r.student_id, assignment, r.status, score, max_score, r.reason])
    atomic.write_atomic(target, handle.getvalue())  # a killed run leaves the last whole CSV
    return target


def _blank(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def status_table(results: list[StudentResult]) -> str:
    """A fixed-width table for the terminal, with a count per status at the end."""
    width = max([len("student"), *(len(r.student_id) for r in results)])
    lines = [f"{'student':<{width}}  {'status':<21}  {'score':>11}  note", "-" * (width + 50)]
    for r in results:
        score = f"{r.score:g}/{r.max_score:g}" if r.score is not None else "—"
        lines.append(f"{r.student_id:<{width}}  {r.status:<21}  {score:>11}  {r.reason}")
    counts = {s: sum(r.status == s for r in results) for s in (GRADED, NEEDS_MANUAL, FAILED, MISSING)}
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items()) + f" ({len(results)} students)")
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
