"""Every command that reads a course works on the folder named by --course, from anywhere.

The second course here differs from this repository's in its key: one recommendation is taken out of
the automatic grading. Each command runs from an empty folder outside any course; the commands that
read the key must use the second course's key, never one found from the working folder."""

import csv
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from test_pipeline import A1, new_course

BIN = Path(sys.executable).parent


def withdraw_one_item(course: Path) -> str:
    """Take the first autograded recommendation out of the course's automatic grading; return its id."""
    key = course / "course" / "answer_key.yaml"
    text = key.read_text(encoding="utf-8")
    match = re.search(r"- id: (R\d+)\n(?:(?!  - id:).*\n)*?    autograde: true\n", text)
    key.write_text(text[: match.start()] + match.group(0).replace("autograde: true", "autograde: false")
                   + text[match.end() :], encoding="utf-8")
    return match.group(1)


@pytest.fixture(scope="module")
def second_course(tmp_path_factory) -> tuple[Path, str, Path]:
    course = new_course(tmp_path_factory.mktemp("second") / "course")
    withdrawn = withdraw_one_item(course)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    return course, withdrawn, elsewhere


def peninsula(*args: str, course: Path, cwd: Path, exit_code: int = 0) -> str:
    result = subprocess.run([str(BIN / "peninsula"), *args, "--course", str(course)], cwd=cwd,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == exit_code, f"{args}: {result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result.stdout + result.stderr


def test_every_course_command_works_from_outside_the_course(second_course):
    course, withdrawn, elsewhere = second_course
    run = lambda *args, exit_code=0: peninsula(*args, course=course, cwd=elsewhere, exit_code=exit_code)  # noqa: E731
    assert "All good" in run("check")
    run("build-assignments")
    source = (course / "course" / A1 / f"{A1}.ipynb").read_text(encoding="utf-8")
    assert f'"{withdrawn}"' not in source.split("BEGIN SOLUTION")[0]  # the second key's items
    run("release", A1, "--lms-zip")
    with zipfile.ZipFile(course / "exports" / f"{A1}-release.zip") as release:
        notebook = release.read(f"{A1}/{A1}.ipynb").decode()
    assert f'"{withdrawn}"' not in notebook
    run("due", A1, "2026-09-14 17:00")
    downloads = course.parent / "downloads"  # an LMS download with nothing in it yet
    downloads.mkdir()
    assert "Collected 0 student(s)" in run("collect", A1, "--from", str(downloads))
    run("demo-class", A1, "--students", "6")
    run("extend", A1, "demo001", "--until", "2026-09-20 17:00", "--reason", "ill")
    run("waive", A1, "demo002", "--reason", "a lost laptop")
    run("grade", A1)
    with (course / "exports" / f"{A1}-grades.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    graded = [row for row in rows if row["max_score"]]
    assert graded and all(float(row["max_score"]) == float(graded[0]["max_score"]) for row in graded)
    run("release-feedback", A1, "--include-provisional")
    run("report", A1)
    report = (course / "exports" / f"{A1}-report.html").read_text(encoding="utf-8")
    assert f">{withdrawn}<" not in report  # the withdrawn item is no longer one of the class's items
    run("integrity", A1)
    run("export-codings", A1)
    run("export-grades", A1, "--lms", "canvas")
    assert "0 open regrade request(s)" in run("regrades", A1, "--no-collect")
    assert "needs manual grading" in run("debrief", A1, exit_code=2)  # refused: the essays are not graded
    assert not any(elsewhere.iterdir()), "a command wrote into the working folder"
