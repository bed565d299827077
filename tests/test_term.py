"""A term: due dates, extensions and late work, regrade requests and the debrief, with the real
`peninsula` and `nbgrader` commands, the real filesystem exchange and a real sqlite gradebook.

One small demo class (6 students) is graded once; the tests then run in file order, each building
on the last, the way a term does. The demo class's submission times are 1, 2, 3 ... September at
12:0x UTC; the due date is 4 September 17:00, so demo005 is 19 h 4 min late, and demo006 is late
but has an extension to 10 September.
"""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml
from test_pipeline import BIN, grade_by_hand, new_course, run

from peninsula.grader.class_data import read_answers
from peninsula.grader.course import Course
from peninsula.grader.key import load_answer_key, load_items
from peninsula.grader.scoring import item_credit

A1 = "who_must_act"
KEY = Course(Path(__file__).parents[1]).key_file  # the key of this repository's course
POLICY = '\nc.LatePolicy.kind = "per_day"\nc.LatePolicy.percent_per_day = 10\nc.LatePolicy.cap_percent = 30\n'
HIDDEN_NOTE = "R17"  # marked instructor-only in this course's key copy


def peninsula(*args: str, course: Path, check: bool = True):
    # --no-sandbox keeps this test light: what is tested is the term, not the kernel's sandbox
    extra = ["--no-sandbox"] if args[0] == "grade" else []
    return run(BIN / "peninsula", *args, *extra, "--course", course, cwd=course, check=check)


def grades(course: Path) -> dict[str, dict]:
    with (course / "exports" / f"{A1}-grades.csv").open(encoding="utf-8") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def feedback(course: Path, student: str) -> str:
    return html.unescape((course / "feedback" / student / A1 / f"{A1}.html").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def term(tmp_path_factory) -> Path:
    course = new_course(tmp_path_factory.mktemp("term") / "course")
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as config:
        config.write(POLICY)
    key = course / "course" / "answer_key.yaml"
    key.write_text(re.sub(rf"(- id: {HIDDEN_NOTE}\n)", r"\1    note_instructor_only: true\n",
                          key.read_text(encoding="utf-8")), encoding="utf-8")
    peninsula("demo-class", A1, "--students", "6", course=course)
    assert "due 4 September 17:00 UTC" in peninsula("due", A1, "2026-09-04 17:00", course=course).stdout
    peninsula("extend", A1, "demo006", "--until", "2026-09-10", "--reason", "ill, with a note", course=course)
    table = peninsula("grade", A1, course=course).stdout
    assert "late by 19 h 4 min" in table, table
    return course


def test_on_time_late_and_extended(term):
    rows = grades(term)
    on_time = rows["demo001"]
    assert on_time["lateness"] == "on time" and on_time["late_penalty"] == ""
    assert on_time["score"] == on_time["raw_score"]
    late = rows["demo005"]
    raw = float(late["raw_score"])
    assert late["lateness"] == "late by 19 h 4 min"
    assert float(late["late_penalty"]) == pytest.approx(round(raw * 0.1, 2))
    assert float(late["score"]) == pytest.approx(raw - float(late["late_penalty"]))
    extended = rows["demo006"]
    assert extended["lateness"] == "on time (extension to 10 September)" and extended["late_penalty"] == ""
    with Course(term).api().gradebook as gradebook:  # nbgrader's own fields agree
        assert gradebook.find_submission(A1, "demo005").total_seconds_late == pytest.approx(
            19 * 3600 + 4 * 60
        )
        assert gradebook.find_submission(A1, "demo006").total_seconds_late == 0
        assert gradebook.find_submission(A1, "demo005").late_submission_penalty == pytest.approx(
            float(late["late_penalty"])
        )
    assert "Due 4 September 17:00 UTC." in feedback(term, "demo005")
    assert "late by 19 h 4 min" in feedback(term, "demo005")
    assert "Your extension: to 10 September." in feedback(term, "demo006")
    peninsula("export-grades", A1, "--lms", "moodle", course=term)
    moodle = (term / "exports" / f"{A1}-moodle.csv").read_text(encoding="utf-8")
    assert "late by 19 h 4 min" in moodle


def test_a_waived_penalty_survives_a_rerun(term):
    peninsula("waive", A1, "demo005", "--reason", "the exchange was down", course=term)
    peninsula("grade", A1, course=term)
    first = grades(term)
    row = first["demo005"]
    assert row["score"] == row["raw_score"] and row["late_penalty"] == ""
    assert "waived (the exchange was down)" in row["reason"]
    assert "The late penalty was waived." in feedback(term, "demo005")
    peninsula("grade", A1, course=term)
    assert grades(term) == first


def fetch_and_submit(course: Path, home: Path, assignment: str, student: str, edit=None) -> Path:
    exchange = [f"--Exchange.root={course / '.exchange'}", "--CourseDirectory.course_id=peninsula"]
    home.mkdir(exist_ok=True)
    run(BIN / "nbgrader", "fetch_assignment", assignment, *exchange, cwd=home)
    notebook = home / assignment / f"{assignment}.ipynb"
    if edit:
        edit(notebook)
    run(BIN / "nbgrader", "submit", assignment, f"--student={student}", *exchange, cwd=home)
    return next((course / ".exchange" / "peninsula" / "inbound").glob(f"{student}+{assignment}+*"))


def test_a_forged_early_timestamp_is_still_late(term, tmp_path):
    with Course(term).api().gradebook as gradebook:
        gradebook.update_or_create_student("forged01")
    peninsula("release", A1, course=term)
    inbound = fetch_and_submit(term, tmp_path / "forger", A1, "forged01")
    (inbound / "timestamp.txt").write_text("2026-09-01 10:00:00.000000 UTC", encoding="utf-8")
    inbound.rename(inbound.with_name(f"forged01+{A1}+2026-09-01 10:00:00.000000 UTC"))
    peninsula("collect", A1, course=term)
    peninsula("grade", A1, course=term)
    assert grades(term)["forged01"]["lateness"].startswith("late by")


def credits_of(course: Path, student: str) -> dict[str, float]:
    from peninsula.answers import parse

    answers = read_answers(course / "autograded" / student / A1 / f"{A1}.ipynb")
    return {i.id: item_credit(i, parse(i.id, answers.get(i.id, ""))[0]) for i in load_items(A1, key_file=KEY)}


def test_regrade_requests_travel_through_the_exchange_and_are_decided(term, tmp_path):
    contested = [item for item, credit in credits_of(term, "demo003").items() if credit < 1][:2]
    assert len(contested) == 2
    peninsula("regrades", A1, "--open", course=term)

    def write_requests(notebook: Path) -> None:
        nb = nbformat.read(notebook, as_version=4)
        nb.cells[
            -1
        ].source = f"{contested[0]}: the paragraph names the actor I gave\n{contested[1]}: please look again"
        nbformat.write(nb, notebook)

    fetch_and_submit(term, tmp_path / "demo003", f"{A1}-regrade", "demo003", write_requests)
    # A request in the name of a student with no graded submission is refused, never recorded.
    fetch_and_submit(term, tmp_path / "stranger", f"{A1}-regrade", "nobody01", write_requests)
    listed = peninsula("regrades", A1, course=term).stdout
    assert "Collected 2 new request(s)" in listed, listed
    assert "refused: nobody01: no graded submission" in listed
    assert f'demo003 {contested[0]}: "the paragraph names the actor I gave"' in listed
    assert "answer:" in listed and "key:" in listed and "note:" in listed
    before = float(grades(term)["demo003"]["raw_score"])
    peninsula("regrades", A1, "--accept", "demo003", contested[0], "--credit", "1", course=term)
    peninsula("regrades", A1, "--decline", "demo003", contested[1], "--reason", "the key's reading stands",
              course=term)
    assert "0 open regrade request(s)" in peninsula("regrades", A1, "--no-collect", course=term).stdout
    for _ in range(2):  # the decision survives a rerun
        peninsula("grade", A1, course=term)
        row = grades(term)["demo003"]
        assert float(row["raw_score"]) > before
        assert f"regrade {contested[0]} accepted (credit 1)" in row["reason"]
        assert f"regrade {contested[1]} declined" in row["reason"]
    page = feedback(term, "demo003")
    assert f"Your regrade request on {contested[0]} was accepted" in page
    assert f"Your regrade request on {contested[1]} was declined: the key's reading stands" in page
    history = yaml.safe_load((term / "term" / f"{A1}.yaml").read_text(encoding="utf-8"))["regrades"]
    assert [r["status"] for r in history] == ["accepted", "declined"]


def debrief(course: Path):
    return peninsula("debrief", A1, "--released-on-lms", course=course, check=False)


def test_the_debrief_waits_for_settled_feedback_and_closed_extensions(term):
    refused = debrief(term)
    assert refused.returncode == 2 and "needs manual grading (provisional)" in refused.stderr, refused.stderr
    with Course(term).api().gradebook as gradebook:
        students = [s.student.id for s in gradebook.assignment_submissions(A1)]
    for student in students:
        grade_by_hand(term, student, 3)
    peninsula("extend", A1, "demo002", "--until", "2099-01-01", "--reason", "still away", course=term)
    peninsula("grade", A1, course=term)
    refused = debrief(term)
    assert refused.returncode == 2 and "demo002: extension open until 1 January" in refused.stderr, (
        refused.stderr
    )
    assert "needs manual grading" not in refused.stderr
    peninsula("extend", A1, "demo002", "--until", "2026-09-08", "--reason", "back early", course=term)
    written = debrief(term)
    assert written.returncode == 0, written.stderr
    page = html.unescape((term / "exports" / f"{A1}-debrief.html").read_text(encoding="utf-8"))
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    for recommendation in load_answer_key(term / "course" / "answer_key.yaml"):
        if not recommendation.autograde or not recommendation.note:
            continue
        note = " ".join(recommendation.note.split())
        assert (note in text) == (recommendation.id != HIDDEN_NOTE), recommendation.id
        assert recommendation.quote.split()[0] in text
    assert not re.search(r"demo\d{3}|nobody01|forged01", page)
    assert "How the class answered" in page  # six graded students: counts are shown
    assert json.dumps(page).count("http") == 0  # nothing fetched: it works offline


def test_graded_cells_show_no_bare_score_value(term):
    notebook = json.loads((term / "autograded" / "demo001" / A1 / f"{A1}.ipynb").read_text(encoding="utf-8"))
    graded = [
        c
        for c in notebook["cells"]
        if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("grade")
    ]
    assert graded and all(o["output_type"] != "execute_result" for c in graded for o in c["outputs"])
    assert all(
        "Score for this part" in "".join(o.get("text", "")) for c in graded[1:] for o in c["outputs"][:1]
    )


@pytest.fixture
def unix_students(tmp_path):
    """Two real unix users (root only), removed afterwards."""
    import os
    import pwd
    import subprocess

    if os.geteuid() != 0:
        pytest.skip("real unix users need root (CI runs as root)")
    names = ["tmterma", "tmtermb"]
    for name in names:
        subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", name], check=True)
    try:
        yield {name: pwd.getpwnam(name) for name in names}
    finally:
        for name in names:
            subprocess.run(["userdel", name], check=False)


def test_a_regrade_request_in_another_students_name_is_refused(tmp_path, unix_students):
    import os
    import shutil
    import subprocess

    exchange = Path(f"/tmp/tmterm-exchange-{os.getpid()}")
    shutil.rmtree(exchange, ignore_errors=True)
    exchange.mkdir(mode=0o755)
    try:
        course = new_course(tmp_path / "course")
        with (course / "nbgrader_config.py").open("a", encoding="utf-8") as config:
            config.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
        peninsula("demo-class", A1, "--students", "2", course=course)
        for number, name in enumerate(unix_students, 1):  # each user's own graded submission
            (course / "submitted" / f"demo00{number}").rename(course / "submitted" / name)
        peninsula("grade", A1, course=course)
        peninsula("regrades", A1, "--open", course=course)
        released = exchange / "peninsula" / "outbound" / f"{A1}-regrade" / f"{A1}-regrade.ipynb"
        notebook = json.loads(released.read_text(encoding="utf-8"))
        notebook["cells"][-1]["source"] = "R02: please look again"
        request = exchange / "request.ipynb"  # where the users can read it
        request.write_text(json.dumps(notebook), encoding="utf-8")
        request.chmod(0o644)
        inbound = exchange / "peninsula" / "inbound"
        # tmterma files a request in tmtermb's name, by writing the inbound folder by hand.
        folder = inbound / f"tmtermb+{A1}-regrade+2026-09-20 10:00:00.000000 UTC+forged"
        script = (f"mkdir '{folder}' && cp '{request}' '{folder}/{A1}-regrade.ipynb' && "
                  f"echo '2026-09-20 10:00:00.000000 UTC' > '{folder}/timestamp.txt'")
        subprocess.run(["runuser", "-u", "tmterma", "--", "sh", "-c", script], check=True)
        listed = peninsula("regrades", A1, course=course, check=False)
        term_records = load_term_file(course)
        assert not any(r["student"] == "tmtermb" for r in term_records), (listed.stdout, listed.stderr)
    finally:
        shutil.rmtree(exchange, ignore_errors=True)


def load_term_file(course: Path) -> list[dict]:
    path = course / "term" / f"{A1}.yaml"
    return (
        (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("regrades") or []
        if path.exists()
        else []
    )
