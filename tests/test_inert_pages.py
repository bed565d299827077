"""Inert pages and safe exports, part by part: the sanitizer, the leak screen's linear time, CSV cells
a spreadsheet would run, and one unreadable submission among many (a 20,000-digit answer).

The whole chain (real `peninsula grade`, the real Formgrader and the feedback page in chromium) is in
tests/browser/test_hostile_pages.py."""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from nbformat import from_dict
from test_agreement import A1, demo_course

from peninsula.grader.class_data import readable_answers
from peninsula.grader.codings import write_codings
from peninsula.grader.course import Course
from peninsula.grader.integrity import check_integrity, submitted_class
from peninsula.grader.key import load_items
from peninsula.grader.leaks import leaks_in_text
from peninsula.grader.lms_grades import lms_csv, unlisted
from peninsula.grader.report import script_json, skipped_html
from peninsula.grader.sanitize import (
    MAX_CELL_CHARACTERS,
    bound_page,
    inert_markdown,
    is_plain_id,
    make_inert,
    prune_folder,
)
from peninsula.grader.spreadsheet import safe_cell, safe_row

KEY = Course(Path(__file__).parents[1]).key_file  # the key of this repository's course

HOSTILE_MARKDOWN = """# My answer

The **Trivedi** memo says *this*.

<script>fetch('/api/contents')</script>
<img src=x onerror="alert(1)">
<iframe srcdoc="<script>parent.alert(1)</script>"></iframe>
<svg onload="alert(1)"><a xlink:href="javascript:alert(1)">x</a></svg>
[click](javascript:alert(1)) [entity](jav&#x61;script:alert(1)) [twice](jav&amp;#x61;script:alert(1))
[escaped](javascript\\:alert(1)) [ref]

[ref]: JaVaScRiPt:alert(1)
![pic](attachment:evil.svg)
"""
#: A one-pixel PNG.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
HUGE = "0x" + "f" * 20_000  # a 20,000-digit integer: Python cannot print it in decimal


def notebook(*cells: dict, metadata: dict | None = None):
    return from_dict({"cells": list(cells), "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5})


def markdown(source: str, **extra) -> dict:
    return {"cell_type": "markdown", "id": "m", "metadata": {}, "source": source, **extra}


def code(source: str, outputs: list, nbgrader: dict | None = None) -> dict:
    metadata = {"nbgrader": nbgrader} if nbgrader else {"tags": ["<b>x</b>"]}
    return {"cell_type": "code", "id": "c", "metadata": metadata, "source": source, "outputs": outputs,
            "execution_count": 1}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.live: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "iframe", "svg", "object", "embed", "frame", "base", "form", "math"):
            self.live.append(tag)
        for name, value in attrs:
            scheme = "".join((value or "").split()).lower()
            if name.startswith("on") or name == "srcdoc" or scheme.startswith(("javascript:", "vbscript:")):
                self.live.append(f"{tag} {name}={value}")
            if name in ("src", "href") and scheme.startswith(("http:", "https:", "//", "data:text")):
                self.live.append(f"{tag} {name}={value}")


def live_parts(page: str) -> list[str]:
    """Elements and attributes of a page that could run or load something (its text is not read)."""
    parser = _Elements()
    parser.feed(page)
    return parser.live


def render(nb) -> str:
    """The page nbconvert makes of it, without the second layer (sanitize_html off)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="classic").from_notebook_node(nb)[0]


RICH = [
    {"output_type": "display_data", "metadata": {}, "data": {
        "text/html": "<script>alert(1)</script>", "application/javascript": "alert(1)",
        "image/svg+xml": "<svg onload='alert(1)'/>", "text/plain": "<HTML object>",
        "application/vnd.jupyter.widget-view+json": {"model_id": "x"}}},
    {"output_type": "stream", "name": "stdout", "text": "<script>alert(2)</script>"},
]


def test_markdown_keeps_its_formatting_and_loses_every_element_and_script_link():
    nb = make_inert(
        notebook(markdown(HOSTILE_MARKDOWN, attachments={"evil.svg": {"image/svg+xml": "<svg/>"}}))
    )
    cell = nb.cells[0]
    assert "attachments" not in cell
    page = render(nb)
    body = page[page.index("<body") :]
    assert "<h1" in body and "<strong>Trivedi</strong>" in body and "<em>this</em>" in body
    assert live_parts(body) == []
    assert "&lt;script&gt;fetch" in body  # shown as text, for the grader to read


def test_every_image_a_feedback_page_can_show_has_alt_text():
    """The kit's feedback exporter skips HTMLExporter's second pass, which gives images without alt
    text one: on an inert notebook, markdown is the only source of images, and it always writes alt."""
    from peninsula.grader.feedback_page import FeedbackExporter

    graded = {"grade": True, "grade_id": "part", "points": 1, "solution": False, "locked": False}
    nb = make_inert(notebook(
        markdown("![](attachment:dot.png) and ![a dot](attachment:dot.png)", attachments={"dot.png": {"image/png": PNG}}),
        code("draw()", [{"output_type": "display_data", "metadata": {}, "data": {"image/png": PNG}}], graded),
    ))
    page = FeedbackExporter(template_name="classic").from_notebook_node(nb)[0]
    images = page.split("<img")[1:]
    assert len(images) == 2 and all(" alt=" in m.split(">", 1)[0] for m in images)


def test_only_plain_text_outputs_of_graded_cells_survive():
    graded = {"grade": True, "grade_id": "hidden_trivedi", "points": 3, "solution": False, "locked": True}
    nb = make_inert(
        notebook(
            code("x", RICH),
            code("y", RICH, graded),
            metadata={
                "widgets": {"application/vnd.jupyter.widget-state+json": {}},
                "kernelspec": {"name": "python3", "display_name": "Python 3"},
            },
        )
    )
    student, kit = nb.cells
    assert student.outputs == [] and student.metadata == {}
    assert [list(o.get("data", {})) for o in kit.outputs] == [["text/plain"], []]
    assert set(nb.metadata) == {"kernelspec"}
    page = render(nb)
    assert live_parts(page[page.index("<body") :]) == []


def test_nbgrader_metadata_that_is_not_plain_is_dropped_and_raw_cells_are_escaped():
    hostile = {"grade": True, "grade_id": '"><script>alert(1)</script>', "points": 1}
    raw = {
        "cell_type": "raw",
        "id": "r",
        "metadata": {"format": "text/html"},
        "source": "<script>alert(3)</script>",
    }
    nb = make_inert(notebook(code("x", [], hostile), raw))
    assert nb.cells[0].metadata == {} and nb.cells[1].metadata == {}
    assert "<script>" not in nb.cells[1].source
    assert is_plain_id("demo001") and is_plain_id("ada.lovelace@uni") and not is_plain_id("<b>x</b>")
    assert not is_plain_id('=HYPERLINK("http://x","y")') and not is_plain_id("")


def test_cells_and_pages_are_bounded():
    nb = make_inert(notebook(markdown("a" * 5_000_000), code("print()", [])))
    assert len(nb.cells[0].source) < MAX_CELL_CHARACTERS + 100
    big = notebook(*(markdown("b" * 90_000) for _ in range(40)))
    assert sum(len(c.source) for c in bound_page(big, 1_000_000).cells) < 1_000_000 + 40 * 100
    assert inert_markdown("a < b & c") == "a &lt; b \uff06 c"


def test_making_a_notebook_inert_twice_changes_nothing():
    """The feedback step makes the autograded notebook inert again: escapes must not pile up."""
    raw = {"cell_type": "raw", "id": "r", "metadata": {}, "source": "<b>&amp;</b>"}
    once = make_inert(notebook(markdown(HOSTILE_MARKDOWN), raw))
    twice = make_inert(from_dict(json.loads(json.dumps(once))))
    assert [c.source for c in twice.cells] == [c.source for c in once.cells]
    assert "&lt;script>" in once.cells[0].source and "removed-attachment:evil.svg" not in once.cells[0].source


def test_only_the_assignments_own_files_stay_beside_the_notebook(tmp_path):
    for name in ("who_must_act.ipynb", "timestamp.txt", "evil.html", "sub/page.svg", "data.csv"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / "key_link").symlink_to("/etc/hostname")
    removed = prune_folder(tmp_path, {"who_must_act.ipynb", "timestamp.txt", "data.csv"})
    assert sorted(removed) == ["evil.html", "key_link", "sub/page.svg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "timestamp.txt", "who_must_act.ipynb"]


def test_the_leak_screen_is_linear_in_the_page():
    """A page of nothing but item ids (the 10 MB line that hung grading): a bound far above linear
    time and far below the quadratic one."""
    leaks_in_text("warm up", assignment_material=True, key_file=KEY)  # the key's fingerprints, computed once
    line = "R02 R13: x, " * (4_000_000 // 12)
    start = time.perf_counter()
    found = leaks_in_text(line, assignment_material=True, key_file=KEY)
    assert time.perf_counter() - start < 60
    assert found == []
    typed = "".join(f'"R02": "US", {n} ' for n in range(50_000))  # R02's answer, 50,000 times
    assert len(leaks_in_text(typed, assignment_material=True, key_file=KEY)) == 1  # each id reported once


@pytest.mark.parametrize(
    "cell, shown",
    [('=HYPERLINK("http://x","click")', "'=HYPERLINK(\"http://x\",\"click\")"), ("+1+2", "'+1+2"),
     ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
     ("-1.5", "-1.5"), ("-", "-"), ("31.5", "31.5"), ("Lovelace, Ada", "Lovelace, Ada"), (None, "")],
)
def test_csv_cells_a_spreadsheet_would_run_are_text(cell, shown):
    assert safe_cell(cell) == shown


def test_lms_files_leave_out_ids_not_on_the_roster_and_neutralise_the_rest():
    rows = [{"student_id": s, "status": "graded", "score": "3", "reason": ""}
            for s in ("demo001", '=HYPERLINK("http://evil","x")')]
    people = {"demo001": {"first": "=cmd|' /C calc'!A0", "last": "@x", "email": "", "lms": "+1"}}
    for lms in ("canvas", "moodle"):
        text = lms_csv(rows, people, lms, A1)
        assert "HYPERLINK" not in text
        for row in csv.reader(io.StringIO(text)):
            assert not any(cell.startswith(("=", "+", "@", "-")) for cell in row), row
    assert [r["student_id"] for r in unlisted(rows, people)] == ['=HYPERLINK("http://evil","x")']
    assert safe_row(["=1", 2]) == ["'=1", "2"]


def test_report_html_escapes_what_students_chose():
    assert "</script>" not in script_json({"student": "</script><script>alert(1)</script>"})
    assert "<b>" not in skipped_html({"<b>x</b>": "its answers could not be read"})


@pytest.fixture(scope="module")
def class_with_a_huge_answer(tmp_path_factory) -> Course:
    course = Course(demo_course(tmp_path_factory.mktemp("huge") / "course", students=8))
    first = sorted(course.folder("submitted").iterdir())[0]
    folder = course.folder("submitted", "huge_number", A1)
    shutil.copytree(first / A1, folder)
    path = folder / f"{A1}.ipynb"
    nb = json.loads(path.read_text())
    answer = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "answers")
    answer["source"] = f'answers = {{\n    "R02": {HUGE},\n    "R03": "US",\n}}\n'
    path.write_text(json.dumps(nb))
    return course


def test_a_huge_integer_answer_stops_no_class_command(class_with_a_huge_answer, tmp_path):
    """The reader names a number over 12 digits and leaves it unread; the rest of the cell still counts."""
    course = class_with_a_huge_answer
    result = check_integrity(course, A1)
    assert result.submissions == 9 and not result.skipped
    data = submitted_class(course, A1)
    assert not data.skipped and len(data.answers) == 9
    assert data.answers["huge_number"]["R02"] != HUGE and data.answers["huge_number"]["R03"]
    write_codings(course, data, tmp_path / "codings.yaml", random.Random(0), "test")
    assert (tmp_path / "codings.yaml").exists()
    notebook = course.folder("submitted", "huge_number", A1, f"{A1}.ipynb")
    assert readable_answers([notebook], load_items(A1, key_file=KEY))["R03"]


def test_the_steps_are_where_they_must_be():
    """MakeInert after the kit's scores and before nbgrader saves them; the feedback made inert first,
    sanitized, under its own policy; the grader's server with its policy and sanitizer."""
    from traitlets.config import Config

    from peninsula.grader.autograde import ScoreAnswers, configure
    from peninsula.grader.feedback_page import InertFeedback
    from peninsula.grader.feedback_page import configure as configure_feedback
    from peninsula.grader.page_policy import configure_server
    from peninsula.grader.sanitize import MakeInert

    config = Config()
    configure(config)
    steps = config.Autograde.autograde_preprocessors
    assert (
        steps.index(ScoreAnswers)
        < steps.index(MakeInert)
        == steps.index("nbgrader.preprocessors.SaveAutoGrades") - 1
    )
    configure_feedback(config)
    assert config.GenerateFeedback.preprocessors[0] is InertFeedback
    assert config.GenerateFeedback.HTMLExporter.sanitize_html is True
    configure_server(config)
    assert "object-src 'none'" in config.ServerApp.tornado_settings["headers"]["Content-Security-Policy"]
    assert config.HTMLExporter.sanitize_html is True


def test_the_metadata_check_remembers_a_bounded_amount():
    """Students can write nbgrader metadata of their own: the check's memory of passed cells stays small."""
    from peninsula.grader.autograde import _RememberingValidator as Validator

    def cell(grade_id: str) -> dict:
        meta = {"grade": False, "solution": False, "locked": False, "grade_id": grade_id, "schema_version": 3}
        return markdown("x", metadata={"nbgrader": meta})

    Validator().validate_nb(notebook(*(cell(f"mine{n}") for n in range(Validator.MAX_REMEMBERED + 50))))
    Validator().validate_nb(notebook(cell("long" * Validator.MAX_KEY_CHARACTERS)))
    assert len(Validator.passed) <= Validator.MAX_REMEMBERED
    assert all(len(key) <= Validator.MAX_KEY_CHARACTERS for key in Validator.passed)
