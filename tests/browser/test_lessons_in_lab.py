"""Each lesson, run in JupyterLab: no errors, every widget and chart drawn, nothing fetched from outside.

The expected numbers of widgets and charts come from the lesson file itself, so the test follows
the notebooks. Each lesson runs on a throwaway copy (see conftest), so its outputs are never saved.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDGET_CALLS = r"\bwidgets\.(reader|comparer)\(|\bself_check\("
CHART_CALLS = r"\bcharts\.\w+\(|\bwidgets\.comparer\(|\breliability\.\w+_chart\("  # a comparer draws a stance map too
# Top-level outputs that rendered a widget (a comparer's stance map is an output inside a widget),
# and charts that drew data marks, not only axes.
RENDERED_WIDGETS = """() => [...document.querySelectorAll(
  ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output"
)].filter(output => !output.parentElement.closest(".jp-OutputArea-output")
    && output.querySelector(".jupyter-widgets")).length"""
DRAWN_CHARTS = """() => [...document.querySelectorAll(
  ".jp-NotebookPanel:not(.lm-mod-hidden) .vega-embed"
)].filter(chart => chart.querySelector(
  "canvas.marks, svg.marks .role-mark path, svg.marks .role-mark text, svg.marks .role-mark line"
)).length"""


def code_cells(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text())["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


def count_calls(sources: list[str], pattern: str) -> int:
    """How many cells call something matching `pattern`."""
    return sum(bool(re.search(pattern, source)) for source in sources)


def test_there_are_lessons():
    assert len(LESSONS) >= 4


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.stem for lesson in LESSONS])
def test_lesson_runs_and_draws_everything_offline(lab_page, lab, lesson):
    sources = code_cells(lesson)
    widgets, charts = count_calls(sources, WIDGET_CALLS), count_calls(sources, CHART_CALLS)
    lab_page.open(lab.path(lab.copy(lesson)))
    lab_page.wait_kernel_ready()
    lab_page.screenshot("opened")

    lab_page.run_all_and_wait()
    lab_page.screenshot("ran")
    state = lab_page.notebook_state("ran")
    lab_page.assert_no_error_outputs()
    assert state["ran"], "not every code cell ran"

    page = lab_page.page
    page.wait_for_function(f"() => ({RENDERED_WIDGETS})() >= {widgets} && ({DRAWN_CHARTS})() >= {charts}",
                           timeout=30_000)
    lab_page.screenshot("rendered")
    assert page.evaluate(RENDERED_WIDGETS) == widgets
    assert page.evaluate(DRAWN_CHARTS) == charts
    lab_page.assert_no_error_outputs()  # again: a widget or chart can fail after the kernel is idle
    assert lab_page.outside_requests == []
    lab_page.close_notebook()


def test_an_error_in_a_cell_is_caught(lab_page, lab):
    """The checks above can fail: a traceback stops Run All, and assert_no_error_outputs reports it."""
    lab_page.open(lab.path(lab.scratch_notebook("failing", "1 + 1", "1 / 0", "2 + 2")))
    lab_page.run_all_and_wait()
    assert lab_page.notebook_state("failed") == {"failed": True}
    # Run All stopped at the error: the cell after it shows no result. (Its execution count is not a
    # reliable sign: under load JupyterLab can leave one on a cell it dequeued.)
    last = "() => window.jupyterapp.shell.currentWidget.content.widgets[2].model.outputs.length"
    assert lab_page.page.evaluate(last) == 0
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        lab_page.assert_no_error_outputs()
    lab_page.close_notebook()
