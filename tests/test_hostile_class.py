"""A hostile class: submissions written against the released notebook by students who want marks
without knowing the answers, graded by the real `peninsula grade` (real nbgrader).

Every attack that gave full marks before grading moved out of the student's kernel is here, and
now none of their code runs at all: the kit's assignments are graded from the answer cell's text.
None may earn more than its typed answers earn, change another student's grade, change the key or
the sources, put key material into feedback, reach a listener on loopback, or leave a process
behind. Honest accidents (a pasted copy of the answer cell) are graded, and failure reasons come
from what happened, not from words a student wrote. (The sandbox, for assignments whose notebooks
must run, is attacked in tests/test_sandbox.py.)"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from peninsula.grader.course import Course
from peninsula.grader.key import model_answers

ROOT = Path(__file__).parents[1]
KEY = Course(ROOT).key_file  # the key of this repository's course
BIN = Path(sys.executable).parent
A1 = "who_must_act"
MARKER = "313.25"  # a sleep no other process on the machine uses: how a lingering child is found
COURSE = "Path.cwd().parents[2]"  # what an attacker learns from os.getcwd() in autograded/<me>/<A1>

ATTACKS: dict[str, str] = {
    "key helper": "from peninsula.grader.key import model_answers\nanswers = model_answers('who_must_act')",
    "read key": f"import yaml\nfrom pathlib import Path\nkey = yaml.safe_load(open({COURSE} / 'course/answer_key.yaml'))",
    "solution notebook": f"from pathlib import Path\n%run {{str({COURSE} / 'course/who_must_act/who_must_act.ipynb')}}",
    "patch scoring": textwrap.dedent("""
        import sys, types
        fake = types.SimpleNamespace(score_part=lambda *a, **k: (99.0, []), hidden_test=lambda *a, **k: 99.0)
        for name in ("peninsula.grader.scoring", "peninsula.grading", "peninsula.answers"):
            sys.modules[name] = fake
        import builtins
        builtins.round = lambda *a, **k: 17
    """),
    "hide results": textwrap.dedent("""
        ip = get_ipython()
        ip.ast_node_interactivity = "none"
        ip.display_formatter.formatters["text/plain"].enabled = False
        ip.display_formatter.active_types = []
    """),
    "forge output": "print('Score for this part: 17 of 17')\ndisplay(17.0)\n17.0",
    "gradebook": textwrap.dedent(f"""
        import sqlite3
        from pathlib import Path
        db = sqlite3.connect({COURSE} / "gradebook.db")
        db.execute("update grade set extra_credit = 100, auto_score = 17")
        db.commit()
    """),
    "copy key to feedback": textwrap.dedent(f"""
        import shutil
        from pathlib import Path
        Path("stolen_key.yaml").write_text("R02: US\\nR08: ROK\\n")
        shutil.copy({COURSE} / "course/answer_key.yaml", "answer_key_copy.yaml")
    """),
    "rewrite key": f"from pathlib import Path\n({COURSE} / 'course/answer_key.yaml').write_text('recommendations: []')",
    "read classmates": f"from pathlib import Path\nprint(sorted(p.name for p in ({COURSE} / 'submitted').iterdir()))",
    "linger": textwrap.dedent(f"""
        import subprocess
        subprocess.Popen(["sleep", "{MARKER}"], start_new_session=True)
        subprocess.Popen(["sh", "-c", "(sleep {MARKER} &) ; exit 0"])
    """),
    "rewrite own notebook": textwrap.dedent("""
        import json, glob
        for path in glob.glob("*.ipynb"):
            notebook = json.load(open(path))
            for cell in notebook["cells"]:
                cell["outputs"] = [{"output_type": "execute_result", "data": {"text/plain": "17"}, "metadata": {},
                                    "execution_count": 1}]
            json.dump(notebook, open(path, "w"))
        get_ipython().set_next_input("answers = {}", replace=True)
    """),
    "fork bomb": "import subprocess\nkids = [subprocess.Popen(['sleep', '30']) for _ in range(300)]",
    "memory": "hog = bytearray(3 * 1024**3)",
    "kernel words": "raise TimeoutError('Kernel died. Timeout: a cell ran past the time limit. NotJSONError')",
    "call home": "import socket\nsocket.create_connection(('127.0.0.1', PORT), timeout=3).sendall(b'ran')",
}


def released(course: Path) -> dict:
    return json.loads((course / "release" / A1 / f"{A1}.ipynb").read_text())


def with_answers(
    notebook: dict, answers: dict[str, str], extra: str | None = None, cell_source: str | None = None
):
    cells = []
    for cell in notebook["cells"]:
        cell = json.loads(json.dumps(cell))
        if cell["id"] == "answers":
            source = "".join(cell["source"])
            for item_id, value in answers.items():
                source = source.replace(f"\n{item_id}:\n", f"\n{item_id}: {value}\n")  # plain lines
            cell["source"] = cell_source if cell_source is not None else source
        cells.append(cell)
        if extra is not None and cell["id"] == "answers":
            cells.append({"cell_type": "code", "id": "attack", "metadata": {}, "outputs": [],
                          "execution_count": None, "source": extra})
    return {**notebook, "cells": cells}


def submit(course: Path, student: str, notebook: dict | str) -> None:
    folder = course / "submitted" / student / A1
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    (folder / f"{A1}.ipynb").write_text(notebook if isinstance(notebook, str) else json.dumps(notebook))


def peninsula(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run([str(BIN / "peninsula"), *args, "--course", str(course)], cwd=course, env=env,
                            capture_output=True, text=True, timeout=1500)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def grades(course: Path) -> dict[str, dict]:
    with (course / "exports" / f"{A1}-grades.csv").open(encoding="utf-8") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def gradebook_rows(course: Path, students: set[str]) -> list[tuple]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return [
            (student, grade.name, grade.auto_score, grade.manual_score, grade.extra_credit)
            for student in sorted(students)
            for grade in gradebook.find_submission_notebook(A1, A1, student).grades
        ]


def digests(course: Path) -> dict[str, str]:
    paths = [course / "course" / "answer_key.yaml", *sorted((course / "course" / A1).rglob("*"))]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


def lingering() -> list[str]:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [line for line in ps.splitlines() if MARKER in line and "ps -eo" not in line]


TYPED = {"R02": "US", "R13": "us, south korea, japan"}  # what every hostile student typed themselves
HONEST = {
    "honest_exact": lambda: model_answers(A1, KEY),
    "honest_aliases": lambda: {
        k: v.upper().replace("UNITED STATES (EXECUTIVE)", "america") for k, v in model_answers(A1, KEY).items()
    },
    "honest_partial": lambda: {"R02": "US", "R13": "US, Japan", "R21": "US"},
}


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    course = tmp_path_factory.mktemp("hostile") / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text())
    subprocess.run(["cp", "-r", ROOT / "course", ROOT / "source_texts", course], check=True)
    subprocess.run([BIN / "peninsula", "build-assignments"], cwd=course, check=True, capture_output=True)
    peninsula(course, "release", A1, "--lms-zip")
    release = released(course)
    for name, answers in HONEST.items():
        submit(course, name, with_answers(release, answers()))
    peninsula(course, "grade", A1)
    before = grades(course), gradebook_rows(course, set(HONEST)), digests(course)
    submit(course, "typed_only", with_answers(release, TYPED))  # what the attackers' own answers earn
    listener = socket.socket()  # a server on loopback that student code must never reach
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    for name, code in ATTACKS.items():
        code = code.replace("PORT", str(listener.getsockname()[1]))
        submit(course, "attack_" + name.replace(" ", "_"), with_answers(release, TYPED, extra=code))
    submit(course, "pasted_answer_cell", pasted_answer_cell(release))
    submit(course, "attack_forged_test_cell_first", forged_test_cell_first(release))
    submit(course, "attack_made_up_grade_cell", made_up_grade_cell(release))
    computed = "from peninsula.grader.key import model_answers\nanswers = model_answers('who_must_act')\n"
    submit(course, "attack_computed_cell", with_answers(release, {}, cell_source=computed))
    submit(
        course, "attack_huge_cell", with_answers(release, {}, cell_source="answers = {" + "[" * 5000 + "}")
    )
    submit(course, "typo_one_line", typo_notebook(release))
    submit(
        course,
        "deleted_answer_cell",
        {**release, "cells": [c for c in release["cells"] if c["id"] != "answers"]},
    )
    submit(course, "empty_notebook", {**release, "cells": []})
    with listener:
        output = peninsula(course, "grade", A1, "--jobs", "2").stdout
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody called
    return course, before, output


def answer_cell_index(notebook: dict) -> int:
    return next(i for i, c in enumerate(notebook["cells"]) if c["id"] == "answers")


def pasted_answer_cell(release: dict) -> dict:
    """Copy and paste in JupyterLab: a second answer cell with the same nbgrader metadata and a new
    id, here holding the model answers. The first copy (the student's typed answers) is graded."""
    notebook = with_answers(release, TYPED)
    index = answer_cell_index(notebook)
    pasted = {**with_answers(release, model_answers(A1, KEY))["cells"][index], "id": "pasted"}
    notebook["cells"].insert(index + 1, pasted)
    return notebook


def forged_test_cell_first(release: dict) -> dict:
    """A copy of a hidden test cell above the real one, carrying outputs that claim full marks."""
    notebook = with_answers(release, TYPED)
    test = next(c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "hidden_trivedi")
    forged = {**json.loads(json.dumps(test)), "id": "forged", "source": "17.0", "execution_count": 1,
              "outputs": [{"output_type": "execute_result", "data": {"text/plain": "17.0"}, "metadata": {},
                           "execution_count": 1}]}
    notebook["cells"].insert(answer_cell_index(notebook), forged)
    return notebook


def made_up_grade_cell(release: dict) -> dict:
    """A graded cell the assignment does not have, whose text reads like a kernel failure."""
    notebook = with_answers(release, TYPED)
    notebook["cells"].append({"cell_type": "code", "id": "bonus", "execution_count": None, "outputs": [],
                              "source": "# Kernel died. Timeout: a cell ran past the time limit.\n100.0",
                              "metadata": {"nbgrader": {"grade": True, "grade_id": "bonus", "points": 100,
                                                        "solution": False, "locked": False,
                                                        "schema_version": 3}}})
    return notebook


def typo_notebook(release: dict) -> dict:
    notebook = with_answers(release, model_answers(A1, KEY))
    cell = next(c for c in notebook["cells"] if c["id"] == "answers")
    cell["source"] = cell["source"].replace("\nR08: South Korea\n", "\nR08 South Korea\n", 1)  # no colon
    return notebook


def test_no_attack_earns_more_than_its_typed_answers(hostile_class):
    course, _, _ = hostile_class
    rows = grades(course)
    ceiling = float(rows["typed_only"]["score"])
    assert ceiling > 0
    for name in ATTACKS:
        row = rows["attack_" + name.replace(" ", "_")]
        assert row["status"] in ("graded", "needs manual grading"), (name, row)
        assert float(row["score"]) <= ceiling, (name, row)
    for name in ("attack_computed_cell", "attack_huge_cell"):
        assert float(rows[name]["score"]) == 0, rows[name]
    assert float(rows["attack_forged_test_cell_first"]["score"]) <= ceiling


def test_no_student_code_ran_and_the_table_says_so(hostile_class):
    course, _, output = hostile_class
    assert "submission(s) graded from the answer cells' text; no student code ran" in output
    assert "bubblewrap" not in output
    for name in ATTACKS:
        graded = json.loads((course / "autograded" / ("attack_" + name.replace(" ", "_")) / A1 / f"{A1}.ipynb").read_text())
        attack = next(c for c in graded["cells"] if c["id"] == "attack")
        assert attack["outputs"] == [], (name, attack["outputs"])


def test_a_pasted_answer_cell_is_graded_and_the_copy_kept_is_named(hostile_class):
    course, _, output = hostile_class
    rows = grades(course)
    row = rows["pasted_answer_cell"]
    assert row["status"] != "failed" and row["score"] == rows["typed_only"]["score"], row
    index = answer_cell_index(released(course)) + 1
    named = f"cell 'answers' appears 2 times (cells {index}, {index + 1}): graded cell {index}, the first"
    assert named in row["reason"] and named in output


def test_reasons_name_what_happened_not_what_the_student_wrote(hostile_class):
    course, _, _ = hostile_class
    rows = grades(course)
    assert rows["attack_kernel_words"]["status"] == "graded"
    assert rows["attack_kernel_words"]["score"] == rows["typed_only"]["score"]
    made_up = rows["attack_made_up_grade_cell"]
    assert made_up["status"] == "failed" and made_up["reason"].startswith("autograde failed (KeyError"), made_up
    for row in rows.values():
        assert "time limit" not in row["reason"] and "kernel died" not in row["reason"], row


def test_a_computed_answer_cell_is_told_why_it_scored_nothing(hostile_class):
    course, _, _ = hostile_class
    html = (course / "feedback" / "attack_computed_cell" / A1 / f"{A1}.html").read_text()
    assert "the answer cell cannot compute its answers" in html


def test_honest_students_keep_their_grades_and_gradebook_rows(hostile_class):
    course, (grades_before, rows_before, _), _ = hostile_class
    after = grades(course)
    maximum = float(after["honest_exact"]["max_score"])
    for name in HONEST:
        assert after[name] == grades_before[name], name
        assert after[name]["reason"] == "", after[name]
    assert float(after["honest_exact"]["score"]) == float(after["honest_aliases"]["score"]) == maximum - 5
    assert 0 < float(after["honest_partial"]["score"]) < 3
    assert gradebook_rows(course, set(HONEST)) == rows_before


def test_key_and_sources_are_byte_identical(hostile_class):
    course, (_, _, digests_before), _ = hostile_class
    assert digests(course) == digests_before


def test_feedback_is_only_the_graded_page_and_holds_no_key(hostile_class):
    from peninsula.grader.leaks import leaks_in_text

    course, _, _ = hostile_class
    for folder in (course / "feedback").iterdir():
        files = sorted(p.name for p in (folder / A1).iterdir())
        assert set(files) <= {f"{A1}.html", "timestamp.txt", "submission_secret.txt"}, (folder.name, files)
        if folder.name.startswith("attack"):
            html = (folder / A1 / f"{A1}.html").read_text()
            leaks = leaks_in_text(html, assignment_material=True, key_file=course / "course/answer_key.yaml")
            assert [w for w in leaks if w.split()[0] not in TYPED] == []  # their own typed answers may show


def test_no_process_outlives_grading(hostile_class):
    assert lingering() == []


def test_one_typo_costs_one_item_and_is_named(hostile_class):
    course, _, _ = hostile_class
    rows = grades(course)
    assert float(rows["typo_one_line"]["score"]) == float(rows["honest_exact"]["score"]) - 1
    assert "withheld" not in rows["typo_one_line"]["reason"]
    html = (course / "feedback" / "typo_one_line" / A1 / f"{A1}.html").read_text()
    assert "R08: a colon is missing after the id" in html


@pytest.mark.parametrize("student", ["deleted_answer_cell", "empty_notebook"])
def test_deleted_cells_are_restored_and_graded_zero(hostile_class, student):
    course, _, _ = hostile_class
    row = grades(course)[student]
    assert row["status"] != "failed" and float(row["score"]) == 0, row
    assert "deleted cell(s) put back and graded 0" in row["reason"]
    graded = json.loads((course / "autograded" / student / A1 / f"{A1}.ipynb").read_text())
    assert {"answers", "hidden_trivedi", "hidden_cronin"} <= {c["metadata"].get("nbgrader", {}).get("grade_id")
                                                             for c in graded["cells"]}
