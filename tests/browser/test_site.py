"""The course as a static JupyterLite site, in Debian's chromium: every lesson and each released
assignment runs with the Pyodide kernel, served on loopback, with nothing fetched from anywhere else.

The site is built once per session (peninsula.grader.site, as `make site` does; its build tools and
downloads are kept in build/ for the next run), into a temporary folder, and served with
`python -m http.server --bind 127.0.0.1`. Chromium cannot resolve any other host, and the test
records every request the browser makes (pages, workers, the service worker). Each notebook opens in a
fresh browser context: empty browser storage, as a student's first visit. The test only adds
`exposeAppInBrowser` to the site's settings as they are served, so it can read the kernel's state.
About 2-3 minutes on the 2-core machine, the build included.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHROMIUM_FLAGS, LabPage, chromium_or_skip, free_port
from playwright.sync_api import expect
from test_lessons_in_lab import (
    CHART_CALLS,
    DRAWN_CHARTS,
    RENDERED_WIDGETS,
    WIDGET_CALLS,
    code_cells,
    count_calls,
)

from peninsula.grader.course import Course, PipelineError
from peninsula.grader.key import assignments
from peninsula.grader.site import KERNEL_PLUGIN, build_site, check_site

ROOT = Path(__file__).parents[2]
ASSIGNMENTS = assignments(Course(ROOT).key_file)  # the course's registry, beside its key
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# Chromium's own background calls do not come from the page; this keeps them off the network too.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
KERNEL_WAIT = 120_000  # ms: Pyodide starts in 7-12 s here on a quiet machine, 50 s under heavy load


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Iterator[str]:
    """The built site, served on loopback: its base URL."""
    chromium_or_skip()
    folder = build_site(tmp_path_factory.mktemp("site") / "site", ROOT, work=ROOT / "build")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", folder],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            assert time.monotonic() < deadline, "the site's web server did not start"
            time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def site_browser(playwright):
    chromium = playwright.chromium.launch(executable_path=chromium_or_skip(), args=[*CHROMIUM_FLAGS, OFFLINE])
    yield chromium
    chromium.close()


class SitePage(LabPage):
    """A tab on the site (the same checks as on JupyterLab; `lab` is the site's URL)."""

    opened_notebook = False

    def open(self, path: str) -> None:
        self.opened_notebook = True
        self.page.goto(f"{self.lab}lab/index.html?path={path}")
        self.page.wait_for_function("window.jupyterapp && window.jupyterapp.started", timeout=KERNEL_WAIT)
        self.page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden)", timeout=KERNEL_WAIT)

    def wait_kernel_ready(self) -> None:
        self.page.wait_for_function(
            "() => { const k = window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel;"
            " return k && k.status === 'idle'; }",
            timeout=KERNEL_WAIT,
        )


def expose_app(route) -> None:
    """Serve the site's settings with `exposeAppInBrowser`, so the test can read `window.jupyterapp`."""
    response = route.fetch()
    settings = response.json()
    settings.setdefault("jupyter-config-data", {})["exposeAppInBrowser"] = "true"
    route.fulfill(response=response, body=json.dumps(settings))


@pytest.fixture
def site_page(site_browser, site, request) -> Iterator[SitePage]:
    context = site_browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/jupyter-lite.json", expose_app)
    tab = SitePage(context.new_page(), site, "site-" + request.node.name.replace("[", "-").strip("]"))
    requested: list[str] = []
    context.on("request", lambda r: requested.append(r.url))
    yield tab
    tab.screenshot("end")
    context.close()
    tab.outside_requests.extend(u for u in requested if not u.startswith((site, "data:", "blob:", "about:")))
    assert tab.outside_requests == [], f"requests off loopback: {tab.outside_requests[:5]}"
    if tab.opened_notebook:  # the log must have seen the kernel's own downloads (from its web worker) too
        assert any(u.endswith("pyodide.asm.wasm") for u in requested), "the log missed the kernel's requests"


def change_a_dropdown(page) -> None:
    """Pick another option in the first dropdown of a widget, and wait for the widget to redraw."""
    outputs = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output"
    first = f"[...document.querySelectorAll('{outputs}')].find(o => o.querySelector('.widget-dropdown select'))"
    before = page.evaluate(f"() => {first}.innerHTML")
    select = page.locator(outputs, has=page.locator(".widget-dropdown select")).first.locator("select").first
    select.scroll_into_view_if_needed()
    select.select_option(index=select.evaluate("s => s.options.length - 1"))
    page.wait_for_function(f"before => {first}.innerHTML !== before", arg=before, timeout=30_000)


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.stem for lesson in LESSONS])
def test_each_lesson_runs_in_the_browser(site_page, lesson):
    sources = code_cells(lesson)
    widgets, charts = count_calls(sources, WIDGET_CALLS), count_calls(sources, CHART_CALLS)
    site_page.open(f"notebooks/{lesson.name}")
    site_page.run_all_and_wait()
    state = site_page.notebook_state("ran")
    site_page.assert_no_error_outputs()
    assert state["ran"], "not every code cell ran"
    page = site_page.page
    page.wait_for_function(f"() => ({RENDERED_WIDGETS})() >= {widgets} && ({DRAWN_CHARTS})() >= {charts}",
                           timeout=30_000)
    site_page.screenshot("ran")
    assert page.evaluate(RENDERED_WIDGETS) == widgets
    assert page.evaluate(DRAWN_CHARTS) == charts
    if page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-dropdown select").count():
        change_a_dropdown(page)  # the widget answers through the kernel, in the browser
        site_page.screenshot("widget-changed")
    site_page.assert_no_error_outputs()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_released_assignment_runs_its_format_check(site_page, assignment):
    site_page.open(f"assignments/{assignment}/{assignment}.ipynb")
    site_page.run_all_and_wait()
    # Blank answers: the format check lists them on stderr (red), but nothing raised and every cell ran.
    assert site_page.notebook_state("ran", "failed") == {"ran": True, "failed": False}
    outputs = site_page.page.evaluate(
        """() => window.jupyterapp.shell.currentWidget.content.widgets
            .filter(c => c.model.getMetadata("nbgrader")?.grade_id === "format_check")
            .flatMap(c => c.model.outputs.toJSON()).map(o => [].concat(o.text || "").join(""))"""
    )
    site_page.screenshot("checked")
    assert re.search(r"\b[A-Z]\d\d\b", "".join(outputs)), f"the format check said nothing of the items: {outputs}"


def test_the_site_opens_its_start_page(site_page):
    """The site's address opens the course with the start page, which says browser storage is no backup."""
    site_page.page.goto(site_page.lab)
    site_page.page.wait_for_function("window.jupyterapp && window.jupyterapp.started", timeout=KERNEL_WAIT)
    # Rendered (the site makes the preview Markdown's default viewer), not shown as source.
    preview = site_page.page.locator(".jp-RenderedMarkdown", has_text="Browser storage is not a backup")
    expect(preview).to_be_visible(timeout=KERNEL_WAIT)
    site_page.screenshot("start-page")
    menus = site_page.page.locator(".lm-MenuBar").inner_text()
    assert "Nbgrader" not in menus and not site_page.page.get_by_text("Formgrader").count()  # no instructor tool


def test_the_build_refuses_a_site_that_reaches_off_its_host_or_holds_instructor_material(tmp_path):
    """check_site, on a made-up site with every fault at once (no browser needed)."""
    settings = {"pyodideUrl": "https://cdn.jsdelivr.net/pyodide/v314.0.6/full/pyodide.mjs"}
    config = {"jupyter-config-data": {"litePluginSettings": {KERNEL_PLUGIN: settings}}}
    (tmp_path / "jupyter-lite.json").write_text(json.dumps(config))
    lock = tmp_path / "static" / "pyodide-lock" / "pyodide-lock.json"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"packages": {"numpy": {"file_name": "https://cdn.example/numpy.whl"}}}))
    (tmp_path / "extensions" / "@jupyter" / "nbgrader").mkdir(parents=True)
    (tmp_path / "files" / "course").mkdir(parents=True)
    (tmp_path / "files" / "course" / "answer_key.yaml").write_text("")
    with pytest.raises(PipelineError) as refused:
        check_site(tmp_path, ROOT)
    for fault in ("loads Pyodide from 'https://cdn", "disablePyPIFallback is off", "points off the site",
                  "nbgrader's extension", "an answer key"):
        assert fault in str(refused.value)
