"""The kit as an installed package: a wheel built from the repository, installed normally (not
editable), used from a student's folder that holds only the lessons, the texts and a release."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from peninsula.grader.key import PARTS, model_answers
from peninsula.grader.leaks import leaks_in_text

ROOT = Path(__file__).parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, ROOT],
        check=True, capture_output=True, cwd=out,
    )  # fmt: skip
    return next(out.glob("peninsula-*.whl"))


@pytest.fixture(scope="module")
def student_folder(wheel, tmp_path_factory) -> tuple[Path, Path]:
    """(the installed package's folder, a student's folder: lessons, texts, the releases)."""
    site = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", site, wheel], check=True)
    course = tmp_path_factory.mktemp("instructor")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "course", course / "course")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    for assignment in PARTS:
        subprocess.run([BIN / "nbgrader", "generate_assignment", assignment], cwd=course, env=env, check=True,
                       capture_output=True)  # fmt: skip
    student = tmp_path_factory.mktemp("student")
    shutil.copytree(ROOT / "notebooks", student / "notebooks")
    shutil.copytree(ROOT / "source_texts", student / "source_texts")
    shutil.copytree(course / "release", student / "assignments")
    return site, student


def test_the_wheel_holds_the_student_side_and_no_key(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "peninsula/data/codebook.yaml" in names and "peninsula/answers.py" in names
    assert "peninsula/grader/kernels/peninsula-sandbox/kernel.json" in names
    assert not [n for n in names if "answer_key" in n or n.startswith("course/") or n.endswith(".ipynb")]
    with zipfile.ZipFile(wheel) as archive:
        for name in names:
            if name.endswith((".py", ".yaml", ".json", ".txt")):
                assert leaks_in_text(archive.read(name).decode("utf-8", "replace")) == [], name


def run_notebook(path: Path, site: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})  # fmt: skip
    os.environ["PYTHONPATH"] = str(site)  # the kernel inherits it: the installed copy comes first
    try:
        client.execute(env={**os.environ})
    finally:
        del os.environ["PYTHONPATH"]
    return notebook


def outputs(notebook: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)


def test_a_lesson_runs_from_the_installed_package(student_folder):
    site, student = student_folder
    lesson = student / "notebooks" / "01_start_here.ipynb"
    notebook = nbformat.read(lesson, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell("import peninsula; print('FROM', peninsula.__file__)"))
    nbformat.write(notebook, lesson)
    text = outputs(run_notebook(lesson, site))
    assert f"FROM {site}" in text


@pytest.mark.parametrize("assignment", PARTS)
def test_the_format_check_runs_with_answers_filled_in(student_folder, assignment):
    site, student = student_folder
    path = student / "assignments" / assignment / f"{assignment}.ipynb"
    notebook = json.loads(path.read_text())
    cell = next(c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "answers")
    source = "".join(cell["source"])
    for item_id, value in model_answers(assignment).items():
        source = source.replace(f"\n{item_id}:\n", f"\n{item_id}: {value}\n")  # plain lines
    cell["source"] = source
    path.write_text(json.dumps(notebook))
    assert "Format OK" in outputs(run_notebook(path, site))
