"""Drop the bare score value ("Out[4]: 3.0") from graded cells once nbgrader has recorded it.

The kit's scoring step ends each graded cell with the part's score as the cell's value, because that
value is what nbgrader's `SaveAutoGrades` records. Once recorded, the value has done its job: the
verdict lines above it already say "Score for this part: 3 of 5", and the Formgrader and the feedback
page take scores from the gradebook. Left in, it shows under every part as an unexplained "Out[4]: 3.0".
"""

from __future__ import annotations

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool


class DropScoreValues(NbGraderPreprocessor):
    """After `SaveAutoGrades`: remove graded code cells' `execute_result` outputs, keep their text."""

    enabled = Bool(True)  # nbconvert's default is False, which would skip this step silently

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int) -> tuple[NotebookNode, dict]:
        if cell.cell_type == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            cell.outputs = [
                output for output in cell.outputs if output.get("output_type") != "execute_result"
            ]
        return cell, resources
