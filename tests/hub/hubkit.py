"""The hub test's pieces: the hub it set up, commands as its unix users, the browser harness."""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import json
import os
import pwd
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
HUB_SH = ROOT / "deploy" / "hub" / "hub.sh"
LOGS = ROOT / "tests" / "browser" / "screenshots"  # git-ignored, beside the browser tests' screenshots
ASSIGNMENT = "who_must_act"
STUDENTS = 3


def _browser_harness():
    """tests/browser/conftest.py as a module: its Chromium flags and JupyterLab page helpers."""
    spec = importlib.util.spec_from_file_location("browser_harness", ROOT / "tests" / "browser" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


harness = _browser_harness()


def run(*command: str | Path, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    """Run a command; fail the test with its output if it fails."""
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=timeout, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@dataclass
class Hub:
    tag: str
    prefix: Path
    url: str
    password: str
    grader: str
    instructor: str
    students: list[str]
    course_dir: Path
    exchange: Path
    log: Path
    timings: dict[str, float] = field(default_factory=dict)
    made_users: list[str] = field(default_factory=list)
    process: subprocess.Popen | None = None

    @property
    def env_bin(self) -> Path:
        return self.prefix / "env" / "bin"

    def as_user(self, user: str, *command: str, cwd: Path | None = None, check: bool = True,
                timeout: float = 600) -> subprocess.CompletedProcess:
        """Run `command` as the unix account `user` (runuser keeps nothing of root but the PATH we give)."""
        home = pwd.getpwnam(user).pw_dir
        full = ["runuser", "-u", user, "--", "env", "-C", str(cwd or home), f"PATH={self.env_bin}:/usr/bin:/bin",
                *command]
        result = subprocess.run(full, capture_output=True, text=True, timeout=timeout)
        if check:
            assert result.returncode == 0, f"as {user}: {' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result

    def grader_runs(self, *command: str, timeout: float = 600) -> str:
        """A grader command (peninsula, nbgrader) in the course folder, as the grader account."""
        return self.as_user(self.grader, *command, cwd=self.course_dir, timeout=timeout).stdout


    def down(self) -> None:
        """Stop the hub and remove everything (idempotent): `hub.sh down`, then the test's own users."""
        if self.prefix.exists():
            started = time.monotonic()
            subprocess.run(["bash", HUB_SH, "down"], env={**os.environ, "PENINSULA_HUB_PREFIX": str(self.prefix)},
                           capture_output=True, text=True, timeout=300)
            self.timings["hub.sh down"] = time.monotonic() - started
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        for user in self.made_users:
            kill_processes_of(user)
            subprocess.run(["userdel", "-r", user], capture_output=True)
        self.made_users.clear()

def read_grades(path: Path) -> dict[str, dict]:
    """The rows of the grades CSV `peninsula grade` wrote, by student (read as root)."""
    with path.open() as file:
        return {row["student_id"]: row for row in csv.DictReader(file)}


def kill_processes_of(user: str) -> None:
    """SIGKILL each process the user still has, by pid (userdel refuses while any runs)."""
    listed = subprocess.run(["ps", "-o", "pid=", "-u", user], capture_output=True, text=True).stdout.split()
    for pid in listed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


def wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterHub did not start; see {log}:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)




@contextlib.contextmanager
def hub_up(students: int, student_prefix: str = "student", hub_config: str = "") -> Iterator[Hub]:
    """`hub.sh up` into its own prefix, ports and account names, `students` users made with
    `useradd -m`, the hub started; everything removed again on the way out. `hub_config` is
    appended to the test's config.d file."""
    tag = secrets.token_hex(3)
    prefix = Path(f"/opt/peninsula-hub-test-{tag}")
    ports = {name: harness.free_port() for name in ("HUB_PORT", "HUB_API_PORT", "PROXY_API_PORT", "SERVICE_PORT")}
    hub = Hub(
        tag=tag, prefix=prefix, url=f"http://127.0.0.1:{ports['HUB_PORT']}", password=secrets.token_hex(12),
        grader=f"grader-{tag}", instructor=f"teacher-{tag}",
        students=[f"{student_prefix}{n}-{tag}" for n in range(1, students + 1)],
        course_dir=Path(f"/home/grader-{tag}/peninsula"), exchange=prefix / "exchange",
        log=LOGS / f"hub-{tag}.log",
    )
    settings = {
        "PENINSULA_HUB_PREFIX": str(prefix), "PENINSULA_GRADER": hub.grader,
        "PENINSULA_INSTRUCTORS": hub.instructor, "PENINSULA_EXCHANGE": str(hub.exchange),
        "PENINSULA_SITE_CONFIG_DIR": str(prefix / "env" / "etc" / "jupyter"),
        **{f"PENINSULA_{name}": str(port) for name, port in ports.items()},
    }
    env = {**os.environ, **settings}
    LOGS.mkdir(parents=True, exist_ok=True)
    try:
        started = time.monotonic()
        run("bash", HUB_SH, "up", env=env, timeout=900)
        hub.timings["setup (hub.sh up)"] = time.monotonic() - started
        for user in [hub.instructor, *hub.students]:
            run("useradd", "-m", "-s", "/bin/bash", user)
            hub.made_users.append(user)
        allowed = json.dumps([hub.instructor, *hub.students])
        (prefix / "hub" / "config.d" / "50-test.py").write_text(
            "# Written by tests/hub: log in with one shared password; expose JupyterLab to the test.\n"
            'c.JupyterHub.authenticator_class = "shared-password"\n'
            f"c.SharedPasswordAuthenticator.user_password = {hub.password!r}\n"
            f"c.Authenticator.allowed_users = set({allowed})\n"
            'c.Spawner.args = ["--LabApp.expose_app_in_browser=True"]\n' + hub_config
        )
        started = time.monotonic()
        with hub.log.open("w") as log_file:
            hub.process = subprocess.Popen(["bash", HUB_SH, "run"], env=env, stdout=log_file,
                                           stderr=subprocess.STDOUT)
        wait_for(f"{hub.url}/hub/api/", hub.process, hub.log, 120)
        hub.timings["hub start"] = time.monotonic() - started
        yield hub
    finally:
        started = time.monotonic()
        hub.down()
        hub.timings["teardown"] = time.monotonic() - started
        print("\nhub timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in hub.timings.items()))
        (LOGS / f"hub-timings-{student_prefix}.json").write_text(
            json.dumps({k: round(v, 1) for k, v in hub.timings.items()}, indent=1))
