"""The status `peninsula grade` gives every student: the one vocabulary that the grades CSV, the
terminal, the report, the LMS exports and the feedback release all read.

A failed or missing submission keeps its status and a reason: it is never a plain 0.
"""

from __future__ import annotations

from dataclasses import dataclass

GRADED = "graded"
NEEDS_MANUAL = "needs manual grading"
FAILED = "failed"
MISSING = "missing"
STATUSES = (GRADED, NEEDS_MANUAL, FAILED, MISSING)

#: The grades CSV's own columns (the term's follow them: `deadlines.TERM_COLUMNS`).
CSV_COLUMNS = ["student_id", "assignment", "status", "score", "max_score", "reason"]


@dataclass
class StudentResult:
    student_id: str
    status: str
    score: float | None = None
    max_score: float | None = None
    reason: str = ""
    how: str = ""  # how it was graded (execution.TEXT_ONLY or .SANDBOX); empty if it was not

