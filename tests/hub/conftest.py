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

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hubkit import STUDENTS, Hub, harness, hub_up

HERE = Path(__file__).parent
TEARDOWN = "test_teardown_removes_the_users_and_the_services"
failed_steps: list[str] = []  # the steps hand on to each other, so a failure stops the later ones


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(HERE):
            item.add_marker(pytest.mark.hub)
            item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item):
    if Path(str(item.fspath)) == HERE / "test_hub.py" and failed_steps and item.name != TEARDOWN:
        pytest.fail(f"not run: it needs what the failed step {failed_steps[0]} would have made", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and call.when != "teardown" and Path(str(item.fspath)) == HERE / "test_hub.py":
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
    with hub_up(students=STUDENTS) as hub:
        yield hub


@pytest.fixture(scope="session")
def browser(hub, playwright, tmp_path_factory):
    folders = tmp_path_factory.mktemp("chromium")  # its own XDG folders, not root's
    xdg = {f"XDG_{kind}_HOME": str(folders / kind.lower()) for kind in ("CONFIG", "CACHE", "DATA")}
    chromium = playwright.chromium.launch(executable_path=harness.chromium_or_skip(),
                                          args=harness.CHROMIUM_FLAGS, env={**os.environ, **xdg})
    yield chromium
    chromium.close()
