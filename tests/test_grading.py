"""The grading logic on its own: parsing, the friendly format check, the partial-credit rule, and
the grader's scoring step on a notebook in memory (with the course's real key)."""

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import DeadKernelError
from nbformat.reader import NotJSONError
from nbformat.v4 import new_code_cell, new_notebook
from traitlets.config import Config

from peninsula.answers import check_format, format_problems, parse
from peninsula.grader.autograde import ScoreAnswers
from peninsula.grader.course import Course
from peninsula.grader.key import Item, assignments, load_items, model_answers
from peninsula.grader.scoring import item_credit

ROOT = Path(__file__).parents[1]
KEY = Course(ROOT).key_file  # the key of this repository's course
ASSIGNMENTS = assignments(KEY)  # the course's registry, beside its key

ACTORS = Item("R90", "trivedi", "a quote", "T1", (frozenset({"US", "ROK"}), frozenset({"US"})))
TRIO = Item("R91", "trivedi", "a quote", "T1", (frozenset({"US", "ROK", "JAPAN"}),))
STANCE = Item("S90", "stances", "Trivedi · an issue", None, (1, 2))
SILENT = Item("S91", "stances", "Cronin · an issue", None, ("not addressed",))
EVIDENCE = Item("E90", "evidence", "a claim", None, ("C5", "C7"))


@pytest.mark.parametrize(
    ("item", "raw", "credit"),
    [
        (TRIO, "US, South Korea, Japan", 1.0),  # exact
        (TRIO, "japan and seoul and the white house", 1.0),  # aliases, any case, "and"
        (TRIO, ["Tokyo", "U.S.", "Moon"], 1.0),  # a list works too
        (TRIO, "US, South Korea", 2 / 3),  # |A∩S| / |A∪S|
        (TRIO, "US", 1 / 3),
        (TRIO, "US, China", 1 / 4),
        (TRIO, "North Korea", 0.0),
        (ACTORS, "US", 1.0),  # an accepted set earns full credit
        (ACTORS, "US, Japan", 0.5),  # the best over the full-credit sets
        (ACTORS, "Soth Korea", 0.0),  # nothing recognised
        (ACTORS, "US, Soth Korea", 1.0),  # graded on what is recognised
        (STANCE, 1, 1.0),
        (STANCE, "+2", 1.0),  # an accepted stance
        (STANCE, 0, 0.5),  # one step off the key's stance
        (STANCE, "-1", 0.0),
        (STANCE, "not addressed", 0.0),
        (SILENT, "Not Addressed", 1.0),
        (SILENT, 0, 0.0),  # no half credit next to "not addressed"
        (EVIDENCE, "c7", 1.0),  # any supporting paragraph
        (EVIDENCE, "[C5]", 1.0),
        (EVIDENCE, "C6", 0.0),
    ],
)
def test_partial_credit_rule(item, raw, credit):
    assert item_credit(item, parse(item.id, raw)[0]) == pytest.approx(credit)


def test_typos_get_a_suggestion_and_name_the_item():
    problems = format_problems({"R07": "Soth Korea", "A01": "Trivdi", "P01": "sucess"}, ["R07", "A01", "P01"])
    assert problems == [
        "R07: 'Soth Korea' is not an actor name; did you mean South Korea?",
        "A01: 'Trivdi' is not one of the authors; did you mean Trivedi?",
        'P01: \'sucess\' is not one of "success", "unproductive", "neither"; did you mean success?',
    ]


def test_format_check_reports_missing_extra_empty_and_wrong_types():
    answers = {"R02": "", "R03": 5, "R04": ["US", 7], "R99": "US", 12: "US", "S01": 2.5, "E01": "C19"}
    problems = format_problems(answers, ["R02", "R03", "R04", "R05", "S01", "E01"])
    assert "R02: no answer yet" in problems
    assert "R05: missing; put its line back in the answer cell" in problems
    assert "R99: not an item in this assignment; delete this line" in problems
    assert "12: not an item in this assignment; delete this line" in problems
    assert 'R03: 5 (a number) is not a list of names; type them in quotes: "US, Japan"' in problems
    assert any(p.startswith("R04: ['US', 7] (a list) is not a list of names") for p in problems)
    assert (
        'S01: 2.5 (a number) is not a stance; give a whole number from -2 to 2, or "not addressed"'
        in problems
    )
    assert "E01: 'C19' is not a paragraph; they run C1 to C18" in problems
    assert format_problems(None, ["R02"]) == [
        "No `answers` found: run the answer cell first (and fix any error it shows)."
    ]
    assert format_problems([1], ["R02"])[0].startswith(
        "`answers` should be the dictionary from the answer cell"
    )


def test_format_check_prints_problems_to_stderr_and_never_judges(capsys):
    items = load_items("who_must_act", key_file=KEY)
    expected = " ".join(item.id for item in items)
    check_format(
        expected, answers_source({item.id: "North Korea" for item in items})
    )  # mostly wrong, well formed
    out, err = capsys.readouterr()
    assert err == "" and out.startswith("Format OK: all 34 answers")
    answers = {item.id: "US" for item in items} | {"R08": "Soth Korea"}
    check_format(expected, answers_source(answers))
    out, err = capsys.readouterr()
    assert out == "" and "R08: 'Soth Korea' is not an actor name; did you mean South Korea?" in err
    assert "correct" not in err


class Sneaky(int):
    """An answer that claims to equal anything."""

    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


class SneakyText(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


JUNK = [object(), b"US", float("nan"), 1e308, -3, {"US": 1}, [None], Sneaky(1), SneakyText("C5"), print, ...]


@pytest.mark.parametrize("kind", ["R90", "A90", "S90", "P90", "E90"])
def test_junk_answers_never_raise_and_earn_nothing(kind):
    item = Item(
        kind, "x", "prompt", None, (frozenset({"US"}),) if kind[0] == "R" else ("C5", 1, "trivedi", "neither")
    )
    for raw in JUNK:
        answer, problems = parse(kind, raw)
        assert problems, raw
        assert item_credit(item, answer) == 0.0, raw


def answers_source(answers: dict) -> str:
    return "answers = {\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in answers.items()) + "}\n"


def graded_cell(part: str, points: float) -> dict:
    return new_code_cell(
        "", metadata={"nbgrader": {"grade": True, "grade_id": f"hidden_{part}", "points": points}}
    )


def score(source: str, part: str = "trivedi", points: float = 16, assignment: str = "who_must_act"):
    """(score, printed lines) that the grader's step writes into a hidden test cell."""
    answer_cell = new_code_cell(source, metadata={"nbgrader": {"grade_id": "answers", "solution": True}})
    cell = graded_cell(part, points)
    cell.outputs = [{"output_type": "stream", "name": "stdout", "text": "forged 17"}]  # what a kernel showed
    notebook = new_notebook(cells=[answer_cell, cell])
    config = Config()
    config.CourseDirectory.root = str(ROOT)
    config.CourseDirectory.source_directory = "course"
    ScoreAnswers(config=config).preprocess(notebook, {"nbgrader": {"assignment": assignment}})
    texts = [o for o in cell.outputs if o.output_type == "stream"]
    value = next(o for o in cell.outputs if o.output_type == "execute_result")
    assert all(o.get("name") != "stderr" for o in cell.outputs)
    return float(value.data["text/plain"]), texts[0].text.splitlines()


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_model_answers_earn_full_marks_in_every_part(assignment):
    source = answers_source(model_answers(assignment, KEY))
    for part in ASSIGNMENTS[assignment].part_ids:
        points = len(load_items(assignment, part, key_file=KEY))
        got, lines = score(source, part, points, assignment)
        assert got == points and not any("not correct" in line for line in lines)


def test_the_grader_prints_verdicts_never_answers():
    answers = {"R08": "Soth Korea", "R11": "south korea", "R13": "US, Japan", "R02": "China"}
    got, lines = score(answers_source(answers))
    assert got == round(1 + 2 / 3, 2)
    assert "R08: not correct ('Soth Korea' is not an actor name; did you mean South Korea?)" in lines
    assert {"R11: correct", "R13: partly correct", "R02: not correct", "R03: no answer"} <= set(lines)
    assert lines[-1] == "Score for this part: 1.67 of 16" and "forged 17" not in lines


def test_scores_scale_and_clamp_to_the_cells_points():
    source = answers_source(model_answers("who_must_act", KEY))
    assert score(source, points=2)[0] == 2.0
    assert score(source, points=0)[0] == 0.0


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "no `answers = {...}` dictionary"),
        ('answers = "US"', "cannot compute its answers"),
        ("answers = dict(R02='US')", "cannot compute its answers"),
        (
            "from peninsula.grader.key import model_answers\nanswers = model_answers('who_must_act')",
            "line 2: type each answer as text between the quotes",
        ),
        ("answers = {" + "[" * 3000 + "}", "cannot read"),
        ("answers = {'R02': 'US'}\n" + "#" * 200_000, "was not read"),
    ],
)
def test_unreadable_or_computed_answer_cells_score_zero_with_a_reason(source, message):
    got, lines = score(source)
    assert got == 0.0 and any(message in line for line in lines), lines


def test_code_around_a_typed_dictionary_is_ignored_not_run():
    source = answers_source({"R11": "ROK"}) + "answers['R02'] = secret_lookup()\nimport os\n"
    got, lines = score(source)
    assert got == 1.0
    assert (
        "line 4: type each answer as text between the quotes; the answer cell cannot compute its answers; this line was ignored"
        in lines
    )


def test_one_typo_costs_one_item_and_the_line_is_named():
    model = model_answers("who_must_act", KEY)
    source = answers_source(model).replace("'R08': 'South Korea',", "'R08': 'South Korea,", 1)
    got, lines = score(source)
    assert got == 15.0
    line = next(number for number, text in enumerate(source.splitlines(), 1) if "'R08'" in text)
    assert f"line {line}: R08: a closing quote is missing after 'South Korea" in lines


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ('    "R08": South Korea,', 'R08: put the answer between quotes, like "South Korea"'),
        ('    "R08": “South Korea”,', "R08: use straight quotes"),
        ('    "R08": "South Korea"', "a comma is missing at the end of the line"),
    ],
)
def test_typos_are_named_in_plain_words(bad_line, message):
    from peninsula.answers import cell_problems, read_answer_cell

    source = f'answers = {{\n    "R02": "US",\n{bad_line}\n    "R12": "DPRK",\n}}\n'
    problems = cell_problems(read_answer_cell(source), ["R02", "R08", "R12"])
    assert any(message in p for p in problems), problems
    assert read_answer_cell(source).answers["R12"] == "DPRK"


def test_a_broken_key_costs_a_message_not_an_error(tmp_path):
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "answer_key.yaml").write_text("recommendations: [{id: R02}]\n", encoding="utf-8")
    shutil.copy(Course(ROOT).assignments_file, tmp_path / "course")
    answer_cell = new_code_cell("answers = {'R02': 'US'}", metadata={"nbgrader": {"grade_id": "answers"}})
    cell = graded_cell("trivedi", 17)
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.source_directory = "course"
    ScoreAnswers(config=config).preprocess(
        new_notebook(cells=[answer_cell, cell]), {"nbgrader": {"assignment": "who_must_act"}}
    )
    assert (
        cell.outputs[-1].data["text/plain"] == "0.0"
        and "could not be scored (KeyError)" in cell.outputs[0].text
    )


def test_items_and_model_answers_agree_with_the_key():
    items = load_items("who_must_act", key_file=KEY)
    assert {i.part for i in items} == {"trivedi", "cronin"}
    for assignment in ASSIGNMENTS:
        for item in load_items(assignment, key_file=KEY):
            assert parse(item.id, model_answers(assignment, KEY)[item.id])[0] in item.full_credit
    with pytest.raises(KeyError, match="not an assignment"):
        load_items("ps9", key_file=KEY)


def test_assignment_2_key_sections_are_anchored_and_well_formed():
    """peninsula check anchors every attribution and plan item; here: the items cover each part."""
    from peninsula.grader.check import check_assignment_items
    from peninsula.texts import load_corpus

    assert check_assignment_items(KEY, load_corpus()) == []
    ids = [item.id for item in load_items("comparing_positions", key_file=KEY)]
    assert len(ids) == len(set(ids)) and {i[0] for i in ids} == {"A", "S", "P", "E"}


def test_the_check_cell_lists_its_ids_as_ranges_that_expand_in_order():
    from peninsula.answers import compact_ids, expand_ids

    for assignment in ("who_must_act", "comparing_positions"):
        ids = [item.id for item in load_items(assignment, key_file=KEY)]
        assert expand_ids(compact_ids(ids)) == ids
    assert compact_ids(["R02", "R03", "R04", "R40", "R08", "A01"]) == "R02-R04 R40 R08 A01"
    assert expand_ids("R02 R03") == ["R02", "R03"]  # plain ids, as older releases wrote them


def test_the_kits_assignments_need_no_kernel_and_an_instructors_test_cell_does(tmp_path):
    from peninsula.grader.execution import cells_needing_a_kernel

    for assignment in ASSIGNMENTS.values():
        assert cells_needing_a_kernel(ROOT / "course" / assignment.id, assignment.graded_from_text) == []
    text_scored = ASSIGNMENTS["who_must_act"].graded_from_text
    source = tmp_path / "who_must_act"
    source.mkdir()
    test_cell = new_code_cell("assert f(2) == 4", metadata={"nbgrader": {"grade": True, "grade_id": "t1", "points": 1}})
    nbformat.write(new_notebook(cells=[test_cell, graded_cell("trivedi", 16)]), source / "mine.ipynb")
    assert cells_needing_a_kernel(source, text_scored) == ["mine:t1"]
    assert cells_needing_a_kernel(tmp_path / "nowhere", text_scored) != []  # unknown: run it, as nbgrader does
    (source / "broken.ipynb").write_text("{")
    assert cells_needing_a_kernel(source, text_scored) == ["(unreadable source broken.ipynb)"]


def test_a_pasted_cell_keeps_its_first_copy_and_the_notes_say_so():
    from peninsula.grader.autograde import KeepFirstCopy

    def answer(source: str):
        return new_code_cell(source, metadata={"nbgrader": {"grade_id": "answers", "solution": True, "grade": False}})

    notebook = new_notebook(cells=[answer("answers = {'R02': 'US'}"), graded_cell("trivedi", 16),
                                   answer("answers = {'R02': 'China'}")])
    notebook.metadata["peninsula"] = {"restored": ["forged by the student"]}
    KeepFirstCopy().preprocess(notebook, {})
    assert notebook.metadata["peninsula"] == {"copies": {"answers": [1, 3]}}
    assert "nbgrader" in notebook.cells[0].metadata and "nbgrader" not in notebook.cells[2].metadata


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (NotJSONError("timeout"), "the notebook file is not valid JSON"),
        (DeadKernelError("a cell ran past the time limit"),
         "the kernel died while running it"),
        (KeyError("Kernel died"), "autograde failed (KeyError; details: exports/who_must_act-grade.log)"),
    ],
)
def test_failure_reasons_come_from_the_exception_type_not_its_words(tmp_path, error, reason):
    from peninsula.grader.course import Course
    from peninsula.grader.grade_failures import failure_reason

    folder = tmp_path / "submitted" / "s1" / "who_must_act"
    folder.mkdir(parents=True)
    (folder / "who_must_act.ipynb").write_text("{")
    course = Course(tmp_path)
    assert failure_reason(course, "who_must_act", "s1", [error], ["who_must_act.ipynb"]) == reason
    assert failure_reason(course, "who_must_act", "s1", [], ["who_must_act.ipynb"]).startswith("autograde failed")
