"""What leaves the course folder for an LMS gradebook: its grades.

**`peninsula export-grades --lms canvas|moodle`** turns exports/<a>-grades.csv (written by
`peninsula grade`) into the CSV each gradebook imports. Only a *graded* row carries a score: a
provisional, failed or missing row is left without one, never a plain 0.

- Canvas (Gradebook > Import): the columns `Student` ("Last, First"), `ID`, `SIS User ID`,
  `SIS Login ID`, `Section`, then one column per assignment; Canvas matches a row by ID, SIS User
  ID or SIS Login ID. The kit fills `ID` with the gradebook's `lms_user_id` and `SIS Login ID`
  with the nbgrader student id. The import has no comment column (an unknown column becomes a new
  assignment), so the status stays in the kit's grades CSV, and an empty cell leaves Canvas as it was.
- Moodle (Grades > Import > CSV file): Moodle maps every column by hand on import, a user column
  to one of id, username, ID number or email, and each other column to a grade item or to
  "Feedback for" a grade item. The kit writes `First name`, `Last name`, `Username` (the nbgrader
  id), `ID number` (lms_user_id), `Email address`, then `<column> (Real)` and `<column> (Feedback)`,
  the way Moodle's own export names them. The status goes in the feedback column, in words meant
  for the student; a row without a score has "-", which Moodle reads as no grade.

Both files are safe to open in a spreadsheet: only students on the gradebook's roster (with a plain
id) are written, the others are reported; and no cell can run as a formula (`spreadsheet.safe_row`).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from peninsula.grader.course import Course, PipelineError
from peninsula.grader.deadlines import lms_comment
from peninsula.grader.leaks import leaks_in_text
from peninsula.grader.sanitize import is_plain_id
from peninsula.grader.spreadsheet import safe_row
from peninsula.grader.statuses import FAILED, GRADED, NEEDS_MANUAL

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = ["First name", "Last name", "Username", "ID number", "Email address"]
LMS_FORMATS = ("canvas", "moodle")
NO_GRADE = "-"  # Moodle's "no grade"
DETAILS = re.compile(r"\s*\(details: [^)]*\)")


def student_comment(status: str, reason: str) -> str:
    """A row's status in words for the student (the LMS shows feedback to them)."""
    if status == GRADED:
        return GRADED
    if status == NEEDS_MANUAL:
        return "provisional: a written answer is still to be graded by hand"
    if status == FAILED:
        return f"not graded: {DETAILS.sub('', reason).split('; open it')[0]}; please talk to your instructor"
    return "no submission received"


def read_grades(course: Course, assignment: str) -> list[dict[str, str]]:
    path = course.folder("exports", f"{assignment}-grades.csv")
    if not path.is_file():
        raise PipelineError(f"{path.name} is not in exports/ yet; run `peninsula grade {assignment}` first")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def roster(course: Course) -> dict[str, dict[str, str]]:
    """nbgrader student id -> first name, last name, email and LMS user id, from the gradebook."""
    with course.api().gradebook as gradebook:
        return {s.id: {"first": s.first_name or "", "last": s.last_name or "", "email": s.email or "",
                       "lms": s.lms_user_id or ""} for s in gradebook.students}


def lms_csv(rows: list[dict[str, str]], people: dict[str, dict[str, str]], lms: str, column: str) -> str:
    """The CSV text for `lms` ("canvas" or "moodle") from the kit's grade rows."""
    if lms not in LMS_FORMATS:
        raise ValueError(f"{lms!r} is not an LMS format; choose from {', '.join(LMS_FORMATS)}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if lms == "canvas":
        writer.writerow([*CANVAS_COLUMNS, column])
    else:
        writer.writerow([*MOODLE_COLUMNS, f"{column} (Real)", f"{column} (Feedback)"])
    for row in rows:
        who = people.get(row["student_id"])
        if who is None:
            continue  # not on the roster: `unlisted` names it, and the file never carries it
        score = row["score"] if row["status"] == GRADED else ""
        if lms == "canvas":
            name = ", ".join(p for p in (who["last"], who["first"]) if p)
            writer.writerow(safe_row([name, who["lms"], "", row["student_id"], "", score]))
        else:
            comment = lms_comment(student_comment(row["status"], row["reason"]), row)  # lateness in words
            writer.writerow(safe_row([who["first"], who["last"], row["student_id"], who["lms"], who["email"],
                                      score or NO_GRADE, comment]))
    return buffer.getvalue()


def unlisted(rows: list[dict[str, str]], people: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """Grade rows whose id is not on the gradebook's roster (or not a plain id): left out of LMS files."""
    return [
        {**row, "status": "not on the roster, left out of the file"}
        for row in rows
        if row["student_id"] not in people or not is_plain_id(row["student_id"])
    ]


def export_grades(course: Course, assignment: str, lms: str, column: str | None = None,
                  out: Path | None = None) -> tuple[Path, list[dict[str, str]]]:
    """Write the LMS's CSV; returns it and the rows that carry no score (with their status), those not
    on the roster first: they are reported, never added to the file."""
    rows, people = read_grades(course, assignment), roster(course)
    people = {student: who for student, who in people.items() if is_plain_id(student)}
    text = lms_csv(rows, people, lms, column or assignment)
    found = leaks_in_text(text, key_file=course.key_file)
    if found:
        raise PipelineError(f"the {lms} export would hold answer key material; not written: {found}")
    target = out or course.folder("exports", f"{assignment}-{lms}.csv")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    left_out = unlisted(rows, people)
    return target, left_out + [row for row in rows if row["status"] != GRADED and row not in left_out]
