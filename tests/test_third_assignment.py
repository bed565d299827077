"""A third assignment added as data alone (an entry in assignments.yaml and its items in the key) is
built, released, graded and reported by the real commands, with no change to the code."""

from __future__ import annotations

import csv
import json

import yaml
from test_pipeline import BIN, new_course, peninsula, run

from peninsula.grader.course import Course

A3 = "alliance_basics"
#: Three recommendations of the texts, graded again under new ids, each anchored to the last words
#: of the key's quote (still verbatim; `peninsula check` allows one record per paragraph and quote).
PICKED = {"R02": "R90", "R03": "R91", "R21": "R92"}
ENTRY = {
    "id": A3,
    "title": "Assignment 3: Alliance basics",
    "preamble": "# Type after each id who must carry out the recommendation, like this:  Rxx: US\n",
    "parts": [
        {"id": "alliance_trivedi", "title": "Trivedi on the alliance", "family": "recommendations",
         "section": "alliance_recommendations", "text": "trivedi", "instructions": "Trivedi. Who must act?"},
        {"id": "alliance_cronin", "title": "Cronin on the alliance", "family": "recommendations",
         "section": "alliance_recommendations", "text": "cronin", "instructions": "Cronin. Who must act?"},
    ],
    "layout": [
        {"cell": "markdown", "id": "intro", "text": "# Assignment 3\n\n{items} recommendations.\n\n{before_you_submit}"},
        {"cell": "setup"}, {"cell": "answers"}, {"cell": "format_check"}, {"cell": "hidden"},
    ],
}
ANSWERS = {
    "s_full": {"R90": "US", "R91": "United States", "R92": "US, South Korea"},
    "s_part": {"R90": "US", "R91": "Japan", "R92": "US"},  # 1 + 0 + 1/2
    "s_blank": {},
}


def add_the_assignment_as_data(course: Course) -> None:
    key = yaml.safe_load(course.key_file.read_text(encoding="utf-8"))
    key["alliance_recommendations"] = [
        {**record, "id": PICKED[record["id"]], "quote": " ".join(record["quote"].split()[-6:])}
        for record in key["recommendations"]
        if record["id"] in PICKED
    ]
    assert len(key["alliance_recommendations"]) == 3 and all(r["autograde"] for r in key["alliance_recommendations"])
    course.key_file.write_text(yaml.safe_dump(key, allow_unicode=True, sort_keys=False), encoding="utf-8")
    registry = yaml.safe_load(course.assignments_file.read_text(encoding="utf-8"))
    registry["assignments"].append(ENTRY)
    course.assignments_file.write_text(yaml.safe_dump(registry, allow_unicode=True, sort_keys=False), encoding="utf-8")


def submit(root, student: str, answers: dict[str, str]) -> None:
    notebook = json.loads((root / "release" / A3 / f"{A3}.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "answers")
    source = "".join(cell["source"])
    for item_id, answer in answers.items():
        source = source.replace(f"\n{item_id}:", f"\n{item_id}: {answer}")
    cell["source"] = source
    folder = root / "submitted" / student / A3
    folder.mkdir(parents=True)
    (folder / f"{A3}.ipynb").write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    (folder / "timestamp.txt").write_text("2026-09-01 12:00:00.000000 UTC", encoding="utf-8")
    run(BIN / "nbgrader", "db", "student", "add", student, cwd=root)


def test_a_third_assignment_added_as_data_is_built_graded_and_reported(tmp_path):
    root = new_course(tmp_path / "course")
    course = Course(root)
    add_the_assignment_as_data(course)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert "All good" in run(BIN / "peninsula", "check", "--course", root, cwd=outside).stdout
    built = run(BIN / "peninsula", "build-assignments", "--course", root, cwd=outside).stdout
    assert f"{A3}/{A3}.ipynb" in built
    source = json.loads((course.source / A3 / f"{A3}.ipynb").read_text(encoding="utf-8"))
    ids = [cell["id"] for cell in source["cells"]]
    assert ids == ["intro", "setup", "answers", "format_check", "hidden_alliance_trivedi", "hidden_alliance_cronin"]
    assert "R90-R92" in "".join(source["cells"][1]["source"])

    released = peninsula("release", A3, "--lms-zip", course=root).stdout
    assert "leak check found nothing" in released and (root / "exports" / f"{A3}-release.zip").is_file()
    for student, answers in ANSWERS.items():
        submit(root, student, answers)

    graded = peninsula("grade", A3, course=root).stdout
    assert "graded from the answer cells' text; no student code ran" in graded
    with (root / "exports" / f"{A3}-grades.csv").open(encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert {s: (row["status"], float(row["score"])) for s, row in rows.items()} == {
        "s_full": ("graded", 3.0), "s_part": ("graded", 1.5), "s_blank": ("graded", 0.0),
    }
    feedback = (root / "feedback" / "s_part" / A3 / f"{A3}.html").read_text(encoding="utf-8")
    assert "Trivedi on the alliance" in feedback and "Cronin on the alliance" in feedback

    peninsula("report", A3, course=root)
    report = (root / "exports" / f"{A3}-report.html").read_text(encoding="utf-8")
    assert "R92" in report
