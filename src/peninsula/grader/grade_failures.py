"""Why nbgrader could not grade a submission, in words an instructor can act on; the details go to
the assignment's grade log."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

from peninsula.grader.course import Course

#: Why nbgrader could not grade a submission, by the type of the exception it caught (any class in
#: its MRO), never by words in a message or traceback, which the student's notebook can contain.
FAILURES = {
    "NotJSONError": "the notebook file is not valid JSON",
    "JSONDecodeError": "the notebook file is not valid JSON",
    "UnicodeDecodeError": "the notebook file is not UTF-8 text",
    "ValidationError": "the notebook file is not a valid notebook",
    "DeadKernelError": "the kernel died while running it",
    "UnresponsiveKernelError": "the kernel stopped responding while running it",
    "CellTimeoutError": "a cell ran past the time limit and could not be stopped",
}


def failure_reason(
    course: Course, assignment: str, student: str, errors: list[BaseException], notebooks: list[str]
) -> str:
    """Why a submission has no graded copy, in words an instructor can act on: from what is on disk
    and the exceptions nbgrader caught (`caught_failures`)."""
    submitted = course.folder("submitted", student, assignment)
    present = sorted(p.name for p in submitted.glob("*.ipynb"))
    missing = [n for n in notebooks if n not in present]
    if missing:
        extra = [p for p in present if p not in notebooks]
        renamed = f"; found {', '.join(extra)} instead (renamed?)" if extra else ""
        return f"notebook {', '.join(missing)} not submitted{renamed}"
    details = grade_log(course, assignment).relative_to(course.root)
    for error in reversed(errors):  # the last one is nbgrader's own verdict on the submission
        names = [kind.__name__ for kind in type(error).__mro__]
        known = next((FAILURES[name] for name in names if name in FAILURES), None)
        return known or f"autograde failed ({names[0]}; details: {details})"
    return f"autograde failed (details: {details})"


class _Failures(logging.Handler):
    """Keeps the exception behind each error nbgrader logs: it logs a failed submission from inside
    its `except` block, so the live exception is there to read, whatever its message says."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.errors: list[BaseException] = []

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else sys.exc_info()[1]
        if error is not None and (not self.errors or self.errors[-1] is not error):
            self.errors.append(error)


@contextlib.contextmanager
def caught_failures(api) -> Iterator[list[BaseException]]:
    """The exceptions behind the errors nbgrader logs while the block runs."""
    handler = _Failures()
    api.log.addHandler(handler)
    try:
        yield handler.errors
    finally:
        api.log.removeHandler(handler)


def grade_log(course: Course, assignment: str) -> Path:
    return course.folder("exports", f"{assignment}-grade.log")
