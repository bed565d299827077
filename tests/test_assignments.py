"""The graded assignments through the real nbgrader command line and a real gradebook.

One throwaway course (nbgrader_config.py and the two assignment folders, copied into a temporary
folder) is generated, submitted by several students at once, autograded, and given feedback. The
hidden tests read the instructor's answer key, as they do in the real course.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from peninsula.grader.assignments import build_notebook, notebook_path, notebook_text
from peninsula.grader.course import Course
from peninsula.grader.demo import fill_answers
from peninsula.grader.key import assignments, load_items, model_answers
from peninsula.grader.leaks import leaks_in_text

ROOT = Path(__file__).resolve().parents[1]
KEY = Course(ROOT).key_file  # the key of this repository's course
ASSIGNMENTS = assignments(KEY)  # the course's registry, beside its key
BIN = Path(sys.executable).parent
A1, A2 = ASSIGNMENTS


def run_nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True, timeout=600
    )


# ------------------------------------------------------------------ what the students hand in


def answers_source(answers: dict) -> str:
    lines = "".join(f"    {key!r}: {value!r},\n" for key, value in answers.items())
    return "answers = {\n" + lines + "}\n"


def with_answers(release: dict, source: str, extra_cells: tuple[str, ...] = ()) -> dict:
    """The release notebook with its answer cell replaced, plus any cells the student added."""
    notebook = copy.deepcopy(release)
    index = next(i for i, c in enumerate(notebook["cells"]) if c["metadata"].get("nbgrader", {}).get("solution"))
    notebook["cells"][index]["source"] = source
    added = [
        {"cell_type": "code", "id": f"student{n}", "metadata": {}, "source": s, "outputs": [], "execution_count": None}
        for n, s in enumerate(extra_cells)
    ]
    notebook["cells"][index + 1 : index + 1] = added
    return notebook


def answer_cell(notebook: dict) -> str:
    return "".join(next(c for c in notebook["cells"] if c["id"] == "answers")["source"])


def plain_lines(release: dict, answers: dict, *extra_lines: str) -> dict:
    """The release with `answers` typed on its plain `ID:` lines, and any other lines added at the end."""
    typed = fill_answers(answer_cell(release), answers)
    return with_answers(release, "\n".join([typed, *extra_lines]) + "\n")


def except_items(answers: dict, *ids: str) -> dict:
    return {k: v for k, v in answers.items() if k not in ids}


HALF_A1 = {"R11": "rok", "R13": "US, Japan", "R21": "US", "R24": "South Korea", "R27": "North Korea, US", "R36": "us"}
REBINDING_CELL = """
print = None
float = str
round = lambda *args: 99
def check_format(*args, **kwargs):
    pass
def hidden_test(*args, **kwargs):
    return 17
_peninsula_grading = None
"""
HALF_A2 = {
    "A01": "trivedi", "A02": "Trivedi",
    "S01": 1, "S02": "0", "S05": "Not addressed", "S06": "not addressed",
    "P01": "success", "P05": "unproductive",
    "E01": "T7", "E02": "C6",
}


@dataclass(frozen=True)
class Student:
    name: str
    assignment: str
    expected: dict[str, float]  # hidden test cell -> score

    def notebook(self, course: Path) -> dict:
        release = json.loads((course / "release" / self.assignment / f"{self.assignment}.ipynb").read_text())
        a1_model, a2_model = model_answers(A1, KEY), model_answers(A2, KEY)
        return {
            "a1_solution": lambda: json.loads(notebook_path(A1, course / "course").read_text()),
            "a1_untouched": lambda: release,
            "a1_half": lambda: with_answers(release, answers_source(HALF_A1)),
            "a1_typos": lambda: with_answers(
                release, answers_source(a1_model | {"R08": "Soth Korea", "R21": "US, Soth Korea"})
            ),
            "a1_missing": lambda: with_answers(
                release, answers_source(except_items(a1_model, "R02", "R21") | {"R99": "US", "R100": [1]})
            ),
            "a1_types": lambda: with_answers(
                release, answers_source(a1_model | {"R03": 5, "R04": ["US", 7], "R22": None, "R23": {"US": 1}})
            ),
            "a1_raises": lambda: with_answers(release, 'answers = {"R02": US}\n'),
            "a1_rebinds": lambda: with_answers(release, answers_source(HALF_A1), (REBINDING_CELL,)),
            "a1_deleted": lambda: {
                **(nb := with_answers(release, answers_source(a1_model))),
                "cells": [c for c in nb["cells"] if c["id"] not in ("hidden_cronin", "format_check")],
            },
            "a1_plain_half": lambda: plain_lines(release, HALF_A1),
            "a1_plain_slips": lambda: plain_lines(
                release,
                a1_model | {"R08": '"' + a1_model["R08"], "R13": f"{a1_model['R13']},", "R21": ""},
                "I am not sure about these!",
                f"R21 {a1_model['R21']}",
            ),
            "a2_plain_model": lambda: plain_lines(release, a2_model),
            "a2_solution": lambda: json.loads(notebook_path(A2, course / "course").read_text()),
            "a2_untouched": lambda: release,
            "a2_half": lambda: with_answers(release, answers_source(HALF_A2)),
            "a2_junk": lambda: with_answers(
                release,
                answers_source(
                    except_items(a2_model, "E07")
                    | {"A01": "Trivdi", "S01": "two", "S03": 2.5, "P01": "sucess", "E01": "T20", "X1": 1}
                ),
            ),
        }[self.name]()


def full(assignment: str) -> dict[str, float]:
    return {f"hidden_{part}": float(len(load_items(assignment, part, key_file=KEY))) for part in ASSIGNMENTS[assignment].part_ids}


def zero(assignment: str) -> dict[str, float]:
    return dict.fromkeys(full(assignment), 0.0)


STUDENTS = [
    Student("a1_solution", A1, full(A1)),
    Student("a1_untouched", A1, zero(A1)),
    Student("a1_half", A1, {"hidden_trivedi": 1.67, "hidden_cronin": 3}),  # R27: North Korea + US is accepted
    Student("a1_typos", A1, {"hidden_trivedi": 15, "hidden_cronin": 17.5}),
    Student("a1_missing", A1, {"hidden_trivedi": 15, "hidden_cronin": 17}),
    Student("a1_types", A1, {"hidden_trivedi": 14, "hidden_cronin": 16}),
    Student("a1_raises", A1, zero(A1)),
    Student("a1_rebinds", A1, {"hidden_trivedi": 1.67, "hidden_cronin": 3}),  # R27: North Korea + US is accepted
    Student("a1_deleted", A1, full(A1)),
    Student("a1_plain_half", A1, {"hidden_trivedi": 1.67, "hidden_cronin": 3}),  # as a1_half
    Student("a1_plain_slips", A1, full(A1) | {"hidden_cronin": full(A1)["hidden_cronin"] - 1}),
    Student("a2_plain_model", A2, full(A2)),
    Student("a2_solution", A2, full(A2)),
    Student("a2_untouched", A2, zero(A2)),
    Student("a2_half", A2, {"hidden_attributions": 1, "hidden_stances": 2, "hidden_plan_b": 1, "hidden_evidence": 1}),
    Student("a2_junk", A2, {"hidden_attributions": 7, "hidden_stances": 8, "hidden_plan_b": 6, "hidden_evidence": 5}),
]




def student(name: str) -> Student:
    return next(s for s in STUDENTS if s.name == name)


# ------------------------------------------------------------------ one course run for the whole module


@dataclass(frozen=True)
class CourseRun:
    root: Path
    generate: dict[str, subprocess.CompletedProcess]
    autograde: dict[str, subprocess.CompletedProcess]
    feedback: dict[str, subprocess.CompletedProcess]

    def release_files(self) -> list[Path]:
        return sorted(p for p in (self.root / "release").rglob("*") if p.is_file())

    def graded(self, student: Student) -> dict:
        return json.loads((self.root / "autograded" / student.name / student.assignment / f"{student.assignment}.ipynb").read_text())

    def feedback_html(self, student: Student) -> str:
        return (self.root / "feedback" / student.name / student.assignment / f"{student.assignment}.html").read_text()


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> CourseRun:
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "course", root / "course")  # the grader reads this course's own key
    shutil.copytree(ROOT / "source_texts", root / "source_texts")
    generate = {a: run_nbgrader(root, "generate_assignment", a) for a in ASSIGNMENTS}
    for submission in STUDENTS:
        folder = root / "submitted" / submission.name / submission.assignment
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
        (folder / f"{submission.assignment}.ipynb").write_text(json.dumps(submission.notebook(root)))
    autograde = {a: run_nbgrader(root, "autograde", a) for a in ASSIGNMENTS}
    feedback = {a: run_nbgrader(root, "generate_feedback", a) for a in ASSIGNMENTS}
    return CourseRun(root, generate, autograde, feedback)


def scores(course: CourseRun, student: Student) -> dict[str, float | None]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(student.assignment, student.assignment, student.name)
        return {grade.name: grade.auto_score for grade in notebook.grades}


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebooks_are_what_the_key_generates(assignment):
    """The committed notebooks agree with the key; after editing the key, run `peninsula build-assignments`."""
    assert notebook_path(assignment, ROOT / "course").read_text(encoding="utf-8") == notebook_text(build_notebook(assignment, KEY))
    cells = {cell["id"]: cell for cell in build_notebook(assignment, KEY)["cells"]}
    answer_cell = cells["answers"]["source"]
    comments = " ".join(line.strip().lstrip("#").strip() for line in answer_cell.splitlines())
    items = load_items(assignment, key_file=KEY)
    assert answer_cell.startswith("%%answers\n")
    assert re.findall(r"^(\w+):$", answer_cell, re.MULTILINE) == [item.id for item in items]
    for item in items:
        assert (f"{item.where}: “{item.prompt}”" if item.where else item.prompt) in comments
    for part in ASSIGNMENTS[assignment].part_ids:
        assert cells[f"hidden_{part}"]["metadata"]["nbgrader"]["points"] == len(load_items(assignment, part, key_file=KEY))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_generate_assignment_succeeds(course, assignment):
    result = course.generate[assignment]
    assert result.returncode == 0, result.stderr
    assert (course.root / "release" / assignment / f"{assignment}.ipynb").is_file()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_autograde_runs_every_submission_without_failures(course, assignment):
    result = course.autograde[assignment]
    assert result.returncode == 0, result.stderr[-3000:]
    for submission in (s for s in STUDENTS if s.assignment == assignment):
        assert (course.root / "autograded" / submission.name / assignment).is_dir(), submission.name


@pytest.mark.parametrize("student", STUDENTS, ids=lambda s: s.name)
def test_each_submission_gets_the_expected_automatic_score(course, student):
    got = scores(course, student)
    assert {k: v for k, v in got.items() if k.startswith("hidden_")} == pytest.approx(student.expected)


def graded_output(course: CourseRun, student: Student, cell_id: str) -> str:
    cell = next(c for c in course.graded(student)["cells"] if c["id"] == cell_id)
    assert all(o.get("name") != "stderr" and o["output_type"] != "error" for o in cell["outputs"])
    return "".join("".join(o["text"]) for o in cell["outputs"] if o["output_type"] == "stream")


@pytest.mark.parametrize(
    ("name", "cell_id", "messages"),
    [
        ("a1_typos", "hidden_trivedi", ["R08: not correct ('Soth Korea' is not an actor name; did you mean South Korea?)"]),
        ("a1_typos", "hidden_cronin", ["R21: partly correct ('Soth Korea' is not an actor name; did you mean South Korea?)"]),
        ("a1_missing", "hidden_trivedi", ["R02: no answer", "R03: correct"]),
        ("a1_types", "hidden_trivedi", ["R03: not correct (5 (a number) is not a list of names", "R04: not correct"]),
        ("a1_raises", "hidden_trivedi", ["line 1: type each answer as text between the quotes; the answer cell cannot compute its answers"]),
        ("a1_untouched", "hidden_cronin", ["R21: no answer", "Score for this part: 0 of 18"]),
        ("a1_plain_slips", "hidden_trivedi", ["R08: correct", "R13: correct"]),
        ("a1_plain_slips", "hidden_cronin", ["R21: a colon is missing after the id; write `R21: your answer`"]),
        ("a2_junk", "hidden_attributions", ["A01: not correct ('Trivdi' is not one of the authors; did you mean Trivedi?)"]),
        ("a2_junk", "hidden_evidence", ["E01: not correct ('T20' is not a paragraph; they run T1 to T19)", "E07: no answer"]),
    ],
)
def test_hidden_tests_say_what_went_wrong_on_stdout(course, name, cell_id, messages):
    output = graded_output(course, student(name), cell_id)
    for message in messages:
        assert message in output


def test_format_check_in_the_graded_copy_names_extra_and_missing_ids(course):
    cell = next(c for c in course.graded(student("a1_missing"))["cells"] if c["id"] == "format_check")
    text = "".join("".join(o.get("text", "")) for o in cell["outputs"])
    assert "R99: not an item in this assignment; delete this line" in text
    assert "R02: missing; put its line back in the answer cell" in text


def test_manual_questions_wait_for_the_instructor(course):
    assert scores(course, student("a1_solution"))["discussion"] is None
    assert scores(course, student("a2_solution"))["essay"] is None


# ------------------------------------------------------------------ nothing from the key leaks out


SOLUTION_MARKERS = ["BEGIN SOLUTION", "model_answers", "Instructor copy", "BEGIN HIDDEN TESTS", "hidden_test(",
                    "answer_key", "accepted:", '"accepted"', "full_credit"]


def assert_no_key(text: str, where: str) -> None:
    assert leaks_in_text(text, assignment_material=True, key_file=KEY) == [], where


def test_release_holds_no_solution_key_value_or_digest(course):
    files = course.release_files()
    assert [p.name for p in files] == ["comparing_positions.ipynb", "who_must_act.ipynb"]
    for path in files:
        text = path.read_text(encoding="utf-8")
        for marker in SOLUTION_MARKERS:
            assert marker not in text, (path.name, marker)
        assert_no_key(text, path.name)


def test_release_still_shows_ids_quotes_and_paragraphs(course):
    source = answer_cell(json.loads((course.root / "release" / A1 / f"{A1}.ipynb").read_text()))
    comments = " ".join(line.strip().lstrip("#").strip() for line in source.splitlines())
    for item in load_items(A1, key_file=KEY):
        assert f"\n{item.id}:\n" in source and f"{item.where}: “{item.prompt}”" in comments


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_holds_no_key_and_no_hidden_test_source(course, assignment):
    assert course.feedback[assignment].returncode == 0, course.feedback[assignment].stderr[-3000:]
    for submission in (s for s in STUDENTS if s.assignment == assignment):
        html = course.feedback_html(submission)
        for marker in ("BEGIN HIDDEN TESTS", "_peninsula_grading.hidden_test", "import peninsula.grading as", "answer_key"):
            assert marker not in html, (submission.name, marker)
        if not submission.name.endswith(("half", "typos", "missing", "types", "rebinds", "deleted", "junk", "slips", "model",
                                                   "solution")):
            assert_no_key(html, submission.name)  # these students typed no correct answer themselves
    solution = course.feedback_html(student(f"a{list(ASSIGNMENTS).index(assignment) + 1}_solution"))
    assert re.search(r"[RA]\d\d: correct", solution)


# ------------------------------------------------------------------ nbgrader validate


def test_validate_shows_the_friendly_format_messages(course, tmp_path):
    release = json.loads((course.root / "release" / A1 / f"{A1}.ipynb").read_text())
    notebooks = {
        "typos": with_answers(release, answers_source(model_answers(A1, KEY) | {"R08": "Soth Korea"})),
        "plain": plain_lines(release, model_answers(A1, KEY) | {"R08": '"Soth Korea'}, "a stray line (with a quote\""),
    }
    paths = []
    for name, notebook in notebooks.items():
        paths.append(tmp_path / name / f"{A1}.ipynb")
        paths[-1].parent.mkdir()
        paths[-1].write_text(json.dumps(notebook))
    result = run_nbgrader(course.root, "validate", str(course.root / "release" / A2 / f"{A2}.ipynb"), *map(str, paths))
    assert result.returncode == 0  # validate exits 0 even when validation fails: read its output
    assert result.stdout.count("VALIDATION FAILED") == 3
    assert f"Not ready to submit: {len(load_items(A2, key_file=KEY))} problems to fix in the answer cell." in result.stdout
    assert "A01: no answer yet" in result.stdout
    assert result.stdout.count("R08: 'Soth Korea' is not an actor name; did you mean South Korea?") == 2
    assert re.search(r"line \d+: `a stray line \(wit\.\.\.` cannot be read; write `ID: answer`", result.stdout)
    assert "R09:" not in result.stdout and "not correct" not in result.stdout  # format only


@pytest.mark.parametrize("assignment", [A1, A2])
def test_every_grade_cell_follows_a_grade_or_solution_cell(assignment):
    """nbgrader can restore a deleted grade cell only after a grade or solution cell: after a read-only
    cell, OverwriteCells.add_missing_grade_cells raises KeyError and the submission fails."""
    cells = json.loads(notebook_path(assignment, ROOT / "course").read_text(encoding="utf-8"))["cells"]
    flags = [c["metadata"].get("nbgrader") for c in cells]
    source_cells = [f for f in flags if f and (f.get("locked") or f.get("grade") or f.get("solution"))]
    for previous, cell in itertools.pairwise(source_cells):
        if cell.get("grade"):
            assert previous.get("grade") or previous.get("solution"), (assignment, cell["grade_id"])
