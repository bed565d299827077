"""The kit's steps in nbgrader's autograde: every score is computed here, in the grader's process.

`ScoreAnswers` runs right after the Execute step, before `SaveAutoGrades`. It reads the answer
cell's *source* from the submitted notebook as data, scores it against the course's key, and
overwrites every autograded cell's outputs with the verdict lines and the score, which is all
nbgrader records. For the kit's own assignments the Execute step does not run at all
(`execution.ExecuteWhereNeeded`): no student code runs; an instructor's assignment with its own
code-graded cells runs in the sandboxed kernel, and nothing that kernel printed, returned or wrote
is read for the kit's cells. `KeepFirstCopy` grades an answer cell pasted twice (nbgrader fails
the whole submission), and `RestoreDeletedCells` puts back answer and graded cells a student
deleted, so the submission is graded (0 for what was lost) instead of failing. Both note what they
did in the graded notebook's metadata (`peninsula`), which `peninsula grade` reports on every run.

`CheckCellMetadata` is nbgrader's check, remembering the metadata it has passed (a class's graded
cells all carry the same), because nbgrader's check of every cell was an eighth of grading.

`configure(config)` installs them in an nbgrader config, and shares one database engine per
gradebook (`gradebook_engine`); the course's nbgrader_config.py calls it,
so plain `nbgrader autograde`, the Formgrader's Autograde button and `peninsula grade` grade the
same way.
"""

from __future__ import annotations

import functools
import json
import re
import traceback
from typing import ClassVar

from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells
from traitlets import Bool

from peninsula.answer_cell import answer_cell_source
from peninsula.answers import AnswerCell, cell_problems, read_answer_cell
from peninsula.grader.course import Course, course_of
from peninsula.grader.execution import NOTES, ExecuteWhereNeeded
from peninsula.grader.gradebook_engine import reuse_engines
from peninsula.grader.registry import FORMAT_CHECK_ID, HIDDEN_PREFIX, Assignment
from peninsula.grader.sanitize import MakeInert

RESTORED_LOG = "Peninsula restored deleted cell(s)"
ITEM_IN_PROBLEM = re.compile(r"\b([A-Z]\d{2,3}):")


def _nbgrader(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


class ScoreAnswers(NbGraderPreprocessor):
    """Write each autograded cell's score, from the answer cell's text and the course's key."""

    enabled = Bool(True)  # nbconvert's default is False, which would skip this step silently

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        assignment = resources["nbgrader"]["assignment"]
        registered = self.course.kit_assignments().get(assignment)
        if registered is None:
            return nb, resources
        self.course.use_texts()
        source = answer_cell_source(nb.cells)
        missing = AnswerCell({}, ["the answer cell is missing"])
        cell = read_answer_cell(source) if source is not None else missing
        for grade_cell in nb.cells:
            meta = _nbgrader(grade_cell)
            if grade_cell.cell_type == "code" and meta.get("grade"):
                grade_cell.outputs = self._outputs(registered, meta, cell)
        return nb, resources

    def _outputs(self, registered: Assignment, meta: dict, cell: AnswerCell) -> list:
        from peninsula.grader.key import load_items

        assignment = registered.id
        grade_id = meta.get("grade_id", "")
        points = float(meta.get("points") or 0)
        part = grade_id.removeprefix(HIDDEN_PREFIX)
        try:
            if grade_id == FORMAT_CHECK_ID:
                expected = [item.id for item in load_items(assignment, key_file=self.course.key_file)]
                problems = cell_problems(cell, expected)
                lines = [f"{len(problems)} thing(s) to fix:", *problems] if problems else ["Format OK."]
                return [_stdout(lines)]
            if grade_id not in registered.graded_from_text:
                return _scored(["This cell is not one the grader scores."], 0.0)
            return self._score(assignment, part, points, cell)
        except Exception as error:  # a broken key costs this cell a message, never the batch
            self.log.error("Peninsula could not score %s: %r", grade_id, error)
            return _scored(
                [f"This part could not be scored ({type(error).__name__}); ask your instructor."], 0.0
            )

    def _score(self, assignment: str, part: str, points: float, cell: AnswerCell) -> list:
        from peninsula.grader.key import load_items
        from peninsula.grader.scoring import score_part

        items = load_items(assignment, part, key_file=self.course.key_file)
        if cell.computed:
            return _scored([*cell.problems, f"Score for this part: 0 of {points:g}"], 0.0)
        score, lines = score_part(items, cell.answers, points)
        ids = {item.id for item in items}
        # The answer cell's own problems that concern this part: its items' lines, and general ones.
        relevant = [
            p
            for p in cell.problems
            if not ITEM_IN_PROBLEM.findall(p) or ids & set(ITEM_IN_PROBLEM.findall(p))
        ]
        return _scored([*relevant, *lines, f"Score for this part: {score:g} of {points:g}"], score)

    @functools.cached_property
    def course(self) -> Course:
        """The course nbgrader grades (from its config): its key, and its texts."""
        return course_of(self.config)


def _stdout(lines: list[str]) -> NotebookNode:
    return new_output("stream", name="stdout", text="\n".join(lines) + "\n")


def _scored(lines: list[str], score: float) -> list:
    """Verdict lines, then the score as the cell's value: what SaveAutoGrades records."""
    return [
        _stdout(lines),
        new_output("execute_result", data={"text/plain": repr(float(score))}, execution_count=1),
    ]


class KeepFirstCopy(NbGraderPreprocessor):
    """nbgrader's DeduplicateIds, keeping the *first* copy of a cell that appears twice (what copy and
    paste in JupyterLab makes). nbgrader's keeps the last and leaves the others with empty nbgrader
    metadata, on which OverwriteCells fails the whole submission ("KeyError: 'grade_id'"). Here the
    other copies become plain cells, which are never graded or run, and the notes say which copy
    was kept. It runs first, so it also starts the notes afresh: a student cannot write them."""

    enabled = Bool(True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        nb.metadata[NOTES] = {}
        notes = nb.metadata[NOTES]  # NotebookNode stores a copy of a plain dict
        first: dict[str, int] = {}
        for number, cell in enumerate(nb.cells, 1):
            if not (utils.is_grade(cell) or utils.is_solution(cell) or utils.is_locked(cell)):
                continue
            grade_id = _nbgrader(cell).get("grade_id")
            if grade_id in first:
                self.log.warning("Cell %r appears more than once; grading cell %d, the first", grade_id,
                                 first[grade_id])
                del cell.metadata["nbgrader"]
                notes.setdefault("copies", {}).setdefault(grade_id, [first[grade_id]]).append(number)
            else:
                first[grade_id] = number
        return nb, resources


class RestoreDeletedCells(OverwriteCells):
    """nbgrader's OverwriteCells, also restoring deleted *answer* (solution) cells, in source order.

    nbgrader 0.9.6 restores deleted grade cells only, and fails with a KeyError when the cell before
    one was a deleted solution cell (the answer cell). Every restored cell is logged, so the status
    table can say why a submission scored 0."""

    add_missing_cells = Bool(True)

    def add_missing_grade_cells(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        max_scores = {cell.name: cell.max_score for cell in source_nb.grade_cells}
        solutions = {cell.name for cell in source_nb.solution_cells}
        present = {_nbgrader(c).get("grade_id") for c in nb.cells}
        restored, position = [], 0
        for source_cell in source_nb.source_cells:
            name = source_cell.name
            if name in present:
                position = next(i for i, c in enumerate(nb.cells) if _nbgrader(c).get("grade_id") == name) + 1
                continue
            if name not in max_scores and name not in solutions:
                continue  # a read-only cell: nothing is graded there
            cell = self.missing_cell_transform(
                source_cell, max_scores.get(name, 0), is_solution=name in solutions
            )
            if name not in max_scores:
                cell["metadata"]["nbgrader"]["grade"] = False
                cell["metadata"]["nbgrader"].pop("points", None)
            nb.cells.insert(position, cell)
            position += 1
            restored.append(name)
        if restored:
            self.log.warning("%s: %s", RESTORED_LOG, ", ".join(restored))
            nb.metadata.setdefault(NOTES, {})["restored"] = restored
        return nb, resources


class _RememberingValidator(MetadataValidator):
    """nbgrader's metadata validator, remembering each cell's metadata it has passed in this process.
    nbgrader's jsonschema call checks the schema itself again for every cell, 3 ms each, and a class's
    graded cells all carry the same metadata (put back from the gradebook): an eighth of grading."""

    passed: ClassVar[set[str]] = set()
    # Students can write nbgrader metadata of their own too: what is remembered stays small.
    MAX_REMEMBERED, MAX_KEY_CHARACTERS = 1_000, 2_000

    def validate_cell(self, cell: NotebookNode) -> None:
        meta = cell.metadata.get("nbgrader")
        key = json.dumps([cell.cell_type, meta], sort_keys=True, default=repr)
        if key in self.passed:
            return
        super().validate_cell(cell)  # raises for invalid metadata, every time
        no_warning_to_repeat = meta is None or meta.get("cell_type", cell.cell_type) == cell.cell_type
        room = len(self.passed) < self.MAX_REMEMBERED and len(key) <= self.MAX_KEY_CHARACTERS
        if no_warning_to_repeat and room:
            self.passed.add(key)


class CheckCellMetadata(NbGraderPreprocessor):
    """nbgrader's CheckCellMetadata, with the remembering validator."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        try:
            _RememberingValidator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            message = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(message)
            raise ValidationError(message) from None
        return nb, resources


def configure(config, sandbox: bool = True) -> None:
    """Put the kit's steps into nbgrader's autograde, run notebooks only where an assignment needs
    it, and then in the sandbox."""
    reuse_engines()
    autograde = config.Autograde
    autograde.sanitize_preprocessors = [
        "nbgrader.preprocessors.ClearOutput",
        KeepFirstCopy,
        "nbgrader.preprocessors.OverwriteKernelspec",
        RestoreDeletedCells,
        CheckCellMetadata,
    ]
    autograde.autograde_preprocessors = [
        ExecuteWhereNeeded,
        ScoreAnswers,
        "nbgrader.preprocessors.IgnorePattern",
        "nbconvert.preprocessors.ClearMetadataPreprocessor",
        "nbgrader.preprocessors.LimitOutput",
        MakeInert,  # before the grades and pages are saved: nothing a student wrote stays live
        "nbgrader.preprocessors.SaveAutoGrades",
        "peninsula.grader.score_display.DropScoreValues",  # recorded: "Out[4]: 3.0" no longer shown
        "nbgrader.preprocessors.AssignLatePenalties",
        CheckCellMetadata,
    ]
    # nbconvert's step clears the notebook's metadata; the kit's notes on what grading did stay.
    config.ClearMetadataPreprocessor.preserve_nb_metadata_mask = {("language_info", "name"), (NOTES,)}
    if sandbox:
        config.Execute.kernel_manager_class = "peninsula.grader.sandbox.SandboxedKernelManager"
        config.Execute.kernel_name = "peninsula-sandbox"
