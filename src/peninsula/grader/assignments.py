"""`peninsula build-assignments`: write the nbgrader source notebooks of the graded assignments.

Each notebook is laid out as the course's registry (`assignments.yaml`, `peninsula.grader.registry`)
says, with the items of the key beside it. Only the items' public parts reach what students get: ids,
the quotes and paragraph ids of recommendations, and the prompts written for Assignment 2
(statements, actions, claims, issue names). The model answers sit only in the answer cell's solution
region, which `nbgrader generate_assignment` strips (and `peninsula release` checks for leaks).
The hidden test cells hold no code: the grader writes their scores (`peninsula.grader.autograde`).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

from peninsula.answers import MAGIC_LINE, PLAN_BRANCHES, authors, compact_ids
from peninsula.codebook import load_codebook
from peninsula.grader.course import Course
from peninsula.grader.key import (
    Item,
    assignments,
    load_answer_key,
    load_items,
    load_key_positions,
    model_answers,
)
from peninsula.grader.registry import FORMAT_CHECK_ID, HIDDEN_PREFIX, Assignment, Cell, Part, RegistryError

WIDTH = 100


def notebook_path(assignment: str, source: Path) -> Path:
    """Where an assignment's source notebook goes in a course's source folder."""
    return source / assignment / f"{assignment}.ipynb"


# ------------------------------------------------------------------ cells


def _cell(kind: str, cell_id: str, source: str, **nbgrader: object) -> dict:
    """A notebook cell; with nbgrader flags it is an nbgrader cell named `cell_id`."""
    cell: dict = {"cell_type": kind, "id": cell_id, "metadata": {}, "source": source.strip("\n")}
    if kind == "code":
        cell |= {"execution_count": None, "outputs": []}
    if nbgrader:
        flags = {"grade": False, "locked": False, "solution": False, **nbgrader}
        cell["metadata"]["nbgrader"] = {"grade_id": cell_id, "schema_version": 3, "task": False, **flags}
    return cell


def _read_only(cell_id: str, markdown: str) -> dict:
    return _cell("markdown", cell_id, markdown, locked=True)


def _question(cell_id: str, markdown: str) -> dict:
    """A question right before a hand-graded answer cell. Not read-only on purpose: nbgrader 0.9
    restores a deleted grade cell after the cell before it, and crashes if that one is a read-only
    cell that is neither a grade nor a solution cell (OverwriteCells.add_missing_grade_cells)."""
    return _cell("markdown", cell_id, markdown)


def _comment(text: str, first: str, rest: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False)


def _plain(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def _answer_cell(assignment: Assignment, items: list[Item], key_file: Path) -> dict:
    """The answer cell: `%%answers`, then one `ID:` line per item under its prompt, as plain lines.
    The model answers sit in the solution region, which the release strips."""
    model = model_answers(assignment.id, key_file)
    lines = [MAGIC_LINE, *(assignment.preamble + HOW_TO_TYPE).strip("\n").split("\n")]
    for part in assignment.parts:
        lines += [f"# ---- {part.instructions}"]
        for item in (i for i in items if i.part == part.id):
            shown = f"{item.where}: “{item.prompt}”" if item.where else item.prompt
            lines += [*_comment(shown, "# ", "#     "), f"{item.id}:"]
    lines += [
        "### BEGIN SOLUTION",
        *(f"{item_id}: {_plain(value)}" for item_id, value in model.items()),
        "### END SOLUTION",
    ]
    return _cell("code", "answers", "\n".join(lines), solution=True)


HOW_TO_TYPE = (
    "# One answer per line, after its id and the colon. No quotes or commas at the end are needed.\n"
    "# Lines that start with # are notes for you; the grader does not read them. Keep every id.\n"
)

def _setup_cell(items: list[Item]) -> dict:
    # Read-only: it must run before the answer cell, whose first line needs the magic it registers.
    source = (
        "# Run this cell first (Run All does): it lets the answer cell below hold plain lines, and\n"
        "# checks their format each time you run it. It says nothing about whether answers are right.\n"
        "from peninsula.answers import expect_items\n\n"
        f'expect_items("{compact_ids([item.id for item in items])}")'
    )
    return _cell("code", "setup", source, locked=True)


def _check_cell(items: list[Item]) -> dict:
    # Short: nbgrader's Validate dialog prints the whole cell before the problems it found.
    source = (
        "from peninsula.answers import check_format  # the format only, never whether an answer is right\n\n"
        f'check_format(expected="{compact_ids([item.id for item in items])}")'
    )
    return _cell("code", FORMAT_CHECK_ID, source, grade=True, locked=True, points=0)


def _hidden_cell(part: Part, points: int) -> dict:
    source = f"""
# {part.title[0].upper()}{part.title[1:]} ({points} points). When your work is graded, the
# grader reads the text of your answer cell and writes your score and a verdict for each item here.
# Running this cell does nothing, and nothing your notebook prints or computes changes the score.
"""
    return _cell("code", HIDDEN_PREFIX + part.id, source, grade=True, locked=True, points=points)


def _points(items: list[Item], part: str) -> int:
    """One point per item, so a hidden test cell is worth as many points as its part has items."""
    return sum(item.part == part for item in items)


def _manual_answer(cell_id: str, points: int) -> dict:
    # The whole cell is the solution region: the release shows nbgrader's "YOUR ANSWER HERE".
    note = "Instructor copy: grade with the rubric above. The key's notes give the intended readings."
    return _cell("markdown", cell_id, note, grade=True, solution=True, points=points)


# ------------------------------------------------------------------ what a layout's texts may use


def _actor_table() -> str:
    rows = [
        f"| {a.code} | {a.name} | {', '.join(a.aliases[:6])} |" for a in load_codebook().actors.values()
    ]
    return "| code | name | some accepted aliases |\n| --- | --- | --- |\n" + "\n".join(rows)


BEFORE_YOU_SUBMIT = """
**Before you submit.** Run every cell (Run → Run All Cells), then save (Ctrl+S). The format check
under the answer cell must say **Format OK**; if it says **Not ready to submit**, fix what it lists.
The **Validate** button above the notebook shows the same list. Submitting does not check anything
itself, so this is your check. Then submit: Nbgrader → Assignment List, and **Submit** beside this
assignment (or upload this notebook where your course collects work).

**Your feedback.** Once it is released: in the Assignment List, click **Fetch Feedback**, then
**(view feedback)** beside your submission. That opens a folder in the file browser on the left:
double-click the `.html` file in it. The page opens with a **Trust HTML** button above it; you do
not need it, the page reads fine as it is.
""".strip()


def _issue_table(key_file: Path) -> str:
    codebook = load_codebook()
    issues = dict.fromkeys(issue for issue, _ in load_key_positions(key_file))
    rows = [f"| {codebook.issues[i].name} | {codebook.issues[i].proposition} |" for i in issues]
    scale = "\n".join(f"- `{value}`: {meaning}" for value, meaning in codebook.stances.items())
    return "| issue | proposition |\n| --- | --- |\n" + "\n".join(rows) + "\n\n" + scale


def _discussion_list(key_file: Path) -> str:
    discussion = [r for r in load_answer_key(key_file) if not r.autograde and not r.worked_example]
    return "\n".join(f"- **{r.id}** ({r.paragraph}): “{r.quote}”" for r in discussion)


def _plan_branches() -> str:
    return "\n".join(f'- `"{word}"`: {meaning}' for word, meaning in PLAN_BRANCHES.items())


class _Values(dict):
    """The {names} a layout's text may use, each computed only when a text uses it."""

    def __init__(self, builders: dict[str, Callable[[], object]], where: str) -> None:
        super().__init__()
        self.builders, self.where = builders, where

    def __missing__(self, name: str) -> object:
        if name not in self.builders:
            raise RegistryError(f"{self.where}: {{{name}}} is not a value a text can use; "
                                f"it can use {', '.join(sorted(self.builders))}")
        self[name] = self.builders[name]()
        return self[name]

    def fill(self, cell: Cell) -> str:
        """The cell's text with its {names} filled in."""
        try:
            return cell.text.format_map(self)
        except RegistryError:
            raise
        except (ValueError, LookupError, AttributeError, TypeError) as error:  # {x, {authors[nobody]}
            where = f"{self.where}, cell {cell.id!r}"
            raise RegistryError(f"{where}: {error!r} (a brace is written {{{{ or }}}})") from error


def _values(assignment: Assignment, items: list[Item], key_file: Path) -> _Values:
    builders: dict[str, Callable[[], object]] = {
        "items": lambda: len(items),
        "before_you_submit": lambda: BEFORE_YOU_SUBMIT,
        "actor_table": _actor_table,
        "issue_table": lambda: _issue_table(key_file),
        "plan_branches": _plan_branches,
        "discussion_list": lambda: _discussion_list(key_file),
        "authors": authors,
    }
    return _Values(builders, f"assignments.yaml, assignment {assignment.id!r}")


# ------------------------------------------------------------------ the notebooks


def _cells(layout_cell: Cell, assignment: Assignment, items: list[Item], key_file: Path) -> list[dict]:
    """The notebook cells one entry of the registry's layout stands for."""
    values = _values(assignment, items, key_file)
    match layout_cell.kind:
        case "markdown":
            return [_read_only(layout_cell.id, values.fill(layout_cell))]
        case "setup":
            return [_setup_cell(items)]
        case "answers":
            return [_answer_cell(assignment, items, key_file)]
        case "format_check":
            return [_check_cell(items)]
        case "hidden":
            return [_hidden_cell(part, _points(items, part.id)) for part in assignment.parts]
        case "hand_graded":
            values["points"] = layout_cell.points
            question = _question(f"{layout_cell.id}_question", values.fill(layout_cell))
            return [question, _manual_answer(layout_cell.id, layout_cell.points)]
    raise RegistryError(f"assignment {assignment.id!r}: no layout cell {layout_cell.kind!r}")


def build_notebook(assignment: str, key_file: Path) -> dict:
    """The nbgrader source notebook of an assignment, from the registry and key in `key_file`'s folder,
    as a JSON-ready dict."""
    registered = assignments(key_file)[assignment]
    items = load_items(assignment, key_file=key_file)
    cells = [cell for entry in registered.layout for cell in _cells(entry, registered, items, key_file)]
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def notebook_text(notebook: dict) -> str:
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def write_assignments(course: Course) -> list[Path]:
    """Write every assignment's source notebook into the course's source folder, from its registry
    and key."""
    written = []
    for assignment in assignments(course.key_file):
        path = notebook_path(assignment, course.source)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(notebook_text(build_notebook(assignment, course.key_file)), encoding="utf-8")
        written.append(path)
    return written
