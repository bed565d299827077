"""Due dates, extensions and late work, judged from the gradebook's trusted submission time.

- **The due date** is nbgrader's own: the gradebook's `Assignment.duedate` (`peninsula due`), so the
  Formgrader shows it too.
- **An extension** (`peninsula extend`) is kept with its reason in the term file
  (`peninsula.grader.term`); once the student has a submission in the gradebook, its length is also
  written into nbgrader's `SubmittedAssignment.extension`, so nbgrader's `duedate` and
  `total_seconds_late` agree with the kit's.
- **Lateness** is `SubmittedAssignment.total_seconds_late`: the gradebook's submission time, which
  autograde copies from the collected `timestamp.txt` that collect writes from a time the student
  cannot set. The kit never reads a submission's own claim.
- **The late policy** is the course's, in nbgrader_config.py (`c.LatePolicy.kind` and friends,
  below); the default only flags. The penalty is a share of the points earned, kept apart from the raw
  score: in the gradebook as nbgrader's `late_submission_penalty` (its feedback page and export show
  it), and in the grades CSV as its own column. `peninsula waive` cancels it, with a reason, for good.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any

from peninsula.grader.course import Course, PipelineError
from peninsula.grader.statuses import StudentResult
from peninsula.grader.term import day_words, load_term, now_utc, parse_time, save_term

POLICY_KINDS = {
    "flag": "accept late work and flag it",
    "per_day": "a penalty per day or part of a day, with a cap",
    "zero_after": "zero after a grace period",
}
TERM_COLUMNS = ["raw_score", "late_penalty", "lateness"]


@dataclass
class TermResult(StudentResult):
    """A row of `peninsula grade` with the term: the score before the late penalty, the penalty, and
    the lateness in words."""

    raw_score: float | None = None
    late_penalty: float = 0.0
    lateness: str = ""


@dataclass(frozen=True)
class LatePolicy:
    """`c.LatePolicy.kind = "flag" | "per_day" | "zero_after"`; `percent_per_day` (of the points
    earned, default 10), `cap_percent` (default 50) and `grace_minutes` (default 0)."""

    kind: str = "flag"
    percent_per_day: float = 10.0
    cap_percent: float = 50.0
    grace_minutes: float = 0.0

    @classmethod
    def of(cls, course: Course) -> LatePolicy:
        settings = dict(course.config.get("LatePolicy", {}))
        unknown = sorted(settings.keys() - {"kind", "percent_per_day", "cap_percent", "grace_minutes"})
        if unknown:
            raise PipelineError(f"nbgrader_config.py: unknown LatePolicy setting(s): {', '.join(unknown)}")
        policy = cls(**settings)
        if policy.kind not in POLICY_KINDS:
            raise PipelineError(
                f"nbgrader_config.py: LatePolicy.kind {policy.kind!r} is not one of {', '.join(POLICY_KINDS)}"
            )
        return policy

    def share(self, seconds_late: float) -> float:
        """The share of the points earned that the penalty takes (0 to 1)."""
        beyond = seconds_late - 60 * self.grace_minutes
        if beyond <= 0 or self.kind == "flag":
            return 0.0
        if self.kind == "zero_after":
            return 1.0
        days = math.ceil(beyond / 86400)
        return min(self.cap_percent, self.percent_per_day * days) / 100


@dataclass(frozen=True)
class Lateness:
    due: datetime.datetime | None
    submitted: datetime.datetime | None
    extension: dict | None  # {"until": datetime, "reason": str}
    seconds_late: float
    share: float  # of the points earned, from the policy
    waived: str | None  # the reason, if the penalty is waived
    grace_minutes: float = 0.0

    @property
    def words(self) -> str:
        """ "late by 2 h 10 min (extension to 14 March)", "on time", or ""."""
        extension = f"extension to {day_words(self.extension['until'])}" if self.extension else ""
        if self.submitted is None or self.due is None:
            return f"no submission yet ({extension})" if extension and not self.closed else ""
        if self.seconds_late <= 0:
            return f"on time ({extension})" if extension else "on time"
        within = self.seconds_late <= 60 * self.grace_minutes
        notes = [extension, f"within the {self.grace_minutes:g} min grace" if within else ""]
        detail = "; ".join(n for n in notes if n)
        return f"late by {duration_words(self.seconds_late)}" + (f" ({detail})" if detail else "")

    @property
    def closed(self) -> bool:
        """The deadline (with any extension) has passed."""
        until = self.extension["until"] if self.extension else self.due
        return until is None or until <= now_utc()

    def penalty(self, raw: float) -> float:
        return round(raw * self.share, 2)


def duration_words(seconds: float) -> str:
    minutes = math.ceil(seconds / 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{days} day{'s' if days != 1 else ''}" if days else "",
        f"{hours} h" if hours else "",
        f"{minutes} min" if minutes or not (days or hours) else "",
    ]
    return " ".join(p for p in parts if p)


# ------------------------------------------------------------------ the instructor's commands


def set_due_date(course: Course, assignment: str, when: str) -> datetime.datetime:
    """Keep the due date in the gradebook (nbgrader's Assignment.duedate)."""
    course.notebooks(assignment)
    due = parse_time(when, "due date")
    with course.api().gradebook as gradebook:
        gradebook.update_or_create_assignment(assignment, duedate=due)
    return due


def due_date(course: Course, assignment: str, gradebook=None) -> datetime.datetime | None:
    from nbgrader.api import MissingEntry

    if gradebook is None:
        with course.api().gradebook as opened:
            return due_date(course, assignment, opened)
    try:
        return gradebook.find_assignment(assignment).duedate
    except MissingEntry:
        return None


def grant_extension(course: Course, assignment: str, student: str, until: str, reason: str) -> dict:
    """An extension for one student, with its reason (required: it is what the term remembers)."""
    if not reason.strip():
        raise PipelineError("an extension needs a reason (--reason), so that it is kept with it")
    with course.api().gradebook as gradebook:
        due = due_date(course, assignment, gradebook)
        if due is None:
            raise PipelineError(
                f"{assignment} has no due date yet; set one with `peninsula due {assignment} DATE`"
            )
        if student not in {s.id for s in gradebook.students}:
            raise PipelineError(f"{student!r} is not on the roster (the gradebook's students)")
    end = parse_time(until, "--until")
    if end <= due:
        raise PipelineError(f"--until {day_words(end)} is not after the due date ({day_words(due)})")
    term = load_term(course, assignment)
    term["extensions"][student] = {"until": end, "reason": reason.strip(), "granted": now_utc()}
    save_term(course, assignment, term)
    return term["extensions"][student]


def waive_penalty(course: Course, assignment: str, student: str, reason: str) -> None:
    if not reason.strip():
        raise PipelineError("a waiver needs a reason (--reason)")
    term = load_term(course, assignment)
    term["waivers"][student] = {"reason": reason.strip(), "waived": now_utc()}
    save_term(course, assignment, term)


# ------------------------------------------------------------------ judging a submission


def lateness_of(submission, policy: LatePolicy, term: dict) -> Lateness:
    """From the gradebook row: writes the term's extension into it first (nbgrader's own field)."""
    student = submission.student.id
    extension = term["extensions"].get(student)
    due = submission.assignment.duedate
    if due is not None:
        submission.extension = (extension["until"] - due) if extension else None
    waiver = term["waivers"].get(student)
    seconds = submission.total_seconds_late if due is not None else 0.0
    return Lateness(
        due,
        submission.timestamp,
        extension,
        seconds,
        policy.share(seconds),
        waiver["reason"] if waiver else None,
        policy.grace_minutes,
    )


def settle_lateness(course: Course, api: Any, assignment: str, student: str) -> None:
    """Put the policy's penalty (0 if waived) into the gradebook as nbgrader's late_submission_penalty,
    before the feedback page is written. `peninsula grade` calls this for every submission."""
    policy, term = LatePolicy.of(course), load_term(course, assignment)
    with api.gradebook as gradebook:
        submission = gradebook.find_submission(assignment, student)
        late = lateness_of(submission, policy, term)
        left = 0.0 if late.waived else late.penalty(submission.score)
        for notebook in submission.notebooks:
            notebook.late_submission_penalty = min(left, notebook.score) if left else None
            left -= notebook.late_submission_penalty or 0
        gradebook.db.commit()


def class_lateness(
    course: Course, assignment: str, api: Any = None, only: str | None = None
) -> dict[str, Lateness]:
    """Every roster student's lateness, or `only` one's (without a submission: the due date and
    any extension)."""
    from nbgrader.api import MissingEntry

    policy, term = LatePolicy.of(course), load_term(course, assignment)
    found = {}
    with (api or course.api()).gradebook as gradebook:
        due = due_date(course, assignment, gradebook)
        for student in gradebook.students if only is None else [gradebook.find_student(only)]:
            try:
                found[student.id] = lateness_of(
                    gradebook.find_submission(assignment, student.id), policy, term
                )
            except MissingEntry:
                found[student.id] = Lateness(due, None, term["extensions"].get(student.id), 0.0, 0.0, None)
        gradebook.db.commit()
    return found


def term_cells(result: Any) -> list[str]:
    """The grades CSV's term columns for one row (empty for a row without them)."""
    raw = getattr(result, "raw_score", None)
    penalty = getattr(result, "late_penalty", 0.0)
    return [
        "" if raw is None else f"{raw:g}",
        f"{penalty:g}" if penalty else "",
        getattr(result, "lateness", ""),
    ]


def lms_comment(comment: str, row: dict) -> str:
    """A Moodle feedback comment with the row's lateness in words, for the student."""
    late = row.get("lateness", "")
    return f"{comment}; {late}" if late and late != "on time" else comment


def feedback_lines(course: Course, assignment: str, student: str) -> list[str]:
    """What the student's feedback page says about the deadline, in words."""
    lateness = class_lateness(course, assignment, only=student).get(student)
    if not lateness or lateness.due is None:
        return []
    lines = [f"Due {day_words(lateness.due)}."]
    if lateness.extension:
        lines.append(f"Your extension: to {day_words(lateness.extension['until'])}.")
    if lateness.submitted:
        lines.append(f"Received {day_words(lateness.submitted)}: {lateness.words.split(' (')[0]}.")
    if lateness.share and lateness.submitted:
        lines.append(
            "The late penalty was waived."
            if lateness.waived
            else f"Late penalty: {lateness.share:.0%} of the points earned."
        )
    return lines


def stamp_due_date(course: Course, assignment: str) -> None:
    """Put the due date at the top of each released notebook (a plain cell nbgrader ignores)."""
    import nbformat
    from nbformat.v4 import new_markdown_cell

    due = due_date(course, assignment)
    if due is None:
        return
    text = (
        f"**Due {day_words(due)}.** If you have an extension, your instructor has told you; "
        "your feedback will show it."
    )
    for path in sorted(course.folder("release", assignment).glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        notebook.cells.insert(0, new_markdown_cell(text))
        nbformat.write(notebook, path)
