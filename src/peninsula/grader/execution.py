"""Whether an assignment's notebooks run when they are graded: decided from its source notebooks.

The kit scores its own autograded cells (the format check and each `hidden_<part>` cell) from the
answer cell's text, in the grader's process (`autograde.ScoreAnswers`), so running the student's
notebook adds nothing to those scores. An assignment whose source holds any other autograded code
cell (an instructor's own test cell, or a code answer graded by hand) needs the notebook executed,
and then it runs in the bubblewrap sandbox. The decision reads the instructor's source notebooks,
never a submission, so no student can choose it.
"""

from __future__ import annotations

import json
from pathlib import Path

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool

from peninsula.grader.course import Course, course_of

#: How an assignment was graded, as the status table and the graded notebook's notes say it.
TEXT_ONLY = "from the answer cells' text; no student code ran"
SANDBOX = "by running each notebook in the bubblewrap sandbox"
NOTES = "peninsula"  # the graded notebook's metadata key for what grading did (see autograde.KeepFirstCopy)


def scored_from_text(course: Course, assignment: str) -> frozenset[str]:
    """The grade ids the kit scores from the answer cell's text in this assignment (its registry's)."""
    registered = course.kit_assignments().get(assignment)
    return registered.graded_from_text if registered else frozenset()


def cells_needing_a_kernel(source: Path, text_scored: frozenset[str]) -> list[str]:
    """The source's autograded code cells that only running the notebook can score (those not in
    `text_scored`). A source that is missing or unreadable counts as needing a kernel: nbgrader's own
    behaviour is the safe default."""
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        return [f"(no source notebooks in {source})"]
    needing = []
    for path in notebooks:
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        except (OSError, ValueError, KeyError, TypeError):
            return [f"(unreadable source {path.name})"]
        for cell in cells:
            meta = (cell.get("metadata") or {}).get("nbgrader") or {}
            graded_code = cell.get("cell_type") == "code" and meta.get("grade")
            if graded_code and meta.get("grade_id") not in text_scored:
                needing.append(f"{path.stem}:{meta.get('grade_id')}")
    return needing


class ExecuteWhereNeeded(Execute):
    """nbgrader's Execute step, skipped for an assignment whose every autograded cell the kit scores
    from text. It is configured as `Execute` (timeout, kernel, `--no-execute` all apply), and notes
    in the graded notebook which way it went."""

    run_every_notebook = Bool(
        False, help="run every notebook in the sandbox, even where the kit scores every cell from text "
        "(to compare the two ways; the scores are the same)"
    ).tag(config=True)

    def how(self, assignment: str) -> str:
        """How this assignment's submissions are graded: TEXT_ONLY or SANDBOX."""
        if self.run_every_notebook:
            return SANDBOX
        course = course_of(self.config)
        needing = cells_needing_a_kernel(course.source / assignment, scored_from_text(course, assignment))
        return SANDBOX if needing else TEXT_ONLY

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        how = self.how(resources["nbgrader"]["assignment"])
        nb.metadata.setdefault(NOTES, {})["graded"] = how
        if how == TEXT_ONLY:
            return nb, resources
        return super().preprocess(nb, resources)
