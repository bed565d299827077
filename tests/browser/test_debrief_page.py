"""The students' debrief page (`peninsula debrief`) in real chromium: offline, and no serious or
critical axe violation. A small demo class is graded, its written answers graded by hand, then the
debrief is written (about a minute)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from conftest import BIN, CHROMIUM_FLAGS, ENV_PATH, ROOT, chromium_or_skip
from test_accessibility import audit, axe_or_skip, blocking

from peninsula.grader.course import Course

A1 = "who_must_act"


def peninsula(course, *args: str) -> None:
    command = [BIN / "peninsula", *args, "--course", course]
    result = subprocess.run(command, cwd=course, env={**os.environ, **ENV_PATH},
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"peninsula {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def debrief(tmp_path_factory):
    axe_or_skip()
    course = tmp_path_factory.mktemp("debrief") / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "course", course / "course")
    shutil.copytree(ROOT / "source_texts", course / "source_texts")
    peninsula(course, "demo-class", A1, "--students", "5")
    peninsula(course, "grade", A1, "--no-sandbox")  # the page is under test, not the kernel's sandbox
    with Course(course).api().gradebook as gradebook:
        for submission in gradebook.assignment_submissions(A1):
            grade = gradebook.find_grade("discussion", A1, A1, submission.student.id)
            grade.manual_score, grade.needs_manual_grade = 3, False
        gradebook.db.commit()
    peninsula(course, "grade", A1, "--no-sandbox")
    peninsula(course, "debrief", A1, "--released-on-lms")
    return course / "exports" / f"{A1}-debrief.html"


def test_the_debrief_is_offline_and_has_no_serious_violation(playwright, debrief):
    browser = playwright.chromium.launch(executable_path=chromium_or_skip(), args=CHROMIUM_FLAGS)
    try:
        page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
        outside = []
        page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else outside.append(r.url))
        page.goto(debrief.as_uri())
        page.wait_for_load_state("load")
        assert page.locator("main h1").count() == 1
        assert page.locator("main section h2").count() >= 30  # one section per graded item
        assert page.locator("table caption").first.inner_text().startswith("How the class answered")
        assert blocking(audit(page, "debrief")) == []
        assert outside == []
    finally:
        browser.close()
