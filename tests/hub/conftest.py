"""A real JupyterHub with nbgrader, set up by deploy/hub/hub.sh, with real unix users (needs root).

The session runs `hub.sh up` into its own prefix (/opt/peninsula-hub-test-<tag>), with its own
exchange, ports and account names, so it never meets a real deployment or another run on the
same machine. The site-wide nbgrader config goes into the hub environment's own etc/jupyter (a
folder nbgrader reads exactly like /etc/jupyter) so that other Pythons on the machine, such as
the developer's .venv running other tests at the same time, never see this hub's exchange. The
test creates the students and the instructor with `useradd -m`, as an administrator would, and
logs them in with JupyterHub's shared-password authenticator. Chromium is Debian's, launched as
tests/browser/conftest.py launches it. At the end `hub.sh down` removes what it made, and the
session removes the users it created.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hubkit import HUB_SH, LOGS, STUDENTS, Hub, harness, run, wait_for

HERE = Path(__file__).parent
TEARDOWN = "test_teardown_removes_the_users_and_the_services"
failed_steps: list[str] = []  # the steps hand on to each other, so a failure stops the later ones


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(HERE):
            item.add_marker(pytest.mark.hub)
            item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item):
    if Path(str(item.fspath)).is_relative_to(HERE) and failed_steps and item.name != TEARDOWN:
        pytest.fail(f"not run: it needs what the failed step {failed_steps[0]} would have made", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and call.when != "teardown" and Path(str(item.fspath)).is_relative_to(HERE):
        failed_steps.append(item.name)
        hub = item.funcargs.get("hub")
        if hub is not None and hub.log.exists():  # what the hub and the users' servers logged
            report.sections.append(("hub log (last 6000 characters)", hub.log.read_text()[-6000:]))
    return report


@pytest.fixture(scope="session")
def hub() -> Iterator[Hub]:
    if os.geteuid() != 0:
        message = "the hub test creates unix users and runs deploy/hub/hub.sh, so it needs root"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " and CI must run it")
        pytest.skip(message)
    harness.chromium_or_skip()
    tag = secrets.token_hex(3)
    prefix = Path(f"/opt/peninsula-hub-test-{tag}")
    ports = {name: harness.free_port() for name in ("HUB_PORT", "HUB_API_PORT", "PROXY_API_PORT", "SERVICE_PORT")}
    hub = Hub(
        tag=tag, prefix=prefix, url=f"http://127.0.0.1:{ports['HUB_PORT']}", password=secrets.token_hex(12),
        grader=f"grader-{tag}", instructor=f"teacher-{tag}",
        students=[f"student{n}-{tag}" for n in range(1, STUDENTS + 1)],
        course_dir=Path(f"/home/grader-{tag}/peninsula"), exchange=prefix / "exchange",
        log=LOGS / f"hub-{tag}.log",
    )  # fmt: skip
    settings = {
        "PENINSULA_HUB_PREFIX": str(prefix), "PENINSULA_GRADER": hub.grader,
        "PENINSULA_INSTRUCTORS": hub.instructor, "PENINSULA_EXCHANGE": str(hub.exchange),
        "PENINSULA_SITE_CONFIG_DIR": str(prefix / "env" / "etc" / "jupyter"),
        **{f"PENINSULA_{name}": str(port) for name, port in ports.items()},
    }  # fmt: skip
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
            'c.Spawner.args = ["--LabApp.expose_app_in_browser=True"]\n'
        )
        started = time.monotonic()
        with hub.log.open("w") as log_file:
            hub.process = subprocess.Popen(["bash", HUB_SH, "run"], env=env, stdout=log_file,
                                           stderr=subprocess.STDOUT)  # fmt: skip
        wait_for(f"{hub.url}/hub/api/", hub.process, hub.log, 120)
        hub.timings["hub start"] = time.monotonic() - started
        yield hub
    finally:
        started = time.monotonic()
        hub.down()
        hub.timings["teardown"] = time.monotonic() - started
        print("\nhub test timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in hub.timings.items()))
        (LOGS / "hub-timings.json").write_text(json.dumps({k: round(v, 1) for k, v in hub.timings.items()}, indent=1))


@pytest.fixture(scope="session")
def browser(hub, playwright, tmp_path_factory):
    folders = tmp_path_factory.mktemp("chromium")  # its own XDG folders, not root's
    xdg = {f"XDG_{kind}_HOME": str(folders / kind.lower()) for kind in ("CONFIG", "CACHE", "DATA")}
    chromium = playwright.chromium.launch(executable_path=harness.chromium_or_skip(),
                                          args=harness.CHROMIUM_FLAGS, env={**os.environ, **xdg})  # fmt: skip
    yield chromium
    chromium.close()
