"""The grader in the browser: hostile submissions, graded by the real `peninsula grade`, opened in the
real Formgrader (Manual Grading -> assignment -> notebook -> submission) and as feedback pages in
Debian's chromium. Nothing a student wrote may run there.

Every payload does two things if it runs: it logs "PWNED-<carrier>" to the console, and it calls a
listener on 127.0.0.1 (a tiny HTTP server of the test's own). The test watches both, and alerts too:
the listener alone would miss a script that ran but was stopped by the Content-Security-Policy.
Two controls show the watch works: a page without the kit's defences does reach the listener, and
the Formgrader's policy stops a call made from inside its page.

The Jupyter server is started with the grader's real config (deploy/hub/grader_jupyter_server_config.py).
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import free_port, start_server

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
A1 = "who_must_act"
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
TYPED = {"R02": "US", "R13": "us, south korea, japan"}
HTML_ID = "<img src=x onerror=\"console.log('PWNED-id');fetch('http:'+String.fromCharCode(47,47)+'127.0.0.1:{port}')\">"
FORMULA_ID = '=HYPERLINK("evil","click me")'


class Listener(BaseHTTPRequestHandler):
    heard: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Listener.heard.append(self.path)
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args) -> None:
        pass


def payload(carrier: str, port: int) -> str:
    return f"console.log('PWNED-{carrier}');fetch('http://127.0.0.1:{port}/{carrier}')"


def carriers(port: int) -> dict[str, dict]:
    """Student -> what they hand in: markdown cells, code cells with outputs, the written answer, files."""
    js = {
        name: payload(name, port)
        for name in ("raw_html", "written_answer", "outputs", "srcdoc", "extra_file")
    }
    html_output = {"output_type": "display_data", "metadata": {}, "data": {
        "text/html": f'<img src=x onerror="{js["outputs"]}"><script>{js["outputs"]}</script>',
        "application/javascript": js["outputs"], "text/plain": "<IPython.core.display.HTML object>",
        "image/svg+xml": f'<svg xmlns="http://www.w3.org/2000/svg" onload="{js["outputs"]}"></svg>'}}
    return {
        "raw_html": {"markdown": f'<script>{js["raw_html"]}</script>\n<img src=x onerror="{js["raw_html"]}">\n'
                                 f'<svg onload="{js["raw_html"]}"></svg> [a link](javascript:{js["raw_html"]})'},
        "written_answer": {"discussion": f'The memo is **clear**.\n\n<img src=x onerror="{js["written_answer"]}">'
                                         f'<details open ontoggle="{js["written_answer"]}">x</details>'},
        "outputs": {"code": ("from IPython.display import HTML, Javascript, display\n"
                             f"display(HTML({json.dumps('<img src=x onerror=' + json.dumps(js['outputs']) + '>')}))\n"
                             f"display(Javascript({json.dumps(js['outputs'])}))\n"
                             "display(HTML('<p>big</p>' * 1_000_000))"),
                    "outputs": [html_output]},
        "srcdoc": {"markdown": f'<iframe srcdoc="<script>{js["srcdoc"]}</script>"></iframe>',
                   "outputs": [{**html_output, "data": {
                       "text/html": f'<iframe srcdoc="<script>{js["srcdoc"]}</script>"></iframe>'}}]},
        "extra_file": {"files": {"evil.html": f"<script>{js['extra_file']}</script>",
                                 "notes.svg": f'<svg xmlns="http://www.w3.org/2000/svg" onload="{js["extra_file"]}"/>'}},
    }


def hostile_notebook(release: dict, attack: dict) -> dict:
    cells = []
    for cell in json.loads(json.dumps(release["cells"])):
        if cell["id"] == "answers":
            source = "".join(cell["source"])
            for item, value in TYPED.items():
                source = source.replace(f'"{item}": "",', f'"{item}": {json.dumps(value)},')
            cell["source"] = source
        if cell["id"] == "discussion" and "discussion" in attack:
            cell["source"] = attack["discussion"]
        cells.append(cell)
        if cell["id"] == "answers":
            if "markdown" in attack:
                cells.append(
                    {"cell_type": "markdown", "id": "note", "metadata": {}, "source": attack["markdown"]}
                )
            if "code" in attack or "outputs" in attack:
                cells.append({"cell_type": "code", "id": "show", "metadata": {}, "execution_count": 1,
                              "source": attack.get("code", "1"), "outputs": attack.get("outputs", [])})
    return {**release, "cells": cells}


def submit(course: Path, student: str, notebook: dict, files: dict[str, str] | None = None) -> None:
    folder = course / "submitted" / student / A1
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    (folder / f"{A1}.ipynb").write_text(json.dumps(notebook))
    for name, text in (files or {}).items():
        (folder / name).write_text(text)


def peninsula(course: Path, *args: str) -> str:
    done = subprocess.run([BIN / "peninsula", *args, "--course", str(course)], cwd=course, env=ENV,
                          capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def gradebook_scores(course: Path) -> dict[str, tuple]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {
            (s.student.id, g.name): (g.auto_score, g.manual_score, g.extra_credit)
            for s in gradebook.notebook_submissions(A1, A1)
            for g in s.grades
        }


@pytest.fixture(scope="module")
def listener():
    Listener.heard = []
    server = HTTPServer(("127.0.0.1", 0), Listener)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, listener) -> Path:
    course = tmp_path_factory.mktemp("hostile_pages") / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    subprocess.run(["cp", "-r", ROOT / "course", ROOT / "source_texts", course], check=True)
    subprocess.run(
        [BIN / "peninsula", "build-assignments"], cwd=course, env=ENV, check=True, capture_output=True
    )
    peninsula(course, "release", A1, "--lms-zip")
    release = json.loads((course / "release" / A1 / f"{A1}.ipynb").read_text())
    submit(course, "typed_only", hostile_notebook(release, {}))
    for student, attack in carriers(listener).items():
        submit(course, student, hostile_notebook(release, attack), attack.get("files"))
    for student in (HTML_ID.format(port=listener), FORMULA_ID):
        submit(course, student, hostile_notebook(release, {}))
    peninsula(course, "grade", A1)
    return course


def rows(course: Path) -> dict[str, dict]:
    with (course / "exports" / f"{A1}-grades.csv").open(encoding="utf-8", newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def test_no_hostile_page_earns_more_than_its_typed_answers(graded):
    grades = rows(graded)
    ceiling = float(grades["typed_only"]["score"])
    for student in carriers(0):
        assert grades[student]["status"] in ("graded", "needs manual grading"), grades[student]
        assert float(grades[student]["score"]) <= ceiling, grades[student]


def test_only_the_graded_notebook_reaches_autograded_and_feedback(graded):
    for student in [*carriers(0), "typed_only"]:
        assert sorted(p.name for p in (graded / "autograded" / student / A1).iterdir()) == [
            "timestamp.txt", f"{A1}.ipynb"]
        assert not {"evil.html", "notes.svg"} & {
            p.name for p in (graded / "feedback" / student / A1).iterdir()
        }
    page = graded / "feedback" / "outputs" / A1 / f"{A1}.html"
    assert page.stat().st_size < 2_000_000  # an 8 MB HTML output does not make an 8 MB page


def test_ids_a_page_or_a_spreadsheet_would_run_are_refused_and_never_in_the_gradebook(graded, listener):
    grades = rows(graded)
    html_id = HTML_ID.format(port=listener)
    assert FORMULA_ID not in grades  # the CSV cell is text to a spreadsheet: '=HYPERLINK(...)
    for shown in (html_id, "'" + FORMULA_ID):
        assert grades[shown]["status"] == "failed", grades.get(shown)
        assert "not a plain student id" in grades[shown]["reason"]
    assert {student for student, _ in gradebook_scores(graded)} == {*carriers(0), "typed_only"}


@pytest.fixture(scope="module")
def formgrader(graded):
    """The grader's Jupyter server, with the grader's real config, serving the hostile course."""
    port, token = free_port(), secrets.token_hex(16)
    command = [BIN / "jupyter", "server", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
               f"--config={ROOT / 'deploy/hub/grader_jupyter_server_config.py'}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={graded}",
               *(["--allow-root"] if os.geteuid() == 0 else [])]
    process, url = start_server(command, graded, ENV, port, token, graded / "server.log")
    yield url, token
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


class Watch:
    """A browser tab that records every console line, dialog and listener call a payload would make."""

    def __init__(self, browser) -> None:
        self.context = browser.new_context(viewport={"width": 1300, "height": 900})
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.on(
            "dialog", lambda dialog: (self.console.append(f"dialog {dialog.message}"), dialog.dismiss())
        )

    def ran(self) -> list[str]:
        self.page.wait_for_timeout(1500)  # onerror, ontoggle and fetches fire just after load
        return [line for line in self.console if "PWNED" in line or line.startswith("dialog")]


def test_the_watch_hears_a_script_that_runs(browser, listener):
    """Control: the same payload on a page without the kit's defences reaches the listener."""
    watch = Watch(browser)
    watch.page.set_content(f'<img src=x onerror="{payload("control", listener)}">')
    assert watch.ran() == ["PWNED-control"]
    assert "/control" in Listener.heard
    watch.context.close()


def test_the_formgrader_runs_no_student_script(browser, formgrader, graded, listener):
    url, token = formgrader
    before = gradebook_scores(graded)
    heard = len(Listener.heard)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded / 'gradebook.db'}") as gradebook:
        ids = {s.student.id: s.id for s in gradebook.notebook_submissions(A1, A1)}
    watch = Watch(browser)
    page = watch.page
    response = page.goto(f"{url}/formgrader?token={token}")
    assert "connect-src 'self'" in response.headers["content-security-policy"]
    for student in [*carriers(0), "typed_only"]:
        page.goto(f"{url}/formgrader")
        page.get_by_role("link", name="Manual Grading").click()
        page.get_by_role("link", name=A1, exact=True).first.click()
        page.locator("table").get_by_role("link", name=A1, exact=True).first.click()
        page.locator(f'a.name-hidden[href$="/formgrader/submissions/{ids[student]}"]').click()
        page.wait_for_selector("#notebook-container, .cell", timeout=60_000)
        page.screenshot(path=graded / f"formgrader-{student}.png")
        if student == "written_answer":  # the grader can still read what the student wrote
            text = page.inner_text("body")
            assert "The memo is clear." in text.replace("\n", " ") or "clear" in text
            assert "onerror=" in text
    assert watch.ran() == []
    # Control: the Formgrader's policy stops a call to anywhere but the server, even from its own page.
    page.evaluate(f"fetch('http://127.0.0.1:{listener}/from-formgrader').catch(() => 0)")
    page.wait_for_timeout(1000)
    assert Listener.heard[heard:] == []
    assert gradebook_scores(graded) == before
    watch.context.close()


def test_a_file_beside_the_notebook_is_not_served(formgrader, graded):
    url, token = formgrader
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook(A1, A1, "extra_file").id
    for name in ("evil.html", "notes.svg"):
        address = f"{url}/formgrader/submissions/{submission}/{name}?token={token}"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(address, timeout=10)
        assert refused.value.code == 404
    # What the student handed in stays in submitted/; the server sends it as a download, not a page.
    with urllib.request.urlopen(f"{url}/files/submitted/extra_file/{A1}/evil.html?token={token}") as reply:
        assert reply.headers["Content-Disposition"].startswith("attachment")


def test_the_feedback_pages_run_no_student_script(browser, graded, listener):
    heard = len(Listener.heard)
    watch = Watch(browser)
    for student in [*carriers(0), "typed_only"]:
        page = graded / "feedback" / student / A1 / f"{A1}.html"
        watch.page.goto(page.as_uri())
        assert "Content-Security-Policy" in page.read_text(encoding="utf-8")
    assert watch.ran() == []
    assert Listener.heard[heard:] == []
    watch.context.close()


def test_jupyterlab_still_works_under_the_policy(browser, formgrader):
    """The policy is on every page of the grader's server: JupyterLab must still start and list files."""
    url, token = formgrader
    watch = Watch(browser)
    violations: list[str] = []
    watch.page.on(
        "console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None
    )
    watch.page.goto(f"{url}/lab?token={token}&reset")
    watch.page.wait_for_selector(".jp-DirListing-item", timeout=90_000)
    assert watch.page.locator(".jp-DirListing-item").count() > 0
    assert violations == []
    watch.context.close()
