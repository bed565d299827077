"""The grading sandbox: a real kernel started by the kit's provisioner under real bwrap, on its own and
through `peninsula grade` for an instructor's own assignment whose notebooks must run."""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from peninsula.grader.sandbox import KERNEL_NAME, SandboxKernelSpecs, preflight

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sandboxed")
    (root / "course").mkdir()
    (root / "course" / "answer_key.yaml").write_text("recommendations: []\n")
    (root / "gradebook.db").write_text("")
    (root / "source_texts").symlink_to(ROOT / "source_texts")
    (root / "autograded" / "me" / "a1").mkdir(parents=True)
    (root / "autograded" / "other" / "a1").mkdir(parents=True)
    return root


@pytest.fixture(scope="module")
def kernel(course):
    preflight()
    manager = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=SandboxKernelSpecs())
    manager.start_kernel(cwd=str(course / "autograded" / "me" / "a1"))
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    yield client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def run(client, code: str) -> str:
    """What the kernel prints for `code`."""
    printed = []
    reply = client.execute_interactive(code, output_hook=lambda m: printed.append(m["content"].get("text", "")),
                                       timeout=60)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(printed)


def test_the_course_folder_key_and_gradebook_are_not_there(kernel, course):
    code = f"""
import os
for path in ["{course}/course/answer_key.yaml", "{course}/gradebook.db", "{course}/autograded/other", "/root"]:
    print(path, os.path.exists(path))
print(sorted(os.listdir("{course}/autograded")))
"""
    out = run(kernel, code)
    assert f"{course}/course/answer_key.yaml False" in out and f"{course}/gradebook.db False" in out
    assert f"{course}/autograded/other False" in out and "['me']" in out


def test_only_the_scratch_copy_is_writable(kernel, course):
    out = run(
        kernel,
        f"""
import os, sys
for path in ["{course}/planted.txt", sys.prefix.rstrip("/") + "/planted.txt", "/usr/planted.txt", "here.txt"]:
    try:
        open(path, "w").write("x")
        print(path, "written")
    except OSError as error:
        print(path, type(error).__name__)
""",
    )
    assert (
        "here.txt written" in out and "/usr/planted.txt OSError" in out and "venv/planted.txt OSError" in out
    )
    # A write under the course lands in the sandbox's own /tmp or scratch copy, never in the real folder.
    assert not (course / "planted.txt").exists()
    assert not (course / "autograded" / "me" / "a1" / "here.txt").exists()


def test_no_network_and_the_texts_are_there(kernel):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        out = run(
            kernel,
            f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3)
    print("connected")
except OSError as error:
    print("refused", type(error).__name__)
from peninsula.texts import load_corpus
print(len(list(load_corpus())), "texts")
""",
        )
    assert "refused" in out and "2 texts" in out


def test_process_and_memory_limits(kernel):
    out = run(
        kernel,
        """
import subprocess
kids = []
try:
    for _ in range(200):
        kids.append(subprocess.Popen(["sleep", "20"]))
except OSError as error:
    print("stopped at", len(kids), type(error).__name__)
for kid in kids:
    kid.kill()
try:
    hog = bytearray(3 * 1024**3)
except MemoryError:
    print("MemoryError")
""",
    )
    assert "stopped at" in out and "MemoryError" in out


# An instructor's own assignment with a code-graded cell: its notebooks must run, so `peninsula grade`
# runs each in the sandbox (the kit's own assignments run nothing: tests/test_hostile_class.py).
SQUARES = "squares"
SOLUTION = "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION\n"
STUDENTS = {
    "right": "def square(x):\n    return x * x\n",
    "wrong": "def square(x):\n    return x + x\n",
    "snoop": "import os\nopen('side.txt', 'w').write('x')\n"  # full marks only if the key is out of sight
    "def square(x):\n    return 0 if os.path.exists(KEY) else x * x\n",
    "words": "raise RuntimeError('Timeout: a cell ran past the time limit. Kernel died. NotJSONError')\n",
    "dies": "import os\nos._exit(1)\n",
}


def squares_notebook(solution: str) -> dict:
    def cell(source: str, **nbgrader) -> dict:
        meta = {"schema_version": 3, "grade": False, "solution": False, "locked": False, **nbgrader}
        return {"cell_type": "code", "id": nbgrader["grade_id"], "metadata": {"nbgrader": meta},
                "execution_count": None, "outputs": [], "source": source}

    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [cell(solution, grade_id="square", solution=True),
                  cell("assert square(3) == 9", grade_id="test_square", grade=True, locked=True, points=1)],
    }


@pytest.fixture(scope="module")
def graded_squares(tmp_path_factory):
    course = tmp_path_factory.mktemp("own-assignment") / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "course", course / "course")
    (course / "source_texts").symlink_to(ROOT / "source_texts")
    (course / "course" / SQUARES).mkdir()
    (course / "course" / SQUARES / f"{SQUARES}.ipynb").write_text(json.dumps(squares_notebook(SOLUTION)))
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run([bin_dir / "nbgrader", "generate_assignment", SQUARES], cwd=course, env=env, check=True,
                   capture_output=True)
    key = course / "course" / "answer_key.yaml"
    for student, source in STUDENTS.items():
        folder = course / "submitted" / student / SQUARES
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
        notebook = squares_notebook(source.replace("KEY", repr(str(key))))
        (folder / f"{SQUARES}.ipynb").write_text(json.dumps(notebook))
    result = subprocess.run([bin_dir / "peninsula", "grade", SQUARES, "--course", course], cwd=course, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with (course / "exports" / f"{SQUARES}-grades.csv").open(encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    return course, rows, result.stdout


def test_an_assignment_with_its_own_test_cells_runs_in_the_sandbox(graded_squares):
    course, rows, output = graded_squares
    assert "4 submission(s) graded by running each notebook in the bubblewrap sandbox" in output
    # snoop's point says its kernel ran and could not see the key (a page keeps no printout to read).
    assert {s: (r["status"], r["score"]) for s, r in rows.items() if s != "dies"} == {
        "right": ("graded", "1"), "wrong": ("graded", "0"), "snoop": ("graded", "1"), "words": ("graded", "0")
    }
    # snoop's 1 says the kernel did run its code, and could not see the key
    assert not (course / "autograded" / "snoop" / SQUARES / "side.txt").exists()  # its writes are thrown away


def test_a_dead_kernel_is_named_by_what_happened(graded_squares):
    _, rows, _ = graded_squares
    assert rows["dies"]["status"] == "failed" and rows["dies"]["reason"] == "the kernel died while running it"
    assert "time limit" not in rows["words"]["reason"], rows["words"]
