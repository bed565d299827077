"""The term in `peninsula grade`: accepted regrades and the late penalty settled in the gradebook,
the deadline and the regrade outcomes written into each feedback page, and lateness added to the
grades' rows. It joins `deadlines` and `regrades`, which know nothing of each other.
"""

from __future__ import annotations

import html
from typing import Any

from peninsula.grader import deadlines, regrades
from peninsula.grader.course import Course
from peninsula.grader.term import load_term


def settle_term(course: Course, api: Any, assignment: str, student: str) -> None:
    """After autograde, before the feedback page: accepted regrades, then the late penalty."""
    regrades.apply_regrades(course, api, assignment, student)
    deadlines.settle_lateness(course, api, assignment, student)


def annotate_feedback(course: Course, assignment: str, student: str) -> None:
    """Add the deadline and the regrade outcomes, in words, under each feedback page's heading.
    Runs before the leak screen, so whatever is written here is screened like the rest."""
    lines = [
        *deadlines.feedback_lines(course, assignment, student),
        *regrades.feedback_lines(course, assignment, student),
    ]
    if not lines:
        return
    section = (
        "<section class='term' aria-labelledby='term-heading'><h2 id='term-heading'>Deadline and "
        "regrades</h2>" + "".join(f"<p>{html.escape(line)}</p>" for line in lines) + "</section>"
    )
    for page in course.folder("feedback", student, assignment).glob("*.html"):
        text = page.read_text(encoding="utf-8")
        for anchor in ("</header>", "<main>", "<body>"):
            if anchor in text:
                page.write_text(text.replace(anchor, anchor + section, 1), encoding="utf-8")
                break


def with_lateness(course: Course, assignment: str, results: list) -> list:
    """`peninsula grade`'s rows with the term: lateness in words, the penalty apart from the raw
    score (the score column is what goes to the LMS), and the outcome of regrade requests."""
    late = deadlines.class_lateness(course, assignment)
    term = load_term(course, assignment)
    rows = []
    for result in results:
        lateness = late.get(result.student_id)
        raw, penalty, words = result.score, 0.0, lateness.words if lateness else ""
        if lateness and raw is not None and lateness.share:
            penalty = lateness.penalty(raw)
            words += (
                f"; penalty {penalty:g} waived ({lateness.waived})"
                if lateness.waived
                else f"; penalty -{penalty:g} ({lateness.share:.0%}; waive with `peninsula waive "
                f"{assignment} {result.student_id} --reason …`)"
            )
            penalty = 0.0 if lateness.waived else penalty
        score = None if raw is None else round(raw - penalty, 2)
        regraded = regrades.regrade_words(term, result.student_id)
        reason = "; ".join(p for p in (words, regraded, result.reason) if p)
        rows.append(
            deadlines.TermResult(
                **{**vars(result), "score": score, "reason": reason},
                raw_score=raw,
                late_penalty=penalty,
                lateness=words.split(";")[0],
            )
        )
    return rows
