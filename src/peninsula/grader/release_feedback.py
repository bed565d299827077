"""`peninsula release-feedback`: hand feedback to the students whose grading is settled.

nbgrader's own `release_feedback` hands out whatever feedback exists, including provisional pages
of students still waiting for a hand-graded answer. Here a student's feedback goes out only when
the submission is graded, needs no manual grading, and its page passed the leak screen; everyone
else is listed with the reason they are held back (`--include-provisional` sends those waiting
for manual grading too). One student's feedback that cannot go out never stops the others'.
"""

from __future__ import annotations

from dataclasses import dataclass

from peninsula.grader.atomic import done_marker, is_done
from peninsula.grader.course import Course
from peninsula.grader.statuses import NEEDS_MANUAL


@dataclass(frozen=True)
class Held:
    student_id: str
    reason: str


@dataclass(frozen=True)
class Released:
    sent: list[str]
    held: list[Held]


def settled_students(course: Course, assignment: str, api=None) -> tuple[list[str], list[Held]]:
    """(students whose grading is settled, students held back with the reason)."""
    from nbgrader.api import MissingEntry

    api = api or course.api()
    settled, held = [], []
    with api.gradebook as gradebook:
        students = sorted(student.id for student in gradebook.students)
        for student in students:
            try:
                submission = gradebook.find_submission(assignment, student)
            except MissingEntry:
                held.append(Held(student, "no submission"))
                continue
            page = course.folder("feedback", student, assignment)
            if submission.needs_manual_grade:
                held.append(Held(student, f"{NEEDS_MANUAL} (provisional)"))
            elif not page.is_dir() or not any(page.glob("*.html")):
                held.append(Held(student, "no feedback page (the grades CSV says why)"))
            elif not is_done(done_marker(course.folder("autograded"), student, assignment),
                             course.folder("submitted", student, assignment)):
                held.append(Held(student, "grading did not finish (run `peninsula grade` again: it is safe)"))
            else:
                settled.append(student)
    return settled, held


def release_feedback(course: Course, assignment: str, include_provisional: bool = False) -> Released:
    from peninsula.grader.exchange import use_kit_exchange

    api = course.api()
    use_kit_exchange(api)
    settled, held = settled_students(course, assignment, api)
    if include_provisional:
        provisional = [h.student_id for h in held if h.reason.startswith(NEEDS_MANUAL)]
        held = [h for h in held if h.student_id not in provisional]
        settled = sorted(
            settled + [s for s in provisional if any(course.folder("feedback", s).glob("*/*.html"))]
        )
    sent = []
    for student in settled:
        submitted = course.folder("submitted", student, assignment)
        # nbgrader's release_feedback needs both (an LMS download has neither; a hostile or broken
        # submission may lack its secret, which names the student's feedback file in the exchange)
        missing = [
            name for name in ("timestamp.txt", "submission_secret.txt") if not (submitted / name).is_file()
        ]
        if missing:
            why = f"no {' or '.join(missing)} in submitted/ (send its feedback page by hand or from the LMS)"
            held.append(Held(student, why))
            continue
        result = api.release_feedback(assignment, student)
        log = result.get("log", "")
        if not result["success"] or "Feedback not released" in log:
            last = (result.get("error") or log).strip().splitlines()[-1:] or ["see nbgrader's log"]
            held.append(Held(student, f"nbgrader release_feedback failed: {last[0][-300:]}"))
            continue
        sent.append(student)
    return Released(sent, sorted(held, key=lambda h: h.student_id))
