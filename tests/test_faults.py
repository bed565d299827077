"""Grading survives being killed: each fault kills or starves the real process mid-run, then a plain
rerun must give every student the grade an undisturbed run gives, with no duplicated rows, no
half-written page released and no student missing.

Each test grades its own copy of one small demo class (the same seed gives the same class).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_pipeline import A1, BIN, new_course, peninsula, postgres_tools, read_grades, run

from peninsula.grader.course import Course

CLASS_SIZE = 9
KILL_AT = CLASS_SIZE // 3  # autograded folders when the kill comes, as in the issue


def demo_course(folder: Path, db_url: str | None = None) -> Path:
    course = new_course(folder)
    if db_url:
        with (course / "nbgrader_config.py").open("a", encoding="utf-8") as config:
            config.write(f"\nc.CourseDirectory.db_url = {db_url!r}\n")
    peninsula("demo-class", A1, "--students", str(CLASS_SIZE), course=course)
    return course


def grades(course: Path) -> dict[str, tuple[str, str]]:
    return {row["student_id"]: (row["status"], row["score"]) for row in read_grades(course)}


@pytest.fixture(scope="module")
def undisturbed(tmp_path_factory) -> dict[str, tuple[str, str]]:
    course = demo_course(tmp_path_factory.mktemp("undisturbed") / "course")
    peninsula("grade", A1, course=course)
    return grades(course)


def autograded_count(course: Path) -> int:
    return len(list((course / "autograded").glob(f"*/{A1}")))


def start_grading(course: Path, *args: str) -> subprocess.Popen:
    """`peninsula grade` in its own process group, as a shell would start it."""
    command = [str(BIN / "peninsula"), "grade", A1, "--course", str(course), *args]
    return subprocess.Popen(command, cwd=course, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def when(condition: Callable[[], bool], process: subprocess.Popen, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the run ended before the fault could strike:\n{process.stdout.read()[-3000:]}")
        assert time.monotonic() < deadline, "the fault's moment never came"
        time.sleep(0.05)


def kill_group(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)


def assert_whole(course: Path, expected: dict[str, tuple[str, str]]) -> None:
    """Every student has the undisturbed grade; one gradebook submission each; every page released
    as settled is vouched for by its done marker."""
    assert grades(course) == expected
    api = Course(course).api()
    with api.gradebook as gradebook:
        submissions = [s.student.id for s in gradebook.assignment_submissions(A1)]
    assert len(submissions) == len(set(submissions))
    assert set(submissions) == {s for s, (status, _) in expected.items() if status != "missing"}
    out = peninsula("release-feedback", A1, course=course).stdout
    assert "grading did not finish" not in out
    settled = [s for s, (status, _) in expected.items() if status == "graded"]
    for student in settled:
        assert (course / "autograded" / student / f".{A1}.done").is_file(), student


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_grading_killed_mid_run_reruns_to_the_same_grades(tmp_path, undisturbed, database, request):
    url = request.getfixturevalue("postgres_cluster").url if database == "postgresql" else None
    course = demo_course(tmp_path / "course", url)
    process = start_grading(course, "--jobs", "2")
    when(lambda: autograded_count(course) >= KILL_AT, process)
    kill_group(process)
    rerun = peninsula("grade", A1, course=course).stdout
    assert_whole(course, undisturbed)
    # The rerun says which students the killed run had left half done (at least the ones in flight).
    assert "an earlier grading run stopped before this student was finished" in rerun


class Cluster:
    """A throwaway PostgreSQL server on 127.0.0.1 that a test may stop and start again."""

    def __init__(self, data: Path) -> None:
        import socket

        self.tools, self.data = postgres_tools(), data
        self.as_server: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(data, "postgres")
            self.as_server = ["runuser", "-u", "postgres", "--"]
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/gradebook"
        run(
            *self.as_server,
            self.tools / "initdb",
            "-D",
            data / "cluster",
            "-A",
            "trust",
            "-U",
            "postgres",
            cwd=data,
        )
        self.start()
        run(*self.as_server, self.tools / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "gradebook", cwd=data)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
        run(*self.as_server, self.tools / "pg_ctl", "-D", self.data / "cluster", "-o", options, "-l",
            self.data / "server.log", "-w", "start", cwd=self.data)

    def stop(self, mode: str = "fast") -> None:
        run(*self.as_server, self.tools / "pg_ctl", "-D", self.data / "cluster", "-m", mode, "stop", cwd=self.data,
            check=False)


@pytest.fixture
def postgres_cluster(tmp_path_factory) -> Iterator[Cluster]:
    import tempfile

    data = Path(tempfile.mkdtemp(prefix="peninsula-faults-pg-"))  # outside pytest's root-only tmp folders
    cluster = Cluster(data)
    try:
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(data, ignore_errors=True)


def test_postgresql_stopped_mid_run_then_started(tmp_path, undisturbed, postgres_cluster):
    course = demo_course(tmp_path / "course", postgres_cluster.url)
    process = start_grading(course, "--jobs", "2")
    when(lambda: autograded_count(course) >= KILL_AT, process)
    postgres_cluster.stop("immediate")
    out, _ = process.communicate(timeout=600)
    assert process.returncode != 0, out
    assert "the gradebook stopped answering" in out and "rerun" in out, out[-3000:]
    postgres_cluster.start()
    peninsula("grade", A1, course=course)
    assert_whole(course, undisturbed)


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 40 MiB tmpfs for the course folder (root only)."""
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("the full-disk test mounts a tmpfs, so it needs root, and CI must run it")
        pytest.skip("the full-disk test mounts a tmpfs, so it needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    run("mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", mount, cwd=tmp_path)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_the_disk_fills_during_grading(small_disk, undisturbed):
    course = demo_course(small_disk / "course")
    process = start_grading(course, "--jobs", "2")
    when(lambda: autograded_count(course) >= KILL_AT, process)
    filler = small_disk / "filler"
    with filler.open("wb") as handle, pytest.raises(OSError):  # take every byte that is left
        while True:
            handle.write(b"\0" * (1 << 20))
            handle.flush()
    out, _ = process.communicate(timeout=600)
    filler.unlink()
    assert "disk is full" in out or "No space left" in out, out[-3000:]
    peninsula("grade", A1, course=course)
    assert_whole(course, undisturbed)


# ------------------------------------------------------------------------------------------ collect

SUBMITTERS = 8
BLOB = 24 << 20  # bytes of data beside each notebook, so that one copy takes long enough to be cut


@pytest.fixture
def exchange_course(tmp_path, monkeypatch) -> Path:
    """A course with its laptop exchange and the assignment released."""
    course = new_course(tmp_path / "course")
    with (course / "nbgrader_config.py").open("a") as config:  # room for the large file beside each notebook
        config.write(f"\nc.PeninsulaCollect.max_file_size = {2 * BLOB}\n")
        config.write(f"c.PeninsulaCollect.max_submission_size = {4 * BLOB}\n")
    peninsula("release", A1, course=course)
    return course


def submit(course: Path, student: str, answers: int, tmp_path: Path) -> None:
    """`nbgrader submit` as `student` (nbgrader's --student), with a large file beside the notebook."""
    home = tmp_path / "homes" / student
    home.mkdir(parents=True, exist_ok=True)
    exchange = [f"--Exchange.root={course / '.exchange'}", "--CourseDirectory.course_id=peninsula"]
    env = {**os.environ, "JUPYTER_DATA_DIR": str(home / ".data"),
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    if not (home / A1).exists():
        subprocess.run([BIN / "nbgrader", "fetch_assignment", A1, *exchange], cwd=home, env=env, check=True,
                       capture_output=True)
    notebook = home / A1 / f"{A1}.ipynb"
    marked = f'"%%answers\\n", "# {student} try {answers}\\n",'  # a comment line in the answer cell
    notebook.write_text(notebook.read_text().replace('"%%answers\\n",', marked))
    (home / A1 / "data.bin").write_bytes(os.urandom(1 << 20) * (BLOB >> 20))
    subprocess.run(
        [BIN / "nbgrader", "submit", A1, f"--student={student}", *exchange],
        cwd=home,
        env=env,
        check=True,
        capture_output=True,
    )


def latest_in_exchange(course: Path, student: str) -> Path:
    return sorted((course / ".exchange" / "peninsula" / "inbound").glob(f"{student}+{A1}+*"))[-1]


TIMES = {"timestamp.txt", "claimed_timestamp.txt"}  # collect writes the time it trusts, and the claim


def assert_collected_whole(course: Path, students: list[str]) -> None:
    """Each student's collected folder is, file for file and byte for byte, their latest submission."""
    collected = sorted(p.parent.name for p in (course / "submitted").glob(f"*/{A1}"))
    assert collected == sorted(students)
    for student in students:
        sent, got = latest_in_exchange(course, student), course / "submitted" / student / A1
        names = sorted(p.name for p in sent.iterdir() if p.name not in TIMES)
        assert sorted(p.name for p in got.iterdir() if p.name not in TIMES) == names, student
        for name in names:
            assert (got / name).read_bytes() == (sent / name).read_bytes(), (student, name)


def half_copied(course: Path) -> bool:
    """A copy is under way: collect writes each student's folder beside its place, then renames it."""
    for staging in (course / "submitted").glob(f"*/.{A1}.collecting"):
        blob = staging / "data.bin"
        if blob.exists() and 0 < blob.stat().st_size < BLOB:
            return True
    return False


def test_collect_killed_mid_copy_reruns_whole(exchange_course, tmp_path):
    course = exchange_course
    students = [f"sub{n:02d}" for n in range(1, SUBMITTERS + 1)]
    for student in students:
        submit(course, student, 1, tmp_path)
    for _attempt in range(5):  # the kill must land inside a copy; try again if a copy was too quick
        shutil.rmtree(course / "submitted", ignore_errors=True)
        command = [str(BIN / "peninsula"), "collect", A1, "--course", str(course)]
        process = subprocess.Popen(command, cwd=course, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   start_new_session=True)
        while process.poll() is None and not half_copied(course):
            pass
        if process.poll() is None:
            kill_group(process)
            break
        process.wait()
    else:
        pytest.fail("no collect was caught mid-copy in five tries")
    assert half_copied(course)
    for folder in (course / "submitted").glob(f"*/{A1}"):  # what the killed run put in place is whole
        assert (folder / "data.bin").stat().st_size == BLOB, folder
    peninsula("collect", A1, course=course)
    assert_collected_whole(course, students)
    assert not list((course / "submitted").glob(f"*/.{A1}.collecting"))


def test_collect_while_submissions_keep_arriving(exchange_course, tmp_path):
    import threading

    course = exchange_course
    students = [f"sub{n:02d}" for n in range(1, SUBMITTERS + 1)]
    late = threading.Thread(target=lambda: [submit(course, s, t, tmp_path) for t in (1, 2) for s in students])
    late.start()
    collects = 0
    while late.is_alive() or collects < 2:
        if any((course / ".exchange" / "peninsula" / "inbound").glob(f"*+{A1}+*")):
            peninsula("collect", A1, course=course)
            collects += 1
        time.sleep(0.2)
    late.join()
    peninsula("collect", A1, course=course)  # the collect after the deadline
    assert collects >= 2
    assert_collected_whole(course, students)
    for student in students:  # the second try, not the first
        notebook = (course / "submitted" / student / A1 / f"{A1}.ipynb").read_text()
        assert f"{student} try 2" in notebook


def test_a_copy_taken_while_the_files_were_written_is_collected_again(exchange_course, tmp_path):
    """A change time has the kernel's coarse clock, so a copy taken while a submission's last bytes were
    still being written can carry the finished submission's time. Its sizes differ: collect again."""
    course = exchange_course
    submit(course, "sub01", 1, tmp_path)
    peninsula("collect", A1, course=course)
    collected = course / "submitted" / "sub01" / A1 / "data.bin"
    with collected.open("r+b") as cut:  # what a copy cut short leaves, with the same recorded time
        cut.truncate(BLOB // 2)
    peninsula("collect", A1, course=course)
    assert_collected_whole(course, ["sub01"])
    peninsula("collect", A1, course=course)  # and a whole copy is not collected yet again
    report = (course / "exports" / f"{A1}-collect.txt").read_text()
    assert "already collected" in report
