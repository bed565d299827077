"""`peninsula collect`: the students' work back in, from a hub's exchange or an LMS download.

The exchange is read through the kit's exchange class, which checks who owns each submission; an LMS
download is taken as regular files within the kit's caps, matched to students by file name. Grading
is `peninsula.grader.grade`.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from peninsula.grader.course import Course, PipelineError


@dataclass
class Collected:
    students: list[str]
    unmatched: list[str]
    refused: list[str] = field(default_factory=list)  # what was not taken, and why


def collect(course: Course, assignment: str, downloads: Path | None = None) -> Collected:
    """Hub path (no `downloads`): collect from the exchange, resubmissions included, through the
    kit's exchange class (peninsula.grader.exchange), which checks who owns each submission.
    LMS path: import a folder or zip of downloaded submissions through nbgrader's zip_collect."""
    notebooks = course.notebooks(assignment)
    if downloads is None:
        return _exchange_collect(course, assignment)
    return _zip_collect(course, assignment, Path(downloads), notebooks)


def _exchange_collect(course: Course, assignment: str) -> Collected:
    from nbgrader.utils import capture_log, temp_attrs

    from peninsula.grader.exchange import use_kit_exchange

    api = course.api()
    use_kit_exchange(api)
    with temp_attrs(api.coursedir, assignment_id=assignment):
        app = api.exchange.Collect(coursedir=api.coursedir, authenticator=api.authenticator, parent=api)
        app.update = True
        result = capture_log(app)
    if not result["success"]:
        raise PipelineError(f"nbgrader collect failed:\n{result.get('log', '')}")
    refused = [str(note) for note in app.notes if note.needs_attention]
    return Collected(submitted_students(course, assignment), [], refused)


def _zip_collect(course: Course, assignment: str, downloads: Path, notebooks: list[str]) -> Collected:
    from peninsula.grader.lms import match_submission

    if not downloads.exists():
        raise PipelineError(f"{downloads}: no such file or folder of downloaded submissions")
    staging = course.folder("downloaded", assignment)
    shutil.rmtree(staging, ignore_errors=True)
    archive = staging / "archive"
    archive.mkdir(parents=True)
    refused = copy_downloads(downloads, archive)
    # nbgrader extracts a zip into a folder named after it; names are read relative to that.
    extracted = staging / "extracted" / (downloads.stem if downloads.is_file() else "")
    result = course.nbgrader(
        "zip_collect", assignment, "--force",
        "--ZipCollectApp.collector_plugin=peninsula.grader.lms.LmsCollector",
        f"--LmsCollector.notebooks={','.join(notebooks)}",
        f"--LmsCollector.extracted={extracted}",
    )
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
            )
            unmatched.append(f"{relative} ({why})")
    return Collected(sorted(students), unmatched, refused)


def copy_downloads(downloads: Path, archive: Path) -> list[str]:
    """Copy an LMS download into nbgrader's archive folder: regular files only, each within the
    kit's caps (a zip is rewritten entry by entry, so nothing oversized is ever extracted).
    Returns what was left out and why."""
    from peninsula.grader.submission_files import Limits, copy_regular_tree, megabytes

    limits = Limits()
    if downloads.is_dir():
        return copy_regular_tree(downloads, archive, limits)
    if not zipfile.is_zipfile(downloads):
        shutil.copy(downloads, archive)
        return []
    refused = []
    with zipfile.ZipFile(downloads) as source, zipfile.ZipFile(archive / downloads.name, "w") as target:
        for entry in source.infolist():
            if entry.is_dir():
                continue
            cap = limits.cap_for(entry.filename)[0]
            if entry.file_size > cap:
                refused.append(
                    f"{entry.filename}: {megabytes(entry.file_size)}, over the {megabytes(cap)} cap"
                )
                continue
            with source.open(entry) as member:
                data = member.read(cap + 1)
            if len(data) > cap:
                refused.append(f"{entry.filename}: over the {megabytes(cap)} cap once unpacked")
                continue
            target.writestr(entry.filename, data, zipfile.ZIP_DEFLATED)
    return refused


def submitted_students(course: Course, assignment: str) -> list[str]:
    submitted = course.folder("submitted")
    if not submitted.is_dir():
        return []
    return sorted(p.name for p in submitted.iterdir() if (p / assignment).is_dir())
