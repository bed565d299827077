"""The instructor pipeline: release -> collect -> grade (autograde, feedback, grades).

Every step calls nbgrader (its Python API or its command line); nothing here re-implements it.
What the kit adds is what a term needs around it: a leak check before release, LMS file names,
a progress bar, a status for every student, and re-runs that lose nothing.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from peninsula.grader import atomic
from peninsula.grader.course import Course, PipelineError

GRADED = "graded"
NEEDS_MANUAL = "needs manual grading"
FAILED = "failed"
MISSING = "missing"

CSV_COLUMNS = ["student_id", "assignment", "status", "score", "max_score", "reason"]


# ------------------------------------------------------------------------------------------ release


def release(course: Course, assignment: str, lms_zip: bool = False) -> Path:
    """Generate the student version, refuse it if anything from the key leaked, then publish it.

    Returns the exchange folder (hub path) or the zip written for an LMS.
    """
    from peninsula.grader.leaks import leaks_in_files

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
    redone: list[str] = field(default_factory=list)  # partial copies found and copied again


def collect(course: Course, assignment: str, downloads: Path | None = None) -> Collected:
    """Hub path (no `downloads`): collect from the exchange, resubmissions included.
    LMS path: import a folder or zip of downloaded submissions through nbgrader's zip_collect."""
    notebooks = course.notebooks(assignment)
    if downloads is None:
        api = course.api()
        # Partial copies (a killed collect, a submission still being written) are copied again.
        inbound = Path(api.config.Exchange.root) / api.config.CourseDirectory.course_id / "inbound"
        submitted = course.folder("submitted")
        redone = atomic.remove_partial_copies(submitted, assignment, inbound)
        for attempt in range(3):
            result = api.collect(assignment, update=True)
            if not result["success"]:
                raise PipelineError(f"nbgrader collect failed:\n{result.get('log', '')}")
            if attempt == 2 or not atomic.remove_partial_copies(submitted, assignment, inbound):
                break
        return Collected(submitted_students(course, assignment), [], redone)
    return _zip_collect(course, assignment, Path(downloads), notebooks)


def _zip_collect(course: Course, assignment: str, downloads: Path, notebooks: list[str]) -> Collected:
    from peninsula.grader.lms import match_submission

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
        "--ZipCollectApp.collector_plugin=peninsula.grader.lms.LmsCollector",
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
