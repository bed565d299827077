"""The answer cell: plain lines and the earlier dictionary read alike, hostile cells read in bounded
time, and a plain-line cell that never stops Run All in a real kernel."""

from __future__ import annotations

import random
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from peninsula.answer_cell import MAX_ANSWER_CHARACTERS, read_answer_cell
from peninsula.answers import NOT_RUN, cell_problems, check_format
from peninsula.grader.assignments import build_notebook
from peninsula.grader.course import Course
from peninsula.grader.demo import answer_cell_source, answer_for, plan_class
from peninsula.grader.key import assignments, load_items
from peninsula.grader.scoring import score_part

KEY = Course(Path(__file__).parents[1]).key_file  # the key of this repository's course
ASSIGNMENTS = assignments(KEY)  # the course's registry, beside its key

#: Generous: every hostile cell below reads in milliseconds here; a backtracking reader took minutes.
BOUND_SECONDS = 10.0


def released_answer_cell(assignment: str) -> str:
    """The answer cell as students get it: the source cell without its solution region."""
    source = next(c for c in build_notebook(assignment, KEY)["cells"] if c["id"] == "answers")["source"]
    return source[: source.index("### BEGIN SOLUTION")]


def scores(assignment: str, source: str) -> list[float]:
    cell = read_answer_cell(source)
    return [score_part(load_items(assignment, part, key_file=KEY), cell.answers, 10)[0] for part in ASSIGNMENTS[assignment].part_ids]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_demo_class_grades_the_same_in_both_formats(assignment):
    items, released = load_items(assignment, key_file=KEY), released_answer_cell(assignment)
    rng = random.Random(1)
    for student in plan_class(12):
        answers = {item.id: answer_for(item, student.accuracy, rng) for item in items}
        plain = answer_cell_source(released, answers, "plain lines")
        dictionary = answer_cell_source(released, answers, "dictionary")
        assert plain.startswith("%%answers") and dictionary.startswith("answers = {")
        assert scores(assignment, plain) == scores(assignment, dictionary), student.student_id
        ids = [item.id for item in items]
        plain_problems = cell_problems(read_answer_cell(plain), ids)
        assert plain_problems == cell_problems(read_answer_cell(dictionary), ids)


def test_plain_lines_forgive_quotes_commas_case_and_comments():
    cell = read_answer_cell(
        '%%answers\n# a note\nr02: "US, South Korea",\nS01: −1   # unsure\nE01: “T6”\nA01: Trivedi\n'
    )
    assert cell.plain and cell.problems == []
    assert cell.answers == {"R02": "US, South Korea", "S01": "−1", "E01": "T6", "A01": "Trivedi"}
    assert cell_problems(cell, ["R02", "S01", "E01", "A01"]) == []


def test_plain_line_slips_are_named_by_line_and_cost_only_their_item():
    source = "%%answers\nR02 US\nwhat is this?\nR03: Japan\nR03: US\nR04:\n"
    problems = cell_problems(read_answer_cell(source), ["R02", "R03", "R04"])
    assert problems == [
        "line 2: R02: a colon is missing after the id; write `R02: your answer`",
        "line 3: `what is this?` cannot be read; write `ID: answer` or start it with #",
        "line 5: R03: answered twice (also on line 4); the last line counts, delete the other",
        "R04: no answer yet",
    ]
    assert read_answer_cell(source).answers["R03"] == "US"
    assert read_answer_cell(source).typed == {"R02", "R03"}  # typed, readable or not (the leak screen's)


def test_a_plain_cell_without_its_first_line_is_read_and_told_to_put_it_back():
    cell = read_answer_cell("R02: US\nR03: Japan\n")
    assert cell.answers == {"R02": "US", "R03": "Japan"}
    assert cell.problems[0].startswith("line 1: put `%%answers` back as the cell's first line")


def hostile_cells() -> dict[str, tuple[str, str]]:
    """Both formats of each attack: (plain, dictionary). R03 is always typed right."""
    huge_number = "1" * 20_000
    return {
        "padded with 400,000 spaces": (
            "%%answers\nR02: US" + " " * 400_000 + "\nR03: Japan\n",
            'answers = {\n "R02": "US' + " " * 400_000 + '",\n "R03": "Japan",\n}\n',
        ),
        "a 20,000-digit number": (
            f"%%answers\nR02: {huge_number}\nR03: Japan\n",
            f'answers = {{\n "R02": {huge_number},\n "R03": "Japan",\n}}\n',
        ),
        "a 20,000-digit hex number": (
            f"%%answers\nR02: 0x{'f' * 20_000}\nR03: Japan\n",
            f'answers = {{\n "R02": 0x{"f" * 20_000},\n "R03": "Japan",\n}}\n',
        ),
        "thousands of unknown ids": (
            "%%answers\n" + "".join(f"X{i % 1000}: {i}\n" for i in range(5_000)) + "R03: Japan\n",
            "answers = {\n" + "".join(f' "K{i}": {i},\n' for i in range(5_000)) + ' "R03": "Japan",\n}\n',
        ),
        "deep nesting": (
            "%%answers\nR02: " + "[" * 40_000 + "\nR03: Japan\n",
            'answers = {\n "R02": ' + "[" * 5_000 + "]" * 5_000 + ',\n "R03": "Japan",\n}\n',
        ),
        "a huge value": (
            "%%answers\nR02: " + "US, " * 20_000 + "\nR03: Japan\n",
            'answers = {\n "R02": "' + "US, " * 20_000 + '",\n "R03": "Japan",\n}\n',
        ),
        "a line of quotes and hashes": (
            "%%answers\nR02: " + '"#' * 20_000 + "\nR03: Japan\n",
            'answers = {\n "R02": "' + "#" * 40_000 + '\n "R03": "Japan",\n}\n',
        ),
        "a long list": (
            "%%answers\n" + "R02: US\n" * 8_000 + "R03: Japan\n",
            'answers = {\n "R02": [' + '"US", ' * 8_000 + '],\n "R03": "Japan",\n}\n',
        ),
    }


@pytest.mark.parametrize("attack", list(hostile_cells()))
@pytest.mark.parametrize("answer_format", ["plain lines", "dictionary"])
def test_hostile_cells_are_read_in_bounded_time_and_the_typed_answer_still_counts(attack, answer_format):
    source = hostile_cells()[attack][answer_format == "dictionary"]
    started = time.perf_counter()
    cell = read_answer_cell(source)
    problems = cell_problems(cell, ["R02", "R03"])
    report = "\n".join(problems)  # every message prints: no int too long to show, no deep repr
    assert time.perf_counter() - started < BOUND_SECONDS
    assert len(problems) <= 30 and all(len(p) < 300 for p in problems), problems[:3]
    if len(source) <= 100_000 or attack == "padded with 400,000 spaces":
        assert cell.answers.get("R03") == "Japan", (attack, report[:500])
        assert score_part(load_items("who_must_act", "trivedi", key_file=KEY)[:2], cell.answers, 2)[0] >= 0


def test_an_overlong_answer_is_named_and_not_read():
    cell = read_answer_cell("%%answers\nR02: " + "x" * (MAX_ANSWER_CHARACTERS + 1) + "\n")
    assert cell.answers["R02"] is None and "R02" in cell.typed
    assert cell_problems(cell, ["R02"]) == [f"line 2: R02: the answer is over {MAX_ANSWER_CHARACTERS} characters; "
                                            "it was not read"]


def test_unknown_ids_are_named_then_counted():
    cell = read_answer_cell("%%answers\n" + "".join(f"X{i}: 1\n" for i in range(100)) + "R03: Japan\n")
    problems = cell_problems(cell, ["R03"])
    assert problems[0] == "X0: not an item in this assignment; delete this line"
    assert "and 88 more ids that are not items in this assignment" in problems


def test_the_check_says_what_to_do_when_the_answer_cell_has_not_run(capsys, monkeypatch):
    monkeypatch.setattr("peninsula.answers.last_answer_cell_source", lambda: None)
    check_format("R02")
    err = capsys.readouterr().err
    assert err.startswith("Not ready to submit: 1 problem to fix in the answer cell.\n" + NOT_RUN)
    assert "Shift+Enter" in err and "Esc then Y" in err
    assert all(len(line) <= 84 for line in err.splitlines())  # Validate cuts longer lines


def test_run_all_goes_through_a_plain_cell_with_a_missing_quote_and_a_stray_character(tmp_path):
    """A real kernel runs the release's cells: the typos never raise, and both checks name them."""
    notebook = nbformat.from_dict(build_notebook("who_must_act", KEY))
    notebook.cells = [c for c in notebook.cells if c.id in ("setup", "answers", "format_check")]
    answers = notebook.cells[1]
    answers.source = answers.source[: answers.source.index("### BEGIN SOLUTION")]
    answers.source = answers.source.replace("\nR02:\n", '\nR02: "US, South Korea\n', 1) + "R03: Japan)}\n'\n"
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": tmp_path}}).execute()
    outputs = {cell.id: cell.outputs for cell in notebook.cells}
    assert not any(o.output_type == "error" for cell_outputs in outputs.values() for o in cell_outputs)
    for cell_id in ("answers", "format_check"):
        text = "".join(o.get("text", "") for o in outputs[cell_id] if o.get("name") == "stderr")
        assert text.startswith("Not ready to submit:"), (cell_id, text)
        assert "R03: 'Japan)}' is not an actor name" in text
        assert "`'` cannot be read" in text
        assert "R02:" not in text.replace("R02: your answer", "")  # the unclosed quote is forgiven
