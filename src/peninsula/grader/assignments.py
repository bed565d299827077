"""`peninsula build-assignments`: write the nbgrader source notebooks of the graded assignments.

The items come from the instructor-only answer key, but only their public parts reach what students
get: ids, the quotes and paragraph ids of recommendations, and the prompts written for Assignment 2
(statements, actions, claims, issue names). The model answers sit only in the answer cell's solution
region, which `nbgrader generate_assignment` strips (and `peninsula release` checks for leaks).
The hidden test cells hold no code: the grader writes their scores (`peninsula.grader.autograde`).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from peninsula.answers import MAGIC_LINE, PLAN_BRANCHES, authors, compact_ids
from peninsula.codebook import NOT_ADDRESSED, load_codebook
from peninsula.grader.course import Course
from peninsula.grader.key import PARTS, Item, load_answer_key, load_items, load_key_positions, model_answers

WIDTH = 100
DISCUSSION_POINTS = 5
ESSAY_POINTS = 6
PART_TITLES = {
    "trivedi": "the Trivedi recommendations",
    "cronin": "the Cronin recommendations",
    "attributions": "Part 1, who wrote it",
    "stances": "Part 2, stances",
    "plan_b": "Part 3, Cronin's conditional plan",
    "evidence": "Part 4, evidence",
}
PART_INSTRUCTIONS = {
    "trivedi": "Trivedi, PacNet #28 (April 2018). Type the actor(s) who must act.",
    "cronin": "Cronin, Foreign Policy (14 January 2019). Type the actor(s) who must act.",
    "attributions": "Part 1. Who makes this point? Type Trivedi or Cronin.",
    "stances": f"Part 2. Stance on the proposition: a whole number from -2 to 2, or {NOT_ADDRESSED}.",
    "plan_b": "Part 3. When does Cronin recommend this? success, unproductive or neither.",
    "evidence": "Part 4. One paragraph id that supports the claim, such as T6 or C17.",
}


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


def _answer_cell(assignment: str, items: list[Item], key_file: Path) -> dict:
    """The answer cell: `%%answers`, then one `ID:` line per item under its prompt, as plain lines.
    The model answers sit in the solution region, which the release strips."""
    model = model_answers(assignment, key_file)
    lines = [MAGIC_LINE, *ANSWERS_PREAMBLE[assignment].strip("\n").split("\n")]
    for part in PARTS[assignment]:
        lines += [f"# ---- {PART_INSTRUCTIONS[part]}"]
        for item in (i for i in items if i.part == part):
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
ANSWERS_PREAMBLE = {
    "who_must_act": (
        "# Type after each id who must carry out the recommendation, like this:  Rxx: US, South Korea\n"
        "# Several actors: separate them with commas. Codes, names or aliases from the table, any case.\n"
        + HOW_TO_TYPE
    ),
    "comparing_positions": "# Type each answer after its id, like this:  Axx: Trivedi  or  Sxx: -1\n"
    + HOW_TO_TYPE,
}


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
    return _cell("code", "format_check", source, grade=True, locked=True, points=0)


def _hidden_cell(assignment: str, part: str, points: int) -> dict:
    source = f"""
# {PART_TITLES[part][0].upper()}{PART_TITLES[part][1:]} ({points} points). When your work is graded, the
# grader reads the text of your answer cell and writes your score and a verdict for each item here.
# Running this cell does nothing, and nothing your notebook prints or computes changes the score.
"""
    return _cell("code", f"hidden_{part}", source, grade=True, locked=True, points=points)


def _points(items: list[Item], part: str) -> int:
    """One point per item, so a hidden test cell is worth as many points as its part has items."""
    return sum(item.part == part for item in items)


def _manual_answer(cell_id: str, points: int) -> dict:
    # The whole cell is the solution region: the release shows nbgrader's "YOUR ANSWER HERE".
    note = "Instructor copy: grade with the rubric above. The key's notes give the intended readings."
    return _cell("markdown", cell_id, note, grade=True, solution=True, points=points)


# ------------------------------------------------------------------ the two notebooks


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


def _who_must_act_cells(items: list[Item], key_file: Path) -> list[dict]:
    discussion = [r for r in load_answer_key(key_file) if not r.autograde and not r.worked_example]
    discussion_list = "\n".join(f"- **{r.id}** ({r.paragraph}): “{r.quote}”" for r in discussion)
    total = len(items)
    return [
        _read_only("intro", f"""
# Assignment 1: Who must act?

Both commentaries are full of advice. For each of the {total} recommendations below, decide **who has
to carry it out**: not who is named, addressed or helped, but who must act for it to happen (the
codebook's rules, lesson 2). Read the paragraph each one comes from in `source_texts/` first.

**How to answer.** In the answer cell, type the actor(s) after each id and its colon, like
`Rxx: Japan` or `Rxx: US, South Korea` (Rxx stands for the id): no quotes needed. Use the codes,
names or aliases below, in any case. Running the answer cell checks what you typed at once, and so
does the format check under it: it lists anything it cannot read ("no answer yet", a misspelt
name). It does not tell you whether you are right.

{_actor_table()}

**How it is graded.** Each recommendation is worth one point. You earn the overlap between your set
of actors and the best accepted answer: the number of actors in both, divided by the number in
either. An exact answer earns 1; "US" where the answer is "US and South Korea" earns 1/2; an empty
answer or a name that is not recognised earns nothing. The last question is graded by hand.

The widgets from the lessons can help you explore the texts, but only what you type in the answer
cell counts: save the notebook after typing.

{BEFORE_YOU_SUBMIT}
"""),
        _setup_cell(items),
        _answer_cell("who_must_act", items, key_file),
        _check_cell(items),
        *(_hidden_cell("who_must_act", part, _points(items, part)) for part in PARTS["who_must_act"]),
        _question("discussion_question", f"""
## A hard case ({DISCUSSION_POINTS} points, graded by hand)

These recommendations are left out of the automatic grading because they can be read more than one
way. Pick **one**, say who must act, and argue for your reading in 150 to 250 words.

{discussion_list}

**Rubric.**

| points | what earns them |
| --- | --- |
| 1 | Names the item and quotes the words your reading depends on. |
| 2 | Says who must act and tells the actor apart from the target, the beneficiary and whoever is addressed. |
| 1 | Argues from the text: the grammar (voice, subject), the paragraph around it, the codebook's rules. |
| 1 | States the strongest other reading and explains why yours is better, or why the text cannot settle it. |
"""),
        _manual_answer("discussion", DISCUSSION_POINTS),
    ]


def _issue_table(key_file: Path) -> str:
    codebook = load_codebook()
    issues = dict.fromkeys(issue for issue, _ in load_key_positions(key_file))
    rows = [f"| {codebook.issues[i].name} | {codebook.issues[i].proposition} |" for i in issues]
    scale = "\n".join(f"- `{value}`: {meaning}" for value, meaning in codebook.stances.items())
    return "| issue | proposition |\n| --- | --- |\n" + "\n".join(rows) + "\n\n" + scale


def _comparing_positions_cells(items: list[Item], key_file: Path) -> list[dict]:
    branches = "\n".join(f'- `"{word}"`: {meaning}' for word, meaning in PLAN_BRANCHES.items())
    return [
        _read_only("intro", f"""
# Assignment 2: Comparing positions

{authors()["trivedi"]} wrote in April 2018, before the first inter-Korean summit of that year;
{authors()["cronin"]} wrote on 14 January 2019, after the Singapore summit and with a second Trump–Kim
summit in view. This assignment compares what each of them argues.

**Part 1.** Each statement paraphrases a point made in one of the texts. Decide whose point it is.

**Part 2.** Place each author on each issue below, on the codebook's scale. One step away from
the accepted stance earns half the point.

{_issue_table(key_file)}

**Part 3.** Cronin's plan has two branches. For each action, say when he recommends it:

{branches}

**Part 4.** For each claim, give the id of a paragraph that supports it. Any paragraph that
supports the claim earns the point.

Every item is worth one point. Type each answer in the answer cell after its id and colon, with
no quotes, like `Axx: Trivedi`, `Sxx: -1`, `Sxx: not addressed`, `Pxx: success`, `Exx: T6` (xx
stands for the id's number). Running the answer cell checks what you typed, and so does the format
check under it: it lists anything it cannot read, but never says whether an answer is right. You
may explore the texts with the lessons' widgets, but only what you type in the answer cell counts
(widget settings are not saved with your answers), so save the notebook after typing.

{BEFORE_YOU_SUBMIT}
"""),
        _setup_cell(items),
        _answer_cell("comparing_positions", items, key_file),
        _check_cell(items),
        *(
            _hidden_cell("comparing_positions", part, _points(items, part))
            for part in PARTS["comparing_positions"]
        ),
        _question("essay_question", f"""
## Essay ({ESSAY_POINTS} points, graded by hand)

Nine months separate the two commentaries. In 300 to 400 words, explain why Trivedi and Cronin
weigh **alliance management** and **diplomacy with North Korea** differently. Cite paragraph ids
for your evidence, e.g. (T5) or (C17).

**Rubric.**

| points | what earns them |
| --- | --- |
| 2 | Places each text in its moment with details from the texts (what has and has not happened yet). |
| 2 | Compares how each author treats alliance management, with at least one paragraph id for each. |
| 1 | Compares the weight each gives to diplomacy and summits, with evidence. |
| 1 | Explains the difference (events between the texts, what each author fears most), in clear prose. |
"""),
        _manual_answer("essay", ESSAY_POINTS),
    ]


def build_notebook(assignment: str, key_file: Path) -> dict:
    """The nbgrader source notebook of an assignment, from the key in `key_file`, as a JSON-ready dict."""
    items = load_items(assignment, key_file=key_file)
    cells_of = _who_must_act_cells if assignment == "who_must_act" else _comparing_positions_cells
    cells = cells_of(items, key_file)
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
    """Write every assignment's source notebook into the course's source folder, from its key."""
    written = []
    for assignment in PARTS:
        path = notebook_path(assignment, course.source)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(notebook_text(build_notebook(assignment, course.key_file)), encoding="utf-8")
        written.append(path)
    return written
