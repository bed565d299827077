"""Real JupyterLab in real Chromium (Debian's package, driven by Playwright).

JupyterLab runs on 127.0.0.1 with a random port and token, from the course root, with its own
settings (news pop-up off) and workspace folders, and stops when the session ends. Every step saves
a screenshot under tests/browser/screenshots/ (git-ignored); a failing test's last one shows why.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SCREENSHOTS = Path(__file__).parent / "screenshots"
# Flags that work on these machines: without the networking ones the closed network refuses
# Chromium's background connections.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
NEWS_OFF = '{"fetchNews": "false", "checkForUpdates": false}'


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


def chromium_or_skip() -> str:
    chromium = shutil.which("chromium")
    if chromium:
        return chromium
    message = "Debian's chromium is not installed (apt-get install chromium); browser tests need it"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " and CI must run them")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Lab:
    url: str
    token: str
    process: subprocess.Popen
    log: Path

    def address(self, path: str) -> str:
        return f"{self.url}{path}?token={self.token}"


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Iterator[Lab]:
    chromium_or_skip()
    home = tmp_path_factory.mktemp("lab")
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(NEWS_OFF)
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    log = home / "server.log"
    command = [
        Path(sys.executable).parent / "jupyter", "lab", "--no-browser", f"--port={port}",
        "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}",
        "--LabApp.expose_app_in_browser=True", *(["--allow-root"] if os.geteuid() == 0 else []),
    ]  # fmt: skip
    with log.open("w") as log_file:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"JupyterLab did not start; see {log}:\n{log.read_text()[-2000:]}")
            time.sleep(0.3)
    yield Lab(url, token, process, log)
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_or_skip(), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@dataclass
class LabPage:
    """A browser tab on JupyterLab that records every request leaving 127.0.0.1."""

    page: object
    lab: Lab
    name: str
    outside_requests: list[str] = field(default_factory=list)
    steps: int = 0

    def screenshot(self, step: str) -> Path:
        self.steps += 1
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{self.name}-{self.steps:02d}-{step}.png"
        self.page.screenshot(path=path, full_page=False)
        return path

    def open(self, path: str) -> None:
        """Open a file in JupyterLab and wait until the app has started."""
        self.page.goto(self.lab.address(f"/lab/tree/{path}"))
        self.page.wait_for_function("window.jupyterapp && window.jupyterapp.started", timeout=60_000)
        self.page.wait_for_selector(".jp-MainAreaWidget:not(.lm-mod-hidden)", timeout=60_000)

    def command(self, command_id: str, args: dict | None = None) -> None:
        self.page.evaluate("([id, args]) => window.jupyterapp.commands.execute(id, args)", [command_id, args or {}])


@pytest.fixture
def lab_page(browser, lab, request) -> Iterator[LabPage]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    tab = LabPage(page, lab, request.node.name.replace("/", "_").replace("[", "-").strip("]"))
    local = (lab.url, "data:", "blob:", "about:")
    page.on("request", lambda r: None if r.url.startswith(local) else tab.outside_requests.append(r.url))
    yield tab
    tab.screenshot("end")
    context.close()
