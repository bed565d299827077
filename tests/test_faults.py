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
                            start_new_session=True)  # fmt: skip


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
        run(*self.as_server, self.tools / "initdb", "-D", data / "cluster", "-A", "trust", "-U", "postgres", cwd=data)
        self.start()
        run(*self.as_server, self.tools / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "gradebook", cwd=data)  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
        run(*self.as_server, self.tools / "pg_ctl", "-D", self.data / "cluster", "-o", options, "-l",
            self.data / "server.log", "-w", "start", cwd=self.data)  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        run(*self.as_server, self.tools / "pg_ctl", "-D", self.data / "cluster", "-m", mode, "stop", cwd=self.data,
            check=False)  # fmt: skip


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
