"""The exchange is not trusted: nbgrader's real filesystem exchange, with real unix users who
fetch and submit with the real `nbgrader` as themselves, and a grader who collects, grades and
releases feedback with the real `peninsula` and `nbgrader` commands.

Six students submit honestly; then five of them attack the exchange (a blank submission in a
classmate's name, a forged early time, a symlink to the key, a notebook symlinked to a classmate's,
a FIFO for a notebook, a 1 GB sparse file, a dangling symlink, no submission_secret.txt). The
second collect goes through `nbgrader collect` and the course's nbgrader_config.py, as the
Formgrader's Collect button does. Needs root (CI runs as root) and Debian's /usr/bin/python3.11,
which every user can run (root's own Python cannot be run by other users)."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_pipeline import new_course

from peninsula.grader.course import Course
from peninsula.grader.key import model_answers
from peninsula.grader.leaks import fingerprints
from peninsula.grader.submission_files import Limits, list_folder

ROOT = Path(__file__).parents[1]
KEY = Course(ROOT).key_file  # the key of this repository's course
BIN = Path(sys.executable).parent
A1 = "who_must_act"
STUDENT_PYTHON = Path("/usr/bin/python3.11")
NBGRADER = "from nbgrader.apps.nbgraderapp import main; main()"
STUDENTS = ["uxana", "uxben", "uxcai", "uxdee", "uxeve", "uxfay"]  # "ux": this test's own accounts
EARLY = "2020-01-01 00:00:00.000000 UTC"

as_root = pytest.mark.skipif(
    os.geteuid() != 0 or not STUDENT_PYTHON.exists() or not shutil.which("runuser"),
    reason="needs root (it makes unix users), runuser and Debian's /usr/bin/python3.11",
)


def run(*command: str | Path, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def as_student(user: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Debian's python3.11 as `user`, with nothing of root's environment; nbgrader comes from this
    environment's site-packages (world-readable), run by an interpreter every user may run."""
    home = pwd.getpwnam(user).pw_dir
    site = sysconfig.get_paths()["purelib"]
    env = ["env", "-i", f"HOME={home}", "PATH=/usr/bin:/bin", f"PYTHONPATH={site}", "LANG=C.UTF-8"]
    command = ["runuser", "-u", user, "--", *env, str(STUDENT_PYTHON), *args]
    result = subprocess.run(command, cwd=home, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"as {user}: {args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


class Exchange:
    """A course folder only root can read, an exchange every student can write, and the students."""

    def __init__(self, course: Path, shared: Path):
        self.course, self.root = course, shared / "exchange"
        self.inbound = self.root / "peninsula" / "inbound"
        self.flags = [f"--Exchange.root={self.root}", "--CourseDirectory.course_id=peninsula"]

    def nbgrader(self, user: str, *args: str) -> str:
        result = as_student(user, "-c", NBGRADER, *args, *self.flags)
        return result.stdout + result.stderr

    def submit(self, user: str, answered: int) -> Path:
        """Fill in `answered` answers as the student, submit, and return the inbound folder."""
        notebook = Path(pwd.getpwnam(user).pw_dir) / A1 / f"{A1}.ipynb"
        data = json.loads(notebook.read_text(encoding="utf-8"))
        cell = next(
            c for c in data["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "answers"
        )
        source = "".join(cell["source"])
        for item_id, answer in list(model_answers(A1, KEY).items())[:answered]:
            source = source.replace(f"\n{item_id}:\n", f"\n{item_id}: {answer}\n")  # plain lines
        cell["source"] = source
        notebook.write_text(json.dumps(data), encoding="utf-8")  # keeps the student as its owner
        log = self.nbgrader(user, "submit", A1)
        destination = next(line for line in log.splitlines() if "Destination:" in line)
        return Path(destination.split("Destination:", 1)[1].strip())

    def attack(self, user: str, code: str, *args: str | Path) -> None:
        as_student(user, "-c", code, *map(str, args))

    def peninsula(self, *args: str) -> str:
        return run(BIN / "peninsula", *args, "--course", self.course, cwd=self.course).stdout


def make_users() -> None:
    for user in STUDENTS:
        if subprocess.run(["id", user], capture_output=True).returncode == 0:
            remove_user(user)  # left by an earlier run of this test that was killed
        run("useradd", "-m", "-s", "/bin/bash", user, cwd=Path("/"))


def remove_user(user: str) -> None:
    for pid in subprocess.run(["pgrep", "-u", user], capture_output=True, text=True).stdout.split():
        os.kill(int(pid), signal.SIGKILL)
    subprocess.run(["userdel", "-r", user], capture_output=True)


def scores(course: Path) -> dict[str, tuple]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {
            s.student.id: (s.score, [(g.name, g.auto_score) for g in s.notebooks[0].grades])
            for s in gradebook.assignment_submissions(A1)
        }


def recorded_time(course: Path, student: str) -> datetime:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return gradebook.find_submission(A1, student).timestamp


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    shared = Path(tempfile.mkdtemp(prefix="ux-exchange-"))
    shared.chmod(0o755)
    course = tmp_path_factory.mktemp("ux") / "course"  # under root's private pytest folder
    course.mkdir()
    exchange = Exchange(course, shared)
    exchange.root.mkdir(mode=0o1777)
    exchange.root.chmod(0o1777)
    config = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (course / "nbgrader_config.py").write_text(config + f"\nc.Exchange.root = {str(exchange.root)!r}\n")
    shutil.copytree(ROOT / "course", course / "course")
    shutil.copytree(ROOT / "source_texts", course / "source_texts")
    make_users()
    try:
        yield from _attack(exchange)
    finally:
        for user in STUDENTS:
            remove_user(user)
        shutil.rmtree(shared, ignore_errors=True)


def _attack(exchange: Exchange):
    course, key = exchange.course, exchange.course / "course" / "answer_key.yaml"
    exchange.peninsula("release", A1)
    folders = {}
    for number, user in enumerate(STUDENTS):
        exchange.nbgrader(user, "fetch_assignment", A1)
        folders[user] = exchange.submit(user, answered=10 + number)
    exchange.peninsula("collect", A1)
    exchange.peninsula("grade", A1)
    before = scores(course), (course / "submitted" / "uxana" / A1 / f"{A1}.ipynb").read_bytes()

    started = datetime.now(UTC).replace(tzinfo=None)
    blank = (course / "release" / A1 / f"{A1}.ipynb").read_text(encoding="utf-8")
    exchange.attack("uxben", FORGE_IN_CLASSMATES_NAME, exchange.inbound, blank)
    ben = exchange.submit("uxben", answered=20)
    exchange.attack("uxben", FORGE_EARLY_TIME, ben)
    cai = exchange.submit("uxcai", answered=20)
    exchange.attack(
        "uxcai", "import os, sys; os.symlink(sys.argv[1], sys.argv[2] + '/answer_key.yaml')", key, cai
    )
    exchange.attack("uxben", "import sys; open(sys.argv[1] + '/extra.txt', 'w').write('planted')", cai)
    dee = exchange.submit("uxdee", answered=20)
    exchange.attack("uxdee", REPLACE_WITH_SYMLINK, dee / f"{A1}.ipynb", folders["uxana"] / f"{A1}.ipynb")
    eve = exchange.submit("uxeve", answered=20)
    exchange.attack(
        "uxeve", "import os, sys; os.remove(sys.argv[1]); os.mkfifo(sys.argv[1])", eve / f"{A1}.ipynb"
    )
    fay = exchange.submit("uxfay", answered=20)
    exchange.attack("uxfay", SPARSE_DANGLING_NO_SECRET, fay)

    # The Formgrader's Collect button runs nbgrader's collect with the course's config, as this does.
    collected = run(BIN / "nbgrader", "collect", "--update", A1, cwd=course, timeout=120)
    again = exchange.peninsula("collect", A1)
    exchange.peninsula("grade", A1)
    feedback = exchange.peninsula("release-feedback", A1, "--include-provisional")
    button = run(BIN / "nbgrader", "release_feedback", A1, cwd=course, timeout=120)  # the Formgrader's
    yield {
        "course": course, "before": before, "started": started, "key": key.read_text(encoding="utf-8"),
        "collect log": collected.stdout + collected.stderr, "peninsula collect": again,
        "report": (course / "exports" / f"{A1}-collect.txt").read_text(encoding="utf-8"),
        "release-feedback": feedback, "release_feedback button": button.stdout + button.stderr, "exchange": exchange,
    }


FORGE_IN_CLASSMATES_NAME = """
import os, sys
folder = os.path.join(sys.argv[1], "uxana+who_must_act+2099-01-01 00:00:00.000000 UTC+forged")
os.mkdir(folder)
open(os.path.join(folder, "who_must_act.ipynb"), "w").write(sys.argv[2])
open(os.path.join(folder, "timestamp.txt"), "w").write("2099-01-01 00:00:00.000000 UTC")
"""
FORGE_EARLY_TIME = f"""
import os, sys
folder = sys.argv[1]
early = folder.replace(folder.split("+")[-2], "{EARLY}")
os.rename(folder, early)
open(os.path.join(early, "timestamp.txt"), "w").write("{EARLY}")
for name in [*os.listdir(early), "."]:
    os.utime(os.path.join(early, name), (1577836800, 1577836800))
"""
REPLACE_WITH_SYMLINK = "import os, sys; os.remove(sys.argv[1]); os.symlink(sys.argv[2], sys.argv[1])"
SPARSE_DANGLING_NO_SECRET = """
import os, sys
folder = sys.argv[1]
with open(os.path.join(folder, "data.bin"), "wb") as sparse:
    sparse.truncate(1024 ** 3)
os.symlink("/nonexistent/ux", os.path.join(folder, "gone"))
os.remove(os.path.join(folder, "submission_secret.txt"))
"""


def note_for(attacked, folder_part: str) -> str:
    lines = [line for line in attacked["report"].splitlines() if folder_part in line]
    assert lines, f"nothing about {folder_part} in the collect report:\n{attacked['report']}"
    return "\n".join(lines)


@as_root
def test_a_submission_in_a_classmates_name_is_refused_and_changes_nothing(attacked):
    course = attacked["course"]
    note = note_for(attacked, "+forged")
    assert "refused: it belongs to uxben, not to uxana" in note
    assert (
        "forged" in attacked["collect log"] and "refused" in attacked["collect log"]
    )  # the Formgrader's log
    assert "+forged: refused" in attacked["peninsula collect"]
    before_scores, before_notebook = attacked["before"]
    assert (course / "submitted" / "uxana" / A1 / f"{A1}.ipynb").read_bytes() == before_notebook
    after = scores(course)
    assert after["uxana"] == before_scores["uxana"] and after["uxana"][0] > 0


@as_root
def test_the_recorded_time_is_the_change_time_not_the_students_claim(attacked):
    course, started = attacked["course"], attacked["started"]
    folder = course / "submitted" / "uxben" / A1
    assert (
        EARLY in (folder / "claimed_timestamp.txt").read_text()
        and EARLY not in (folder / "timestamp.txt").read_text()
    )
    assert recorded_time(course, "uxben") >= started  # the gradebook's time, which lateness is judged from
    assert (
        "2020-01-01" in note_for(attacked, "uxben+")
        and scores(course)["uxben"][0] > attacked["before"][0]["uxben"][0]
    )


@as_root
def test_a_symlink_to_the_key_never_reaches_the_grader_or_feedback(attacked):
    course = attacked["course"]
    cai = note_for(attacked, "uxcai+")
    assert "answer_key.yaml: a symbolic link, not a regular file" in cai and "extra.txt: belongs to uxben" in cai
    assert not (course / "submitted" / "uxcai" / A1 / "extra.txt").exists()
    key_lines = [line for line in attacked["key"].splitlines() if len(line) > 30][:20]
    for tree in ("submitted", "autograded", "feedback"):
        for path in (course / tree / "uxcai").rglob("*"):
            assert path.name != "answer_key.yaml", path
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                assert not any(line in text for line in key_lines), path
    assert scores(course)["uxcai"][0] > 0  # the rest of the submission was collected and graded


@as_root
def test_links_pipes_and_huge_files_are_refused_and_the_others_collected(attacked):
    course = attacked["course"]
    assert f"{A1}.ipynb: a symbolic link" in note_for(attacked, "uxdee+")
    assert f"{A1}.ipynb: a named pipe (FIFO)" in note_for(attacked, "uxeve+")
    fay = note_for(attacked, "uxfay+")
    assert "data.bin: 1024.0 MB, over the 2.0 MB cap" in fay and "gone: a symbolic link" in fay
    for student in ("uxdee", "uxeve"):
        assert not (course / "submitted" / student / A1 / f"{A1}.ipynb").exists()
    assert not (course / "submitted" / "uxfay" / A1 / "data.bin").exists()
    assert (course / "submitted" / "uxfay" / A1 / f"{A1}.ipynb").is_file()
    assert sorted(p.name for p in (course / "submitted").iterdir()) == STUDENTS


@as_root
def test_a_missing_secret_holds_back_one_student_and_the_others_get_feedback(attacked):
    released = attacked["release-feedback"]
    assert "uxfay: no submission_secret.txt" in released
    sent = released.split("Feedback released to", 1)[1].splitlines()[0]
    assert all(student in sent for student in ("uxana", "uxben", "uxcai")), released
    assert "Feedback not released for uxfay: No such file or directory (submission_secret.txt)" in (
        attacked["release_feedback button"]
    )
    exchange = attacked["exchange"]
    exchange.nbgrader("uxana", "fetch_feedback", A1)
    assert list((Path(pwd.getpwnam("uxana").pw_dir) / A1 / "feedback").glob(f"*/{A1}.html"))


def test_a_listing_takes_regular_files_only_within_the_caps(tmp_path):
    """The same checks without root: what a submission folder may hold."""
    (tmp_path / f"{A1}.ipynb").write_text("{}")
    (tmp_path / "big.csv").write_bytes(b"x" * 2000)
    (tmp_path / "link").symlink_to(tmp_path / f"{A1}.ipynb")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "nested.ipynb").mkdir()
    folder = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        listing = list_folder(folder, Limits(notebook=100, file=1000, submission=10_000, entries=10))
        assert sorted(listing.files) == [f"{A1}.ipynb"] and not listing.problem
        assert {line.split(":")[0] for line in listing.refused} == {"big.csv", "link", "pipe", "nested.ipynb"}
        assert list_folder(folder, Limits(entries=3)).problem == "more than 3 files and folders"
    finally:
        os.close(folder)


def test_a_release_holding_key_material_is_not_published_by_nbgrader_either(tmp_path):
    """The Formgrader's Release button runs nbgrader's release_assignment, with the kit's class."""
    course = new_course(tmp_path / "course")
    run(BIN / "nbgrader", "generate_assignment", A1, cwd=course)
    _, literals = fingerprints(course / "course" / "answer_key.yaml")
    (course / "release" / A1 / "notes.md").write_text(min(literals) + "\n", encoding="utf-8")  # e.g. a digest
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run([BIN / "nbgrader", "release_assignment", A1], cwd=course, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "answer key material" in result.stderr, result.stderr[-2000:]
    assert "notes.md" in result.stderr
    assert not (course / ".exchange" / "peninsula" / "outbound" / A1).exists()


def test_lms_downloads_are_copied_as_regular_files_only(tmp_path):
    """No owner to check in an LMS download, but links and oversized files are still left out."""
    course = new_course(tmp_path / "course")
    downloads = tmp_path / "downloads"
    for student in ("lmsone", "lmstwo"):
        (downloads / student).mkdir(parents=True)
    shutil.copy(ROOT / "course" / A1 / f"{A1}.ipynb", downloads / "lmsone" / f"{A1}.ipynb")
    (downloads / "lmstwo" / f"{A1}.ipynb").symlink_to(course / "course" / "answer_key.yaml")
    with open(downloads / "lmsone" / "data.bin", "wb") as sparse:
        sparse.truncate(1024**3)
    output = run(BIN / "peninsula", "collect", A1, "--from", downloads, "--course", course, cwd=course).stdout
    assert "Collected 1 student(s) into submitted/: lmsone" in output
    assert f"lmstwo/{A1}.ipynb: a symbolic link" in output and "lmsone/data.bin: 1024.0 MB" in output
    assert not any(p.name == "answer_key.yaml" for p in (course / "submitted").rglob("*"))
