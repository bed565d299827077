"""The lesson notebooks: committed stripped, shaped like lessons, and run top to bottom in a real kernel."""

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
LESSONS = ["01_start_here", "02_reading_trivedi", "03_reading_cronin", "04_comparing_positions", "05_reliability"]


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_the_five_lessons_exist_and_read_as_a_syllabus():
    assert [p.stem for p in NOTEBOOKS][: len(LESSONS)] == LESSONS
    assert all(p.stem[:2].isdigit() and p.stem[2] == "_" for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_stripped(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"cell {index} has outputs"
            assert cell["execution_count"] is None, f"cell {index} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_lesson_shape(path):
    markdown = [("".join(c["source"])) for c in cells(path) if c["cell_type"] == "markdown"]
    assert "Objectives" in markdown[0] and "Key points" in markdown[0]
    assert "Estimated time" in markdown[0]
    sources = ["".join(c["source"]) for c in cells(path)]
    last_heading = max(i for i, s in enumerate(sources) if s.startswith("## "))
    assert any("self_check(" in s for s in sources[last_heading:]), "the last section has no self_check call"
    assert any("glossary(" in s for s in sources), "the lesson never uses the glossary"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_runs_top_to_bottom_in_a_fresh_kernel(path):
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, kernel_name="python3", timeout=120, allow_errors=True,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute()
    problems = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                problems.append(f"cell {index} `{cell.source[:50]}`: {output.ename}: {output.evalue[:200]}")
            elif output.output_type == "stream" and output.name == "stderr":
                problems.append(f"cell {index} `{cell.source[:50]}` wrote to stderr: {output.text[:200]}")
    assert not problems, "\n".join(problems)
