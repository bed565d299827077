"""A term on the hub, end to end: real JupyterHub, real unix users, real nbgrader, real Chromium.

The tests run in order and share one hub (see conftest): the grader releases `who_must_act`;
three students log in, run lesson 1, fetch the assignment from the Assignment List, type answers,
validate and submit; the grader collects and grades in the sandbox; an instructor grades the
written answer in the Formgrader, in its own browser tab; feedback goes out; each student fetches
it and sees their score; no student can reach another's work or the course; teardown removes all.
"""

from __future__ import annotations

import json
import pwd
import re
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hubkit import ASSIGNMENT, ROOT, Hub, harness, read_grades
from playwright.sync_api import expect

from peninsula.grader.course import Course
from peninsula.grader.key import model_answers

KEY = Course(ROOT).key_file  # the key of this repository's course

UI_WAIT = 120_000  # ms: every nbgrader action starts a command (about 4 s on 2 cores) plus its work
RIGHT_ANSWERS = [35, 20, 8]  # how many items each student answers with the key's answer
MISSPELT = '"Soth Korea"'  # the third student also types a name the format check does not know
WRITTEN = "My reading: the sentence names no actor, so I argued from the paragraph around it."
# The total on a feedback page: "score 38.0 of 39.0" (the kit's page) or "Score: 38.0 / 39.0" (nbgrader's).
SCORE = re.compile(r"[Ss]core:? ([\d.]+) (?:of|/) [\d.]+")
MANUAL_POINTS = 4.0  # of 5, given by the instructor in the Formgrader to the first student's written answer


class UserServer:
    """What the browser harness's LabPage needs of a server: its address (the hub's cookie logs in)."""

    def __init__(self, hub: Hub, user: str) -> None:
        self.url = f"{hub.url}/user/{user}"

    def address(self, path: str, query: str = "") -> str:
        return f"{self.url}{path}?{query.lstrip('&')}"


@dataclass
class Term:
    """What the steps hand on to each other."""

    tabs: dict = field(default_factory=dict)  # student -> harness.LabPage, logged in
    grades_csv: Path | None = None
    uids: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def term(hub) -> Term:
    return Term(uids={user: pwd.getpwnam(user).pw_uid for user in [hub.grader, hub.instructor, *hub.students]})


def log_in(browser, hub: Hub, user: str, next_url: str = ""):
    """A fresh browser context logged in as `user` through the hub's login form; returns its page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login" + (f"?next={next_url}" if next_url else ""))
    page.fill("#username_input", user)
    page.fill("#password_input", hub.password)
    page.click("#login_submit")
    return page


def wait_lab(page) -> None:
    page.wait_for_function("window.jupyterapp && window.jupyterapp.started", timeout=UI_WAIT)
    page.evaluate("async () => { await window.jupyterapp.restored; }")


def assignment_list(tab) -> None:
    """Open the Assignment List and refresh it, one load at a time.

    The list is drawn again whenever a load returns, so a load still under way would undo a click
    made meanwhile. Opening the list starts a load, and nbgrader disables the course menu until a
    load has finished."""
    settled = "#course_list_dropdown:not([disabled])"
    tab.command("nbgrader:open-assignment-list")
    tab.page.wait_for_selector(settled, timeout=UI_WAIT)
    tab.page.locator("#refresh_assignments_list").click()
    tab.page.wait_for_selector(settled, timeout=UI_WAIT)


def row(page, listing: str, text: str = ASSIGNMENT):
    return page.locator(f"#{listing} .list_item").filter(has_text=text).first


def open_fetched_notebook(page, assignment: str = ASSIGNMENT) -> None:
    """Open a fetched assignment's notebook from the Assignment List: unfold its row, click the link."""
    row(page, "fetched_assignments_list", assignment).get_by_role("button", name=assignment).click()
    page.locator("#fetched_assignments_list .assignment-notebooks a").filter(has_text=assignment).first.click()


def test_the_grader_releases_the_assignment(hub):
    out = hub.grader_runs("peninsula", "release", ASSIGNMENT)
    assert "the leak check found nothing" in out
    assert (hub.exchange / "peninsula" / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()


def test_students_log_in_and_run_lesson_one(hub, browser, term):
    for student in hub.students:
        started = time.monotonic()
        page = log_in(browser, hub, student)
        wait_lab(page)
        hub.timings[f"login {student}"] = time.monotonic() - started
        tab = harness.LabPage(page, UserServer(hub, student), f"hub-{student}")
        term.tabs[student] = tab
        # Their own copy of the lessons, opened on lesson 1; the shared folder stays read-only.
        assert page.url.endswith("/lab/tree/peninsula/notebooks/01_start_here.ipynb")
        home = Path(pwd.getpwnam(student).pw_dir)
        lesson = home / "peninsula" / "notebooks" / "01_start_here.ipynb"
        assert lesson.owner() == student and (home / "peninsula" / "source_texts" / "trivedi.md").is_file()
        assert hub.as_user(student, "touch", str(hub.prefix / "lessons" / "notebooks" / "x"), check=False).returncode != 0
        assert home.stat().st_mode & 0o077 == 0, "the student's home is open to others"
        # No instructor tools in a student's JupyterLab.
        commands = page.evaluate("() => window.jupyterapp.commands.listCommands()")
        assert "nbgrader:open-assignment-list" in commands
        assert not {"nbgrader:open-formgrader", "nbgrader:open-course-list"} & set(commands)

        tab.run_all_and_wait()
        tab.screenshot("lesson-1-ran")
        tab.assert_no_error_outputs()  # the texts were found: a missing folder raises in the first cells
        drawn = ".jp-NotebookPanel:not(.lm-mod-hidden) .vega-embed :is(canvas.marks, svg.marks)"
        page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jupyter-widgets", timeout=UI_WAIT)
        page.wait_for_selector(drawn, timeout=UI_WAIT)
        assert "T1" in page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea").all_inner_texts().__str__()
        tab.close_notebook()


def typed_answers(count: int, misspelt: bool) -> dict[str, str]:
    """Replacements for the release's blank answers: the key's answer for the first `count` items."""
    right = list(model_answers(ASSIGNMENT, KEY).items())
    typed = {f"\n{item}:\n": f"\n{item}: {answer}\n" for item, answer in right[:count]}  # plain lines
    if misspelt:
        typed[f"\n{right[-1][0]}:\n"] = f"\n{right[-1][0]}: {MISSPELT}\n"
    return typed


def key_probe(hub: Hub) -> str:
    """A cell a student adds to see whether their code can read the answer key when it is graded."""
    key = hub.course_dir / "course" / "answer_key.yaml"
    return f"try:\n    print(open({str(key)!r}).read()[:40])\nexcept OSError as error:\n    print(type(error).__name__)"


def test_students_fetch_validate_and_submit(hub, term):
    for n, student in enumerate(hub.students):
        tab, page = term.tabs[student], term.tabs[student].page
        assignment_list(tab)
        row(page, "released_assignments_list").get_by_role("button", name="Fetch").click()
        fetched = row(page, "fetched_assignments_list")
        expect(fetched).to_be_visible(timeout=UI_WAIT)
        open_fetched_notebook(page)
        tab.wait_kernel_ready()

        typed = typed_answers(RIGHT_ANSWERS[n], misspelt=n == 2)
        page.evaluate("""([typed, written, probe]) => {
            const notebook = window.jupyterapp.shell.currentWidget.content;
            const cells = notebook.widgets;
            const answers = cells.find(c => c.model.sharedModel.getSource().includes("%%answers"));
            let source = answers.model.sharedModel.getSource();
            for (const [blank, answer] of Object.entries(typed)) source = source.replace(blank, answer);
            answers.model.sharedModel.setSource(source);
            if (written) cells.find(c => (c.model.getMetadata("nbgrader") || {}).grade_id === "discussion")
                .model.sharedModel.setSource(written);
            if (probe) notebook.model.sharedModel.insertCell(cells.length, {cell_type: "code", source: probe});
        }""", [typed, WRITTEN if n == 0 else "", key_probe(hub) if n == 2 else ""])
        tab.command("docmanager:save")
        tab.screenshot("answers-typed")

        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar").get_by_text("Validate", exact=True).click()
        dialog = page.locator(".jp-Dialog")
        expect(dialog).to_be_visible(timeout=UI_WAIT)
        tab.screenshot("validated")
        text = dialog.inner_text()
        assert "Traceback" not in text and "not correct" not in text
        if RIGHT_ANSWERS[n] < len(model_answers(ASSIGNMENT, KEY)):
            assert "no answer yet" in text
        else:
            assert "no answer yet" not in text
        if n == 2:
            assert "'Soth Korea' is not an actor name" in text
        page.keyboard.press("Escape")
        tab.close_notebook()

        assignment_list(tab)
        row(page, "fetched_assignments_list").get_by_role("button", name="Submit").click()
        expect(page.locator("#submitted_assignments_list .list_item").filter(has_text=ASSIGNMENT).first).to_be_visible(
            timeout=UI_WAIT)
        tab.screenshot("submitted")
        assert tab.outside_requests == []


def test_the_grader_collects_and_grades_in_the_sandbox(hub, term):
    out = hub.grader_runs("peninsula", "collect", ASSIGNMENT)
    assert f"Collected {len(hub.students)} student(s)" in out
    started = time.monotonic()
    out = hub.grader_runs("peninsula", "grade", ASSIGNMENT, timeout=900)
    hub.timings["peninsula grade (3 students, sandboxed)"] = time.monotonic() - started
    assert "--no-sandbox" not in out
    term.grades_csv = Path(re.search(r"Grades with a status column: (\S+)", out).group(1))
    rows = read_grades(term.grades_csv)
    first, *others = hub.students
    assert rows[first]["status"] == "needs manual grading"  # the written answer waits for a person
    assert all(rows[s]["status"] == "graded" for s in others)  # theirs was left blank: 0, settled
    scores = [float(rows[s]["score"]) for s in hub.students]
    assert scores[0] > scores[1] > scores[2] > 0, scores
    assert not any("UNSANDBOXED" in r["reason"] for r in rows.values())
    # The third student's extra cell, which reads the key, never ran: the assignment is graded from text.
    assert "graded from the answer cells' text; no student code ran" in out
    graded = json.loads((hub.course_dir / "autograded" / hub.students[2] / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    (probe,) = [c for c in graded["cells"] if "answer_key.yaml" in "".join(c["source"])]
    assert probe["outputs"] == [], probe["outputs"]

    out = hub.grader_runs("peninsula", "release-feedback", ASSIGNMENT)
    assert first in out.split("Held back")[1], out  # provisional feedback is held back
    assert all(s in out.split("Held back")[0] for s in others), out


def test_the_instructor_grades_the_written_answer_in_the_formgrader(hub, browser, term):
    formgrader = "/services/peninsula/formgrader"
    page = log_in(browser, hub, hub.instructor, next_url=f"{formgrader}/gradebook/{ASSIGNMENT}/{ASSIGNMENT}")
    waiting = page.locator("table tr:has(.needs-manual-grade[data-search='needs manual grade'])")
    expect(waiting).to_have_count(1, timeout=UI_WAIT)  # only the first student wrote an answer
    page.screenshot(path=harness.SCREENSHOTS / f"hub-{hub.instructor}-01-gradebook.png")
    waiting.locator("a").first.click()
    score = page.locator("input.score#discussion")
    expect(score).to_be_visible(timeout=UI_WAIT)
    expect(page.locator("body")).to_contain_text(WRITTEN)
    score.fill(str(MANUAL_POINTS))
    score.press("Tab")  # the Formgrader saves on change
    page.wait_for_timeout(2_000)
    page.screenshot(path=harness.SCREENSHOTS / f"hub-{hub.instructor}-02-graded.png")
    page.goto(f"{hub.url}{formgrader}/gradebook/{ASSIGNMENT}/{ASSIGNMENT}")
    expect(page.locator("table")).to_contain_text("Submission", timeout=UI_WAIT)
    expect(waiting).to_have_count(0)
    page.context.close()

    first = hub.students[0]
    hub.grader_runs("nbgrader", "generate_feedback", ASSIGNMENT, f"--student={first}", "--force")
    out = hub.grader_runs("peninsula", "release-feedback", ASSIGNMENT)
    assert "Held back" not in out and first in out, out


def test_students_fetch_feedback_and_see_their_score(hub, term):
    rows = read_grades(term.grades_csv)
    for n, student in enumerate(hub.students):
        tab, page = term.tabs[student], term.tabs[student].page
        assignment_list(tab)
        submitted = row(page, "submitted_assignments_list")
        submitted.get_by_role("button", name="Fetch Feedback").click()
        view = page.locator("#submitted_assignments_list").get_by_text("(view feedback)")
        expect(view).to_be_visible(timeout=UI_WAIT)
        view.click()
        tab.screenshot("feedback-fetched")
        (html,) = Path(pwd.getpwnam(student).pw_dir).glob(f"{ASSIGNMENT}/feedback/*/{ASSIGNMENT}.html")
        expected = float(rows[student]["score"]) + (MANUAL_POINTS if n == 0 else 0.0)
        shown = page.context.new_page()
        shown.goto(f"{hub.url}/user/{student}/files/{html.relative_to(html.parents[3]).as_posix()}")
        expect(shown.get_by_role("heading").first).to_be_visible(timeout=UI_WAIT)
        shown.screenshot(path=harness.SCREENSHOTS / f"hub-{student}-feedback.png")
        score = float(SCORE.search(shown.locator("body").inner_text()).group(1))  # the total comes first
        assert score == pytest.approx(expected, abs=0.01), (student, score, expected)
        shown.close()


def test_no_student_can_reach_another_or_the_course(hub, browser):
    first, second = hub.students[:2]
    first_home = Path(pwd.getpwnam(first).pw_dir)
    grader_home = Path(pwd.getpwnam(hub.grader).pw_dir)
    inbound = hub.exchange / "peninsula" / "inbound"
    (submission,) = inbound.glob(f"{first}+{ASSIGNMENT}+*")
    denied = [
        ["ls", str(inbound)],  # submissions cannot be listed, so their random names stay unknown
        ["ls", str(first_home)],
        ["cat", str(first_home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")],
        ["ls", str(first_home / ".local" / "share" / "jupyter")],  # nbgrader's copy of each submission
        ["ls", str(grader_home)],
        ["ls", str(hub.course_dir)],
        ["cat", str(hub.course_dir / "course" / "answer_key.yaml")],
        ["cat", str(hub.course_dir / "gradebook.db")],
        ["ls", str(hub.course_dir / "submitted" / first)],
        ["ls", str(hub.exchange / "peninsula" / "feedback")],
        ["rm", "-rf", str(hub.exchange / "peninsula")],
        ["mv", str(hub.exchange / "peninsula"), str(hub.exchange / "mine")],
    ]
    for command in denied:
        result = hub.as_user(second, *command, check=False)
        assert result.returncode != 0, f"{second} could run {command}: {result.stdout}"
    # What was refused exists: the refusals are permissions, not missing paths.
    for path in (submission, hub.exchange / "peninsula" / "feedback", hub.course_dir / "submitted" / first,
                 first_home / ".local" / "share" / "jupyter", hub.course_dir / "gradebook.db"):
        assert path.exists(), path
    # ...and the Formgrader service refuses a student.
    page = log_in(browser, hub, second, next_url="/hub/home")
    response = page.goto(f"{hub.url}/services/peninsula/formgrader/")
    assert response.status == 403
    page.context.close()


def test_teardown_removes_the_users_and_the_services(hub, term):
    for tab in term.tabs.values():
        tab.page.context.close()
    hub.down()
    for user, uid in term.uids.items():
        with pytest.raises(KeyError):
            pwd.getpwnam(user)
        left = subprocess.run(["ps", "-o", "pid=", "-U", str(uid)], capture_output=True, text=True).stdout
        assert left.strip() == "", f"processes of {user} outlived the hub: {left}"
        assert not Path(f"/home/{user}").exists()
    assert not hub.prefix.exists()
    assert hub.process.poll() is not None
    port = int(hub.url.rsplit(":", 1)[1])
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
