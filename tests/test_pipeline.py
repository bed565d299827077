"""The instructor pipeline, through the real `peninsula` and `nbgrader` commands and a real sqlite
gradebook, in a temporary copy of the course."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from peninsula.grader.class_data import load_class, read_answers
from peninsula.grader.course import Course
from peninsula.grader.grade import typed_ids
from peninsula.grader.key import assignments, load_items, model_answers
from peninsula.grader.leaks import leaks_in_text
from peninsula.grader.lms import match_submission
from peninsula.grader.scoring import score_part

ROOT = Path(__file__).parents[1]
KEY = Course(ROOT).key_file  # the key of this repository's course
ASSIGNMENTS = assignments(KEY)  # the course's registry, beside its key
BIN = Path(sys.executable).parent
A1 = "who_must_act"
CLASS_SIZE = 30


def run(*command: str | Path, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        pytest.fail(f"{command} exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def peninsula(*args: str, course: Path) -> subprocess.CompletedProcess:
    return run(BIN / "peninsula", *args, "--course", course, cwd=course)


def new_course(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    shutil.copytree(ROOT / "course", folder / "course")
    shutil.copytree(ROOT / "source_texts", folder / "source_texts")
    return folder


def read_grades(course: Path) -> list[dict]:
    with (course / "exports" / f"{A1}-grades.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory) -> tuple[Path, str]:
    course = new_course(tmp_path_factory.mktemp("demo") / "course")
    peninsula("demo-class", A1, "--students", str(CLASS_SIZE), course=course)
    return course, peninsula("grade", A1, course=course).stdout


@pytest.fixture(scope="module")
def sequential_grades(graded_class) -> list[dict]:
    """The demo class's grades from its first, sequential run (before any manual grading)."""
    return read_grades(graded_class[0])


def test_every_student_of_the_demo_class_is_accounted_for(graded_class, sequential_grades):
    course, output = graded_class
    rows = {row["student_id"]: row for row in read_grades(course)}
    assert len(rows) == CLASS_SIZE
    submitted = {p.name for p in (course / "submitted").iterdir()}
    assert {s for s, row in rows.items() if row["status"] != "missing"} == submitted
    statuses = {row["status"] for row in rows.values()}
    assert statuses == {"needs manual grading", "failed", "missing"}
    # The broken notebooks that nbgrader cannot grade fail with a reason; the rest are graded.
    failed = {s: row["reason"] for s, row in rows.items() if row["status"] == "failed"}
    assert failed == {
        "demo001": "the notebook file is not valid JSON",
        "demo003": "notebook who_must_act.ipynb not submitted; found who_must_act_final.ipynb instead (renamed?)",
    }
    for recovered in ("demo002", "demo004", "demo005", "demo006"):  # deleted cells, loop, stderr, edited tests
        assert rows[recovered]["status"] == "needs manual grading", recovered
    assert {s for s, row in rows.items() if row["status"] == "missing"} == {"demo015", "demo030"}
    assert "28 needs manual grading" not in output and f"({CLASS_SIZE} students)" in output


def test_a_rerun_leaves_the_grades_csv_unchanged(graded_class, sequential_grades):
    course, _ = graded_class
    first = (course / "exports" / f"{A1}-grades.csv").read_bytes()
    output = peninsula("grade", A1, course=course).stdout
    assert (course / "exports" / f"{A1}-grades.csv").read_bytes() == first
    assert read_grades(course) == sequential_grades
    reasons = {row["student_id"]: row["reason"] for row in sequential_grades}
    assert reasons["demo002"].startswith("deleted cell(s) put back and graded 0: ")
    assert "graded from the answer cells' text; no student code ran" in output


def test_grades_are_the_same_with_and_without_running_the_notebooks(tmp_path):
    """The demo class (every broken kind included) graded from text, then again with every notebook
    run in the sandbox first: the same grades, reasons and gradebook scores."""
    course = new_course(tmp_path / "course")
    peninsula("demo-class", A1, "--students", "12", course=course)
    peninsula("grade", A1, course=course)
    from_text = read_grades(course)
    shutil.rmtree(course / "autograded")
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as config:
        config.write("\nc.ExecuteWhereNeeded.run_every_notebook = True\nc.Execute.timeout = 5\n")
    output = peninsula("grade", A1, course=course).stdout
    assert "graded by running each notebook in the bubblewrap sandbox" in output
    assert read_grades(course) == from_text
    assert sum(row["status"] == "failed" for row in from_text) == 2  # invalid JSON, renamed notebook


def test_failed_and_missing_are_never_a_plain_zero(graded_class):
    course, _ = graded_class
    for row in read_grades(course):
        if row["status"] in ("failed", "missing"):
            assert row["score"] == "" and row["reason"], row
        else:
            assert float(row["score"]) >= 0 and row["max_score"] == "39"


def test_feedback_exists_for_every_graded_student_and_holds_no_key(graded_class):
    course, _ = graded_class
    graded = [row["student_id"] for row in read_grades(course) if row["status"] == "needs manual grading"]
    for student in graded:
        feedback = course / "feedback" / student / A1 / f"{A1}.html"
        text = feedback.read_text(encoding="utf-8")
        assert "BEGIN HIDDEN TESTS" not in text and "hidden_test(" not in text
        # A student's own typed answers are theirs to see again (as `peninsula grade` screens them).
        typed = typed_ids(Course(course), A1, student, [f"{A1}.ipynb"])
        assert [w for w in leaks_in_text(text, assignment_material=True, key_file=KEY) if w.split()[0] not in typed] == [], student


def test_the_edited_test_cell_was_restored(graded_class):
    course, _ = graded_class
    graded = json.loads((course / "autograded" / "demo006" / A1 / f"{A1}.ipynb").read_text())
    assert not any("full_marks = True" in "".join(c["source"]) for c in graded["cells"])


def grade_by_hand(course: Path, student: str, points: float) -> None:
    """What the Formgrader does when a grader saves a score for the written answer."""
    with Course(course).api().gradebook as gradebook:
        grade = gradebook.find_grade("discussion", A1, A1, student)
        grade.manual_score = points
        grade.needs_manual_grade = False
        gradebook.db.commit()


def test_rerun_keeps_manual_grades_and_rows(graded_class):
    course, _ = graded_class
    api = Course(course).api()
    grade_by_hand(course, "demo007", 4)
    peninsula("grade", A1, course=course)
    first = read_grades(course)
    peninsula("grade", A1, course=course)
    second = read_grades(course)
    assert first == second and len(second) == CLASS_SIZE
    row = next(r for r in second if r["student_id"] == "demo007")
    assert row["status"] == "graded"
    with api.gradebook as gradebook:
        assert gradebook.find_grade("discussion", A1, A1, "demo007").manual_score == 4


def test_report_numbers_match_the_gradebook(graded_class):
    course, _ = graded_class
    output = peninsula("report", A1, course=course).stdout
    report = course / "exports" / f"{A1}-report.html"
    assert str(report) in output
    page = report.read_text(encoding="utf-8")
    # Five charts (three on scores, two on the class's agreement), with Vega inlined: nothing is
    # loaded from a CDN, so it opens offline.
    assert page.count("vegaEmbed('#") == 5 and "<script src" not in page and "cdn.jsdelivr" not in page
    assert "Krippendorff's α" in page
    assert "worth a look" not in page  # integrity flags are for the instructor, never the debrief page
    data = load_class(Course(course), A1)
    api = Course(course).api()
    with api.gradebook as gradebook:
        for student, score in data.scores.items():
            submission = gradebook.find_submission(A1, student)
            assert score == submission.score
            raw = read_answers(course / "autograded" / student / A1 / f"{A1}.ipynb")
            for part in ASSIGNMENTS[A1].part_ids:
                cell = gradebook.find_grade(f"hidden_{part}", A1, A1, student)
                expected, _ = score_part(load_items(A1, part, key_file=KEY), raw, cell.max_score)
                assert cell.auto_score == pytest.approx(expected), (student, part)
    mean = sum(data.scores.values()) / len(data.scores)
    assert f"mean score {mean:.2f} of 39" in page


def test_the_codings_export_of_a_graded_class_is_anonymous(graded_class):
    from peninsula import reliability
    from peninsula.grader.agreement import class_agreement

    course, _ = graded_class
    output = peninsula("export-codings", A1, course=course).stdout
    export = course / "exports" / "class_codings.yaml"
    assert str(export) in output
    text = export.read_text(encoding="utf-8")
    assert leaks_in_text(text, key_file=KEY) == [] and "demo0" not in text
    data = load_class(Course(course), A1)
    assert reliability.alpha(reliability.load_panel(export)) == pytest.approx(class_agreement(data, 1).alpha)


def test_feedback_that_could_not_be_written_is_named_and_held_back(graded_class):
    from peninsula.grader.release_feedback import settled_students

    course, _ = graded_class
    grade_by_hand(course, "demo008", 3)  # settled, so only the missing page can hold it back
    blocker = course / "feedback" / "demo008"
    shutil.rmtree(blocker)
    blocker.write_text("a file where nbgrader wants a folder")  # generate_feedback fails for demo008
    try:
        peninsula("grade", A1, course=course)
        row = next(r for r in read_grades(course) if r["student_id"] == "demo008")
        assert row["status"] == "graded"
        assert f"no feedback page was written for {A1}.html (details: exports/{A1}-grade.log)" in row["reason"]
        assert f"generate_feedback {A1} for demo008" in (course / "exports" / f"{A1}-grade.log").read_text()
        settled, held = settled_students(Course(course), A1)
        assert "demo008" not in settled
        assert [h.reason for h in held if h.student_id == "demo008"] == ["no feedback page (the grades CSV says why)"]
    finally:
        blocker.unlink()
        peninsula("grade", A1, course=course)
    assert (blocker / A1 / f"{A1}.html").is_file()


def test_the_exchange_cycle_with_a_resubmission(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))  # nbgrader's submit cache
    course = new_course(tmp_path / "course")
    home = tmp_path / "student"
    home.mkdir()
    exchange = [f"--Exchange.root={course / '.exchange'}", "--CourseDirectory.course_id=peninsula"]
    assert "leak check found nothing" in peninsula("release", A1, course=course).stdout
    run(BIN / "nbgrader", "fetch_assignment", A1, *exchange, cwd=home)
    notebook_file = home / A1 / f"{A1}.ipynb"

    def answer(count: int) -> None:
        notebook = nbformat.read(notebook_file, as_version=4)
        right = model_answers(A1, KEY)
        cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "answers")
        for item_id in list(right)[:count]:
            cell.source = cell.source.replace(f"\n{item_id}:\n", f"\n{item_id}: {right[item_id]}\n")
        nbformat.write(notebook, notebook_file)
        run(BIN / "nbgrader", "submit", A1, *exchange, cwd=home)

    def graded_score() -> float:
        peninsula("collect", A1, course=course)
        peninsula("grade", A1, course=course)
        (row,) = read_grades(course)
        return float(row["score"])

    answer(5)
    first = graded_score()
    assert first > 0
    answer(20)  # a resubmission replaces the first one
    assert graded_score() > first
    released = peninsula("release-feedback", A1, course=course).stdout
    assert "Feedback released to 1 student(s)" in released, released
    run(BIN / "nbgrader", "fetch_feedback", A1, *exchange, cwd=home)
    (feedback,) = (home / A1 / "feedback").glob(f"*/{A1}.html")
    typed = set(list(model_answers(A1, KEY))[:20])  # the student's own answers are theirs to see again
    leaks = leaks_in_text(feedback.read_text(encoding="utf-8"), assignment_material=True, key_file=KEY)
    assert [w for w in leaks if w.split()[0] not in typed] == []


LMS_NAMES = {
    "demo001": "demo001_1001_5001_who_must_act.ipynb",  # Canvas
    "demo002": "demo002_LATE_1002_5002_who_must_act-1.ipynb",  # Canvas, late resubmission
    "demo003": "Demo Three_1003_assignsubmission_file_who_must_act.ipynb",  # Moodle
    "demo004": "Who Must Act_demo004_attempt_2026-09-01-12-00-00_who_must_act.ipynb",  # Blackboard
}


def test_the_lms_cycle_through_zip_collect(tmp_path):
    course = new_course(tmp_path / "course")
    peninsula("demo-class", A1, "--students", "5", course=course)
    downloads = tmp_path / "downloads.zip"
    with zipfile.ZipFile(downloads, "w") as archive:
        for student, name in LMS_NAMES.items():
            archive.write(course / "submitted" / student / A1 / f"{A1}.ipynb", name)
        archive.writestr("notes from the LMS.txt", "not a notebook")
        archive.writestr("demo005_1005_5005_my_essay.ipynb", "{}")
    shutil.rmtree(course / "submitted")
    output = peninsula("collect", A1, "--from", str(downloads), course=course).stdout
    # Moodle names students in full; "Demo Three" becomes the id demo_three.
    assert "Collected 4 student(s) into submitted/: demo001, demo002, demo004, demo_three" in output
    assert "notes from the LMS.txt (not a notebook)" in output
    assert "demo005_1005_5005_my_essay.ipynb (not one of who_must_act.ipynb)" in output
    peninsula("grade", A1, course=course)
    rows = {row["student_id"]: row["status"] for row in read_grades(course)}
    assert rows["demo_three"] == rows["demo001"] == "needs manual grading"


@pytest.mark.parametrize(
    ("path", "student", "notebook", "system"),
    [
        ("smithj_123_456_who_must_act.ipynb", "smithj", "who_must_act.ipynb", "Canvas"),
        ("smithj_LATE_123_456_who_must_act-2.ipynb", "smithj", "who_must_act.ipynb", "Canvas"),
        ("Ada Lovelace_77_assignsubmission_file_/who_must_act.ipynb", "ada_lovelace", "who_must_act.ipynb", "Moodle"),
        ("A1_jdoe_attempt_2026-01-30-15-00-00_who_must_act.ipynb", "jdoe", "who_must_act.ipynb", "Blackboard"),
        ("jdoe/who_must_act (1).ipynb", "jdoe", "who_must_act.ipynb", "folder"),
        ("jdoe/renamed.ipynb", "jdoe", None, "folder"),
    ],
)
def test_lms_file_names_are_matched(path, student, notebook, system):
    found = match_submission(path, {"who_must_act.ipynb"})
    assert (found.student_id, found.notebook, found.system) == (student, notebook, system)


def test_an_unknown_assignment_is_a_clear_error(tmp_path):
    course = new_course(tmp_path / "course")
    result = run(BIN / "peninsula", "grade", "ps1", "--course", course, cwd=course, check=False)
    assert result.returncode == 2
    assert "no assignment 'ps1' in course/" in result.stderr and "who_must_act" in result.stderr


def test_the_instructor_notebook_shows_the_same_charts(graded_class):
    from nbclient import NotebookClient

    course, _ = graded_class
    notebook = nbformat.read(ROOT / "course" / "class_report.ipynb", as_version=4)
    parameters = next(c for c in notebook.cells if c.source.startswith("ASSIGNMENT ="))
    parameters.source = f'ASSIGNMENT = "{A1}"\nCOURSE_FOLDER = {str(course)!r}'
    NotebookClient(notebook, kernel_name="python3", timeout=120).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    charts = [o for o in outputs if "application/vnd.vegalite.v5+json" in o.get("data", {})]
    assert len(charts) == 5
    assert any("most" in str(o.get("data", {})).lower() or "<table" in str(o.get("data", {})) for o in outputs)


def postgres_tools() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    message = "PostgreSQL server binaries not found (apt-get install postgresql)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; CI must run the PostgreSQL gradebook test")
    pytest.skip(message)


@pytest.fixture(scope="module")
def postgres_url() -> str:
    """A throwaway PostgreSQL server on 127.0.0.1 and a free port, stopped after the tests."""
    import socket
    import tempfile

    tools = postgres_tools()
    data = Path(tempfile.mkdtemp(prefix="peninsula-pg-"))
    as_server: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(data, "postgres")
        as_server = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cluster = data / "cluster"
    run(*as_server, tools / "initdb", "-D", cluster, "-A", "trust", "-U", "postgres", cwd=data)
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
    run(*as_server, tools / "pg_ctl", "-D", cluster, "-o", options, "-l", data / "server.log", "-w", "start", cwd=data)
    try:
        run(*as_server, tools / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "gradebook", cwd=data)
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/gradebook"
    finally:
        run(*as_server, tools / "pg_ctl", "-D", cluster, "-m", "fast", "stop", cwd=data, check=False)
        shutil.rmtree(data, ignore_errors=True)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_parallel_grading_gives_the_same_grades(tmp_path, request, sequential_grades, database):
    course = new_course(tmp_path / "course")
    if database == "postgresql":
        url = request.getfixturevalue("postgres_url")
        with (course / "nbgrader_config.py").open("a", encoding="utf-8") as config:
            config.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
    peninsula("demo-class", A1, "--students", str(CLASS_SIZE), course=course)  # the same seed: the same class
    peninsula("grade", A1, "--jobs", "2", course=course)
    assert read_grades(course) == sequential_grades
    api = Course(course).api()
    assert api.coursedir.db_url.startswith(database)
    with api.gradebook as gradebook:  # one submission per student, none lost or doubled
        submissions = [s.student.id for s in gradebook.assignment_submissions(A1)]
    graded = [row["student_id"] for row in sequential_grades if row["status"] not in ("missing", "failed")]
    assert sorted(submissions) == sorted(set(submissions)) and set(graded) <= set(submissions)
