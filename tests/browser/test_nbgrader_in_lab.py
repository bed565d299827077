"""nbgrader's JupyterLab UI on the course: Validate on a release notebook, Formgrader, Assignment List.

Everything runs in the session's throwaway course (see conftest), where the server reads its
nbgrader config: generating and releasing there leaves the developer's gradebook, release/ and
.exchange/ alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from peninsula.grader.course import Course
from peninsula.grader.key import assignments

# who_must_act, comparing_positions: the course's registry, beside its key
ASSIGNMENTS = tuple(assignments(Course(Path(__file__).parents[2]).key_file))
NBGRADER_WAIT = 90_000  # ms: every nbgrader command costs about 4 s to start on these 2 cores, plus its work
# A few answers typed into the release's answer cell: one right-looking, one misspelt, the rest blank.
TYPED = {"\nR02:\n": "\nR02: South Korea, Japan\n", "\nR03:\n": "\nR03: Soth Korea\n"}  # plain lines


@pytest.fixture(scope="module")
def released(lab):
    """Both assignments generated (gradebook + release/) and released to the course's exchange."""
    for assignment in ASSIGNMENTS:
        lab.nbgrader("generate_assignment", assignment, "--force")
        lab.nbgrader("release_assignment", assignment, "--force")
    return lab.course


def test_validate_shows_the_friendly_format_messages(lab_page, lab, released):
    page = lab_page.page
    lab_page.open(lab.path(released / "release" / "who_must_act" / "who_must_act.ipynb"))
    lab_page.wait_kernel_ready()
    typed = page.evaluate(
        """typed => {
            const notebook = window.jupyterapp.shell.currentWidget.content;
            const cell = notebook.widgets.find(c => c.model.sharedModel.getSource().includes("%%answers"));
            let source = cell.model.sharedModel.getSource();
            for (const [blank, answer] of Object.entries(typed)) source = source.replace(blank, answer);
            cell.model.sharedModel.setSource(source);
            notebook.scrollToItem(notebook.widgets.indexOf(cell));
            return source;
        }""",
        TYPED,
    )
    assert all(answer in typed for answer in TYPED.values())
    lab_page.screenshot("answers-typed")

    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar").get_by_text("Validate", exact=True).click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("no answer yet", timeout=NBGRADER_WAIT)
    lab_page.screenshot("validated")
    text = dialog.inner_text()
    assert "R04: no answer yet" in text
    assert "'Soth Korea' is not an actor name; did you mean South Korea?" in text
    assert "R02:" not in text  # a readable answer raises nothing: the check is about format only
    assert "not correct" not in text and "Traceback" not in text
    assert lab_page.outside_requests == []
    page.keyboard.press("Escape")
    lab_page.close_notebook()


def test_formgrader_lists_the_course_assignments(lab_page, released):
    lab_page.open("README.md")
    lab_page.command("nbgrader:open-formgrader")
    formgrader = lab_page.page.frame_locator("iframe").first
    table = formgrader.locator("table")
    for assignment in ASSIGNMENTS:
        expect(table).to_contain_text(assignment, timeout=NBGRADER_WAIT)
    lab_page.screenshot("formgrader")
    assert lab_page.outside_requests == []


def test_assignment_list_shows_the_released_assignments(lab_page, released):
    lab_page.open("README.md")
    lab_page.command("nbgrader:open-assignment-list")
    released_list = lab_page.page.locator("#released_assignments_list")
    for assignment in ASSIGNMENTS:
        expect(released_list).to_contain_text(assignment, timeout=NBGRADER_WAIT)
    expect(released_list).to_contain_text("peninsula")
    lab_page.screenshot("assignment-list")
    assert lab_page.outside_requests == []
