"""The term's records of one assignment: extensions, waived penalties and regrade requests.

They live in `term/<assignment>.yaml` in the course folder (instructor-only, beside the gradebook),
because nbgrader has no place for a reason: its gradebook keeps an extension's length, never why.
The file is the one source of truth for these decisions; every `peninsula grade` re-reads it, so
nothing decided here is lost on a rerun. Written atomically, so an interrupted command never
leaves half a file.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from pathlib import Path

import yaml

from peninsula.grader.course import Course, PipelineError
from peninsula.yaml_files import read_yaml


def term_file(course: Course, assignment: str) -> Path:
    return course.folder("term", f"{assignment}.yaml")


def load_term(course: Course, assignment: str) -> dict:
    """{"extensions": {student: {...}}, "waivers": {student: {...}}, "regrades": [...]}"""
    path = term_file(course, assignment)
    try:
        data = read_yaml(path) if path.exists() else {}
    except yaml.YAMLError as error:
        raise PipelineError(f"{path}: not readable YAML ({error}); fix or restore it") from None
    data = data or {}
    return {
        "extensions": data.get("extensions") or {},
        "waivers": data.get("waivers") or {},
        "regrades": data.get("regrades") or [],
    }


class _PlainDumper(yaml.SafeDumper):
    """Writes a repeated value out again instead of as a YAML alias (&id001), for a readable file."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def save_term(course: Course, assignment: str, data: dict) -> Path:
    path = term_file(course, assignment)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    text = (
        f"# The term's decisions on {assignment}, written by `peninsula extend`, `waive` and "
        "`regrades`. Instructor-only.\n"
        + yaml.dump(data, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True)
    )
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".term-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)
    return path


def now_utc() -> datetime.datetime:
    """Naive UTC, the way nbgrader's gradebook keeps every time."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def parse_time(text: str, what: str) -> datetime.datetime:
    """A date ("2026-09-14"), a date and time ("2026-09-14 17:00") or one with a zone
    ("2026-09-14 17:00 Europe/London"), as naive UTC; a time without a zone is read as UTC."""
    from nbgrader.utils import parse_utc

    try:
        parsed = parse_utc(text.strip())
    except Exception:  # dateutil raises several kinds
        raise PipelineError(f"{what} {text!r} is not a date; write it like 2026-09-14 17:00") from None
    if len(text.strip()) == 10:  # a bare date means the end of that day
        parsed = parsed.replace(hour=23, minute=59)
    return parsed


def day_words(moment: datetime.datetime) -> str:
    """ "14 March" (with the time when it is not the end of the day: "14 March 17:00 UTC")."""
    day = f"{moment.day} {moment:%B}"
    return day if (moment.hour, moment.minute) == (23, 59) else f"{day} {moment:%H:%M} UTC"
