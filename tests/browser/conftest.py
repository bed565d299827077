"""Real JupyterLab in real Chromium (Debian's package, driven by Playwright).

JupyterLab runs on 127.0.0.1 with a random port and token, serving the repository root, with its
own settings (news pop-up off) and workspace folders, and stops when the session ends. Every step
saves a screenshot under tests/browser/screenshots/ (git-ignored); a failing test's last one shows why.

The tests never touch the developer's files: the server's working folder, where nbgrader reads its
config, is a throwaway copy of the course (nbgrader_config.py and the assignment folders) under
tests/browser/workdir/ (git-ignored, inside the served root so JupyterLab can open its files), and
lessons run on copies there too. The folder is deleted when the session ends.

The whole folder (12 tests: lessons, widgets, nbgrader UI) takes about 60-85 s on the 2-core machine.
"""

from __future__ import annotations

import contextlib
import json
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
WORKDIR = Path(__file__).parent / "workdir"
# Flags that work on these machines: without the networking ones the closed network refuses
# Chromium's background connections.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
NEWS_OFF = '{"fetchNews": "false", "checkForUpdates": false}'
BIN = Path(sys.executable).parent
# nbgrader calls `alembic` (and kernels `python`) from PATH: the virtual environment's must come first.
ENV_PATH = {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
RUN_ALL_TIMEOUT = 120_000  # ms; a lesson's kernel imports altair, about 4 s alone on these 2 cores

# The active notebook, read through `window.jupyterapp` (the toolbar's kernel indicator says "idle"
# before a kernel even exists). `settled` is true once the kernel is idle and no cell is queued or
# running: then either every code cell has run, or a cell failed and Run All stopped there.
NOTEBOOK_JS = """
const panel = window.jupyterapp.shell.currentWidget;
const notebook = panel && panel.content && panel.content.widgets ? panel : null;
const cells = notebook ? notebook.content.widgets.filter(cell => cell.model.type === "code") : [];
const outputs = cells.flatMap(cell => cell.model.outputs.toJSON());
const kernel = notebook && notebook.sessionContext.session && notebook.sessionContext.session.kernel;
const queued = notebook !== null && [...notebook.node.querySelectorAll(".jp-InputPrompt")]
  .some(prompt => prompt.textContent.includes("[*]"));
const failed = outputs.some(output => output.output_type === "error");
const ran = cells.length > 0 && cells.every(cell => cell.model.executionCount !== null);
const settled = kernel && kernel.status === "idle" && !queued && (ran || failed);
"""


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
    course: Path  # the server's working folder: a throwaway course root inside the served root

    def address(self, path: str, query: str = "") -> str:
        return f"{self.url}{path}?token={self.token}{query}"

    def path(self, file: Path) -> str:
        """`file` as JupyterLab names it: relative to the served root."""
        return file.relative_to(ROOT).as_posix()

    def copy(self, source: Path) -> Path:
        """A copy of `source` in the throwaway folder, so running it in JupyterLab never saves the original."""
        target = self.course / "copies" / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
        return target

    def scratch_notebook(self, name: str, *sources: str) -> Path:
        """A new notebook in the throwaway folder with one code cell per source."""
        cells = [{"cell_type": "code", "id": f"cell{n}", "metadata": {}, "source": source, "outputs": [],
                  "execution_count": None} for n, source in enumerate(sources)]
        kernel = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
        notebook = {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}
        path = self.course / "scratch" / f"{name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(notebook))
        return path

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        """The real nbgrader command line, run in the throwaway course; fails the test if it fails."""
        result = subprocess.run(
            [BIN / "nbgrader", *args], cwd=self.course, env={**os.environ, **ENV_PATH}, capture_output=True,
            text=True, timeout=300,
        )
        assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result


def start_server(command: list, cwd: Path, env: dict, port: int, token: str, log: Path):
    """A Jupyter server started and answering; (its process, its URL). Fails the test with the end
    of its log if it does not answer within a minute."""
    with log.open("w") as log_file:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the Jupyter server did not start; see {log}:\n{log.read_text()[-2000:]}")
            time.sleep(0.3)


@pytest.fixture(scope="session")
def course() -> Iterator[Path]:
    """nbgrader_config.py and the course folder in a fresh git-ignored folder. The key comes too:
    releasing runs the leak check, which reads it (the served root holds this repository's anyway)."""
    course = WORKDIR / secrets.token_hex(4)  # one folder per session: two runs at once never collide
    shutil.copytree(ROOT / "course", course / "course")
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    yield course
    shutil.rmtree(course, ignore_errors=True)
    with contextlib.suppress(OSError):
        WORKDIR.rmdir()  # only if no other session is still using it


@pytest.fixture(scope="session")
def lab(tmp_path_factory, course) -> Iterator[Lab]:
    chromium_or_skip()
    home = tmp_path_factory.mktemp("lab")
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(NEWS_OFF)
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        **ENV_PATH,
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    log = home / "server.log"
    command = [
        BIN / "jupyter", "lab", "--no-browser", f"--port={port}",
        "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}",
        "--LabApp.expose_app_in_browser=True", *(["--allow-root"] if os.geteuid() == 0 else []),
    ]
    process, url = start_server(command, course, env, port, token, log)
    yield Lab(url, token, process, log, course)
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def browser(lab, playwright):
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
        """Open a file in JupyterLab and wait until the app has started.

        `reset` starts from an empty workspace: without it JupyterLab reopens the earlier tests' tabs
        and starts their kernels again."""
        self.page.goto(self.lab.address(f"/lab/tree/{path}", "&reset"))
        self.page.wait_for_function("window.jupyterapp && window.jupyterapp.started", timeout=60_000)
        self.page.wait_for_selector(".jp-MainAreaWidget:not(.lm-mod-hidden)", timeout=60_000)

    def command(self, command_id: str, args: dict | None = None) -> None:
        """Run a JupyterLab command and wait for it (its result, often a widget, stays in the page)."""
        script = "async ([id, args]) => { await window.jupyterapp.commands.execute(id, args); }"
        self.page.evaluate(script, [command_id, args or {}])

    # --- notebooks --------------------------------------------------------------------------

    def notebook_state(self, *names: str) -> dict:
        """Values computed by NOTEBOOK_JS for the active notebook, e.g. ("ran", "outputs")."""
        return self.page.evaluate(f"() => {{ {NOTEBOOK_JS} return {{ {', '.join(names)} }}; }}")

    def wait_kernel_ready(self) -> None:
        """Wait until the active notebook has a kernel that is idle (started and not busy)."""
        self.page.wait_for_function(f"() => {{ {NOTEBOOK_JS} return kernel && kernel.status === 'idle'; }}",
                                    timeout=60_000)

    def wait_kernel_idle(self, timeout: int = RUN_ALL_TIMEOUT) -> None:
        """Wait until the kernel is idle, no cell shows [*], and every code cell ran (or one failed)."""
        self.page.wait_for_function(f"() => {{ {NOTEBOOK_JS} return settled; }}", timeout=timeout)

    def run_all_and_wait(self, timeout: int = RUN_ALL_TIMEOUT) -> None:
        self.wait_kernel_ready()
        # Not awaited: the command's promise lasts as long as the run, and wait_kernel_idle has the timeout.
        self.page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        # Run All marks the cells queued at once, so `settled` cannot see the state before the run. A
        # short run can end between two polls: after an error the later cells never run, so `failed`.
        self.page.wait_for_function(f"() => {{ {NOTEBOOK_JS} return queued || ran || failed; }}", timeout=10_000)
        self.wait_kernel_idle(timeout)
        state = self.notebook_state("ran", "failed")
        assert state["ran"] or state["failed"], "Run All did not finish"

    def assert_no_error_outputs(self) -> None:
        """No cell output is an error or stderr, and no widget or chart failed to load."""
        outputs = self.notebook_state("outputs")["outputs"]
        bad = [
            output.get("ename", "") + ": " + output.get("evalue", "") if output["output_type"] == "error"
            else "".join(output.get("text", ""))
            for output in outputs
            if output["output_type"] == "error" or output.get("name") == "stderr"
        ]
        shown = self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea").all_inner_texts()
        failed_to_load = [
            message
            for message in ("Error displaying widget", "Error loading script", "Javascript Error", "Traceback")
            if any(message in text for text in shown)
        ]
        stderr = self.page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        if bad or failed_to_load or stderr.count():
            if stderr.count():  # so the screenshot shows the first error, not wherever the notebook scrolled
                stderr.first.scroll_into_view_if_needed(timeout=5_000)
            self.screenshot("error-output")
        assert bad == [], f"error or stderr outputs: {bad}"
        assert failed_to_load == [], f"outputs say {failed_to_load}"
        assert stderr.count() == 0, "an output is rendered as stderr"

    def close_notebook(self) -> None:
        """Shut the active notebook's kernel down and close it without saving (nothing reaches the disk)."""
        self.page.evaluate("""async () => {
            const panel = window.jupyterapp.shell.currentWidget;
            await panel.sessionContext.shutdown();
            panel.dispose();
        }""")


@pytest.fixture
def lab_page(browser, lab, request) -> Iterator[LabPage]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    tab = LabPage(page, lab, request.node.name.replace("/", "_").replace("[", "-").strip("]"))
    for old in SCREENSHOTS.glob(f"{tab.name}-[0-9][0-9]-*.png"):  # keep only this run's steps
        old.unlink()
    local = (lab.url, "data:", "blob:", "about:")
    page.on("request", lambda r: None if r.url.startswith(local) else tab.outside_requests.append(r.url))
    yield tab
    tab.screenshot("end")
    with contextlib.suppress(Exception):  # no kernel outlives its test, even a failed one
        page.evaluate("async () => { await window.jupyterapp.serviceManager.sessions.shutdownAll(); }")
    context.close()
