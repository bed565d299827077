"""The instructor pipeline: release -> collect -> grade (autograde, feedback, grades).

Every step calls nbgrader (its Python API or its command line); nothing here re-implements it.
What the kit adds is what a term needs around it: a leak check before release, LMS file names,
a progress bar, a status for every student, and re-runs that lose nothing.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from peninsula.paths import course_root

GRADED = "graded"
NEEDS_MANUAL = "needs manual grading"
FAILED = "failed"
MISSING = "missing"

CSV_COLUMNS = ["student_id", "assignment", "status", "score", "max_score", "reason"]


class PipelineError(RuntimeError):
    """A step that cannot go on; the message says what to do."""


@dataclass(frozen=True)
class Course:
    """An nbgrader course folder (the repository root by default)."""

    root: Path = field(default_factory=course_root)

    def folder(self, kind: str, *parts: str) -> Path:
        return self.root.joinpath(kind, *parts)

    def notebooks(self, assignment: str) -> list[str]:
        source = self.folder("course", assignment)
        if not source.is_dir():
            known = [p.parent.name for p in sorted(self.folder("course").glob("*/*.ipynb"))]
            raise PipelineError(f"no assignment {assignment!r} in course/; it has: {', '.join(known)}")
        return sorted(p.name for p in source.glob("*.ipynb"))

    def api(self):
        """nbgrader's Python API, configured from this course's nbgrader_config.py."""
        _put_environment_on_path()
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config.loader import PyFileConfigLoader

        config = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        config.CourseDirectory.root = str(self.root)
        coursedir = CourseDirectory(config=config)
        if coursedir.db_url.startswith("sqlite") and "timeout=" not in coursedir.db_url:
            # Parallel graders wait for sqlite's write lock instead of failing after 5 s.
            config.CourseDirectory.db_url = f"{coursedir.db_url}?timeout=120"
            coursedir = CourseDirectory(config=config)
        return NbGraderAPI(coursedir, config=config)

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        """Run the nbgrader command line in the course folder."""
        _put_environment_on_path()
        command = [str(Path(sys.executable).parent / "nbgrader"), *args]
        return subprocess.run(command, cwd=self.root, capture_output=True, text=True)


def _put_environment_on_path() -> None:
    """nbgrader runs `alembic` from PATH when it creates a gradebook, so this environment's bin
    folder must be on PATH even when the kit is run as .venv/bin/peninsula without activating."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])


# ------------------------------------------------------------------------------------------ release


def release(course: Course, assignment: str, lms_zip: bool = False) -> Path:
    """Generate the student version, refuse it if anything from the key leaked, then publish it.

    Returns the exchange folder (hub path) or the zip written for an LMS.
    """
    from peninsula.leaks import leaks_in_files

    course.notebooks(assignment)
    api = course.api()
    generated = api.generate_assignment(assignment)
    if not generated["success"]:
        raise PipelineError(f"nbgrader generate_assignment failed:\n{generated.get('log', '')}")
    released = course.folder("release", assignment)
    leaks = leaks_in_files(released.rglob("*"), assignment_material=True)
    if leaks:
        lines = [f"  {path.relative_to(course.root)}: {', '.join(found)}" for path, found in leaks.items()]
        found = "\n".join(lines)
        raise PipelineError(f"the release contains answer key material; nothing was published:\n{found}")
    if lms_zip:
        target = course.folder("exports", f"{assignment}-release.zip")
        target.parent.mkdir(exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(released.rglob("*")):
                archive.write(path, path.relative_to(released.parent))
        return target
    published = api.release_assignment(assignment)
    if not published["success"]:
        raise PipelineError(f"nbgrader release_assignment failed:\n{published.get('log', '')}")
    config = api.config
    return Path(config.Exchange.root) / config.CourseDirectory.course_id / "outbound" / assignment


# ------------------------------------------------------------------------------------------ collect


@dataclass
class Collected:
    students: list[str]
    unmatched: list[str]


def collect(course: Course, assignment: str, downloads: Path | None = None) -> Collected:
    """Hub path (no `downloads`): collect from the exchange, resubmissions included.
    LMS path: import a folder or zip of downloaded submissions through nbgrader's zip_collect."""
    notebooks = course.notebooks(assignment)
    if downloads is None:
        result = course.api().collect(assignment, update=True)
        if not result["success"]:
            raise PipelineError(f"nbgrader collect failed:\n{result.get('log', '')}")
        return Collected(submitted_students(course, assignment), [])
    return _zip_collect(course, assignment, Path(downloads), notebooks)


def _zip_collect(course: Course, assignment: str, downloads: Path, notebooks: list[str]) -> Collected:
    from peninsula.lms import match_submission

    if not downloads.exists():
        raise PipelineError(f"{downloads}: no such file or folder of downloaded submissions")
    staging = course.folder("downloaded", assignment)
    shutil.rmtree(staging, ignore_errors=True)
    archive = staging / "archive"
    archive.mkdir(parents=True)
    if downloads.is_dir():
        shutil.copytree(downloads, archive, dirs_exist_ok=True)
    else:
        shutil.copy(downloads, archive)
    # nbgrader extracts a zip into a folder named after it; names are read relative to that.
    extracted = staging / "extracted" / (downloads.stem if downloads.is_file() else "")
    result = course.nbgrader(
        "zip_collect", assignment, "--force",
        "--ZipCollectApp.collector_plugin=peninsula.lms.LmsCollector",
        f"--LmsCollector.notebooks={','.join(notebooks)}",
        f"--LmsCollector.extracted={extracted}",
    )  # fmt: skip
    if result.returncode != 0:
        raise PipelineError(f"nbgrader zip_collect failed:\n{result.stderr[-3000:]}")
    students, unmatched = set(), []
    for path in sorted(extracted.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(extracted).as_posix()
        found = match_submission(relative, set(notebooks)) if path.suffix == ".ipynb" else None
        if found and found.notebook:
            students.add(found.student_id)
        else:
            why = "not a notebook" if path.suffix != ".ipynb" else (
                "no student id in the name" if not found else f"not one of {', '.join(notebooks)}"
            )  # fmt: skip
            unmatched.append(f"{relative} ({why})")
    return Collected(sorted(students), unmatched)


def submitted_students(course: Course, assignment: str) -> list[str]:
    submitted = course.folder("submitted")
    if not submitted.is_dir():
        return []
    return sorted(p.name for p in submitted.iterdir() if (p / assignment).is_dir())


# ------------------------------------------------------------------------------------------ grade


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
    flag its manual grades for review again, so an unchanged one is left alone."""
    autograded = course.folder("autograded", student, assignment)
    submitted = course.folder("submitted", student, assignment)
    return not autograded.is_dir() or _timestamp(autograded) != _timestamp(submitted)


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


def grade(course: Course, assignment: str, show_progress: bool = False, jobs: int = 1) -> list[StudentResult]:
    """Autograde what is new, generate feedback (hidden tests cleared), and return every student's
    status. nbgrader's and the kernels' messages go to exports/<assignment>-grade.log.

    With `jobs` > 1, students are graded in that many worker processes, each with its own
    gradebook connection; every student is still graded exactly once."""
    if jobs < 1:
        raise PipelineError(f"--jobs must be 1 or more, not {jobs}")
    notebooks = course.notebooks(assignment)
    api = course.api()  # opens (and if need be creates) the gradebook before any worker starts
    submitted = submitted_students(course, assignment)
    everyone = sorted(set(roster_ids(api)) | set(submitted))
    results = {s: StudentResult(s, MISSING, reason="no submission") for s in everyone if s not in submitted}
    log = grade_log(course, assignment)
    with _output_to_log(log) as terminal:
        report = progress_bar(terminal) if show_progress else None

        def record(result: StudentResult) -> None:
            results[result.student_id] = result
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
                    pool.submit(_grade_in_worker, str(course.root), assignment, s, notebooks, str(log))
                    for s in submitted
                ]
                for future in as_completed(futures):
                    record(future.result())
    return [results[s] for s in everyone]


@functools.cache
def _worker_api(root: str):
    return Course(Path(root)).api()


def _grade_in_worker(
    root: str, assignment: str, student: str, notebooks: list[str], log: str
) -> StudentResult:
    return _grade_one(Course(Path(root)), _worker_api(root), assignment, student, notebooks, Path(log))


def _grade_one(
    course: Course, api, assignment: str, student: str, notebooks: list[str], log_file: Path
) -> StudentResult:
    log = ""
    if needs_autograde(course, assignment, student):
        outcome = api.autograde(assignment, student, force=True, create=True)
        log = outcome.get("log", "") + outcome.get("error", "")
        with log_file.open("a", encoding="utf-8") as handle:
            handle.write(f"===== autograde {assignment} for {student}\n{log}\n")
    graded_copies = [course.folder("autograded", student, assignment, n) for n in notebooks]
    if not all(p.exists() for p in graded_copies):
        reason = failure_reason(course, assignment, student, log, notebooks)
        return StudentResult(student, FAILED, reason=reason)
    api.generate_feedback(assignment, student, force=True)
    with api.gradebook as gradebook:
        submission = gradebook.find_submission(assignment, student)
        score, max_score, manual = submission.score, submission.max_score, submission.needs_manual_grade
    status = NEEDS_MANUAL if manual else GRADED
    reason = "open it in the Formgrader" if manual else ""
    return StudentResult(student, status, round(score, 2), max_score, reason)


def roster_ids(api) -> list[str]:
    with api.gradebook as gradebook:
        return sorted(student.id for student in gradebook.students)


def write_grades(course: Course, assignment: str, results: Iterable[StudentResult]) -> Path:
    """One row per student, with a status column (a failed or missing submission is never a plain 0).
    Rewritten whole on every run, so re-running never duplicates rows."""
    target = course.folder("exports", f"{assignment}-grades.csv")
    target.parent.mkdir(exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for r in results:
            score, max_score = _blank(r.score), _blank(r.max_score)
            writer.writerow([r.student_id, assignment, r.status, score, max_score, r.reason])
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
