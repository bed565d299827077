"""Match the file names that learning management systems give downloaded submissions.

`LmsCollector` plugs into nbgrader's `zip_collect` (its `collector_plugin`), so nbgrader still does
the collecting; this module only reads student ids and notebook names out of the file names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nbgrader.plugins import FileNameCollectorPlugin
from traitlets import Unicode

# Each pattern names the student and the submitted file; tried in order on the path below the
# extracted folder.
PATTERNS = {
    # Canvas: login_[LATE_]userid_submissionid_filename
    "Canvas": re.compile(r"^(?P<student>[A-Za-z0-9.\-]+?)(?:_LATE)?_\d+_\d+_(?P<file>[^/]+)$"),
    # Moodle: "Full Name_12345_assignsubmission_file_filename", or the same as a folder
    "Moodle": re.compile(r"^(?P<student>[^/_]+)_\d+_assignsubmission_file_?(?:/|_)?(?P<file>[^/]+)$"),
    # Blackboard: Assignment_username_attempt_2019-01-30-15-00-00_filename
    "Blackboard": re.compile(
        r"^[^/]*?_(?P<student>[^_/]+)_attempt_(?P<timestamp>\d{4}(?:-\d\d){5})_(?P<file>[^/]+)$"
    ),
    # A folder per student: student/filename
    "folder": re.compile(r"^(?P<student>[^/]+)/(?P<file>[^/]+)$"),
}
# Copies and resubmissions: "notebook-1.ipynb" (Canvas), "notebook (1).ipynb" (browsers).
COPY_SUFFIX = re.compile(r"(?:-\d+| \(\d+\))$")


@dataclass(frozen=True)
class Match:
    student_id: str
    notebook: str | None  # None: a notebook that is not one of the assignment's
    timestamp: str | None
    system: str


def student_id_from(name: str) -> str:
    """A plain student id: lower case, spaces and dots as underscores ("Ada Lovelace" -> ada_lovelace)."""
    return re.sub(r"[^a-z0-9_\-]+", "_", name.strip().lower()).strip("_")


def match_submission(relative_path: str, notebooks: set[str]) -> Match | None:
    """Who submitted this file, and which of the assignment's notebooks it is (None if no pattern fits)."""
    for system, pattern in PATTERNS.items():
        found = pattern.match(relative_path)
        if found:
            stem = COPY_SUFFIX.sub("", Path(found["file"]).stem)
            notebook = f"{stem}.ipynb" if f"{stem}.ipynb" in notebooks else None
            timestamp = found.groupdict().get("timestamp")
            if timestamp:
                day, clock = timestamp[:10], timestamp[11:].replace("-", ":")
                timestamp = f"{day} {clock}"
            return Match(student_id_from(found["student"]), notebook, timestamp, system)
    return None


class LmsCollector(FileNameCollectorPlugin):
    """nbgrader collector plugin that understands Canvas, Moodle, Blackboard and per-student folders."""

    notebooks = Unicode("", help="Comma-separated notebook file names of the assignment.").tag(config=True)
    extracted = Unicode("", help="The extracted folder the paths are relative to.").tag(config=True)

    def collect(self, submitted_file: str) -> dict | None:
        if not submitted_file.endswith(".ipynb"):
            return None
        relative = Path(submitted_file).relative_to(self.extracted).as_posix()
        found = match_submission(relative, set(filter(None, self.notebooks.split(","))))
        if found is None or found.notebook is None:
            self.log.warning("Not collected (name not recognised): %s", relative)
            return None
        collected = {"student_id": found.student_id, "file_id": found.notebook}
        if found.timestamp:
            collected["timestamp"] = found.timestamp
        return collected
