"""The class's answers to one assignment, read once for every analysis of the class.

`load_class` reads the gradebook's scores and each graded notebook's answer cell; the report, the
agreement panel, the codings export and the debrief all start from its `ClassData`. Answers are
read exactly as the grader reads them and checked to score, so one unreadable submission is named
and left out instead of stopping an analysis. Instructor-only: it reads the answer key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from peninsula.answer_cell import read_notebook_answers
from peninsula.answers import parse
from peninsula.grader.course import Course
from peninsula.grader.key import Item, load_items
from peninsula.grader.scoring import item_credit


@dataclass(frozen=True)
class ClassData:
    assignment: str
    scores: dict[str, float]  # student -> total score in the gradebook
    max_score: float
    items: list[Item]
    answers: dict[str, dict[str, object]]  # student -> item id -> normalised answer (or None)
    skipped: dict[str, str] = field(default_factory=dict)  # student -> why their answers are left out


def read_answers(notebook_path: Path) -> dict[str, object]:
    """The answers typed in a notebook's answer cell, read exactly as the grader reads them."""
    return read_notebook_answers(notebook_path).answers


def load_class(course: Course, assignment: str) -> ClassData:
    api = course.api()
    items = load_items(assignment, key_file=course.key_file)
    scores, answers, skipped = {}, {}, {}
    with api.gradebook as gradebook:
        max_score = gradebook.find_assignment(assignment).max_score
        for submission in gradebook.assignment_submissions(assignment):
            student = submission.student.id
            graded = course.folder("autograded", student, assignment)
            notebooks = sorted(graded.glob("*.ipynb"))
            if not notebooks:
                continue
            scores[student] = submission.score
            try:
                answers[student] = readable_answers(notebooks, items)
            except Exception as error:  # one submission never stops the report: it is named instead
                skipped[student] = unreadable(error)
    return ClassData(assignment, scores, max_score, items, answers, skipped)


def readable_answers(notebooks: list[Path], items: list[Item]) -> dict[str, object]:
    """A student's normalised answers, checked to score and print, so that nothing later fails on them."""
    raw: dict[str, object] = {}
    for notebook in notebooks:
        raw |= read_answers(notebook)
    answers = {item.id: parse(item.id, raw.get(item.id, ""))[0] for item in items}
    for item in items:
        item_credit(item, answers[item.id])
        str(answers[item.id])
    return answers


def unreadable(error: Exception) -> str:
    return f"its answers could not be read ({type(error).__name__}: {str(error)[:100]})"
