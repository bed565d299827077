"""What leaves the course folder: the anonymous codings export and the Canvas and Moodle CSVs.

The codings are checked for names, ids and key material (with `peninsula.grader.leaks`); the LMS
files against the columns each system documents for its gradebook import."""

from __future__ import annotations

import csv
import io
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_agreement import A1, demo_course

from peninsula import reliability
from peninsula.grader.agreement import class_agreement
from peninsula.grader.codings import write_codings
from peninsula.grader.course import Course, PipelineError
from peninsula.grader.grade import write_grades
from peninsula.grader.integrity import submitted_class
from peninsula.grader.leaks import leaks_in_text
from peninsula.grader.lms_grades import CANVAS_COLUMNS, MOODLE_COLUMNS, export_grades, lms_csv
from peninsula.grader.statuses import StudentResult

BIN = Path(sys.executable).parent
KEY = Course(Path(__file__).parents[1]).key_file  # the key of this repository's course


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    return Course(demo_course(tmp_path_factory.mktemp("exports") / "course"))


# --- the codings for Lesson 5 ----------------------------------------------------------------


def test_the_codings_export_holds_no_names_ids_or_key(course, tmp_path):
    data = submitted_class(course, A1)
    target = write_codings(course, data, tmp_path / "class_codings.yaml", random.Random(7), "Our class")
    text = target.read_text(encoding="utf-8")
    assert leaks_in_text(text, key_file=course.key_file) == []
    assert not re.search(r"demo\d|Demo|Student \d", text), "a student's id or name"
    assert not re.search(r"\b[A-Z]\d{2}\b", text), "an item id"
    assert not any(student in text for student in data.answers)  # no coder rows: units keep only counts
    assert "credit" not in text and "correct" not in text
    # Anonymous, yet the same α as the class: shuffling units and dropping rows changes nothing.
    panel = reliability.load_panel(target)
    assert reliability.alpha(panel) == pytest.approx(class_agreement(data, resamples=1).alpha)
    other = write_codings(course, data, tmp_path / "again.yaml", random.Random(8), "Our class")
    assert other.read_text(encoding="utf-8") != text  # units are shuffled afresh at every export


def test_the_export_reveals_nothing_a_student_typed_alone(course, tmp_path):
    """A student who knows their own 34 answers cannot find them: no unit says which item it is,
    and every unit counts at least several coders."""
    panel = reliability.load_panel(
        write_codings(course, submitted_class(course, A1), tmp_path / "c.yaml", random.Random(1), "x")
    )
    assert all(unit.coded + unit.uncoded == panel.coders >= 5 for unit in panel.units)
    assert {unit.label for unit in panel.units} == {"US", "CONGRESS", "ROK", "JAPAN", "DPRK", "CHINA"}


def test_a_class_too_small_to_stay_anonymous_is_refused(course, tmp_path):
    data = submitted_class(course, A1)
    few = type(data)(A1, {}, 0.0, data.items, dict(list(data.answers.items())[:4]))
    with pytest.raises(PipelineError, match="at least 5"):
        write_codings(course, few, tmp_path / "c.yaml", random.Random(1), "x")


def test_the_shipped_demo_panel_is_what_demo_class_writes(course, tmp_path):
    target = tmp_path / "demo_panel.yaml"
    subprocess.run([BIN / "peninsula", "demo-class", A1, "--students", "30", "--panel", target, "--course",
                    course.root], cwd=course.root, check=True, capture_output=True, timeout=600)
    assert target.read_bytes() == reliability.DEMO_PANEL_FILE.read_bytes()
    assert leaks_in_text(target.read_text(encoding="utf-8"), key_file=KEY) == []


# --- grades for Canvas and Moodle --------------------------------------------------------------


@pytest.fixture(scope="module")
def graded_rows(course) -> Course:
    """A grades CSV with one student of each status, written by `peninsula grade`'s own writer,
    and the roster's names, emails and LMS ids in the real gradebook."""
    write_grades(course, A1, [
        StudentResult("demo004", "graded", 31.5, 39, ""),
        StudentResult("demo005", "needs manual grading", 20, 39, "open it in the Formgrader"),
        StudentResult("demo001", "failed", reason="a cell ran past the time limit (details: exports/x.log)"),
        StudentResult("demo015", "missing", reason="no submission"),
    ])
    with course.api().gradebook as gradebook:
        gradebook.update_or_create_student("demo004", first_name="Ada", last_name="Lovelace",
                                           email="ada@example.org", lms_user_id="1004")
    return course


def read(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_canvas_gets_its_documented_columns_and_scores_only_for_settled_grades(graded_rows):
    target, unscored = export_grades(graded_rows, A1, "canvas", column="Assignment 1 (4811)")
    header, *rows = read(target)
    # Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then one column
    # per assignment. No other column: an unknown one would be imported as a new assignment.
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Assignment 1 (4811)"]
    assert header[:5] == CANVAS_COLUMNS
    by_login = {row[3]: row for row in rows}
    assert by_login["demo004"] == ["Lovelace, Ada", "1004", "", "demo004", "", "31.5"]
    for student in ("demo005", "demo001", "demo015"):  # provisional, failed, missing: no score, never 0
        assert by_login[student][5] == "", student
    assert [row["student_id"] for row in unscored] == ["demo005", "demo001", "demo015"]


def test_moodle_gets_a_grade_and_a_feedback_column_with_the_status(graded_rows):
    target, _ = export_grades(graded_rows, A1, "moodle")
    header, *rows = read(target)
    assert header == [*MOODLE_COLUMNS, f"{A1} (Real)", f"{A1} (Feedback)"]
    assert header[:5] == MOODLE_COLUMNS == ["First name", "Last name", "Username", "ID number", "Email address"]
    by_user = {row[2]: row for row in rows}
    assert by_user["demo004"] == ["Ada", "Lovelace", "demo004", "1004", "ada@example.org", "31.5", "graded"]
    # Moodle reads "" or "-" as "no grade" and refuses the whole file for any other non-number.
    for row in rows:
        assert row[5] == "-" or float(row[5]) >= 0
    assert by_user["demo005"][5:] == ["-", "provisional: a written answer is still to be graded by hand"]
    assert by_user["demo001"][6] == "not graded: a cell ran past the time limit; please talk to your instructor"
    assert by_user["demo015"][6] == "no submission received"
    assert "exports/" not in target.read_text(encoding="utf-8")  # instructor paths stay out of feedback


def test_an_unknown_lms_and_a_missing_grades_file_are_clear_errors(course, tmp_path):
    with pytest.raises(ValueError, match="canvas, moodle"):
        lms_csv([], {}, "blackboard", A1)
    empty = Course(tmp_path / "course")
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "nbgrader_config.py").write_text("", encoding="utf-8")
    with pytest.raises(PipelineError, match="run `peninsula grade who_must_act` first"):
        export_grades(empty, A1, "canvas")


def test_the_commands(graded_rows):
    for command in (["export-grades", A1, "--lms", "canvas"], ["export-grades", A1, "--lms", "moodle"]):
        done = subprocess.run([BIN / "peninsula", *command, "--course", graded_rows.root], cwd=graded_rows.root,
                              capture_output=True, text=True, timeout=300, check=True)
        assert "No score for 3 student(s)" in done.stdout and "demo001: failed" in done.stdout
