"""Accessibility audit with axe-core in real chromium: every page the kit produces.

axe-core (npm, installed by `make axe`, which .ci/run calls) is injected into each page:
each lesson after Run All in JupyterLab, widgets and charts included; a released assignment with
its Validate dialog; one feedback page; the class report. The kit's part of a page must have no
serious or critical violation. In JupyterLab that part is the lesson's rendered text and every
cell output; the rest (menus, toolbars, prompts, code editors, nbgrader's dialog frame) belongs to
JupyterLab and nbgrader, and its violations are recorded, not failed: see ACCEPTED_ELSEWHERE.
The feedback page and the report are the kit's whole, so the whole page is audited.

Each audit writes its findings to tests/browser/screenshots/axe/<page>.json. With PENINSULA_TOUR
set to a folder (`make screenshots`), the test also saves the tour's PNGs there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import BIN, ENV_PATH, ROOT, SCREENSHOTS
from playwright.sync_api import expect
from test_lessons_in_lab import (
    CHART_CALLS,
    DRAWN_CHARTS,
    LESSONS,
    RENDERED_WIDGETS,
    WIDGET_CALLS,
    code_cells,
    count_calls,
)

AXE = Path(__file__).parent / "vendor" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
TOUR = os.environ.get("PENINSULA_TOUR")
ASSIGNMENT = "who_must_act"
NBGRADER_WAIT = 90_000  # ms
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
#: The kit's part of a JupyterLab page: the notebook's rendered Markdown and every cell output.
KIT_IN_LAB = [f"{PANEL} .jp-MarkdownOutput", f"{PANEL} .jp-OutputArea-output"]
#: Rules that fire on JupyterLab's or nbgrader's own interface, never on what the kit puts in it,
#: and why they are left. A rule that fires there and is not listed fails the test, so a new one is seen.
ACCEPTED_ELSEWHERE = {
    "aria-allowed-attr": "JupyterLab 4.6's toolbar buttons (jp-button web components, nbgrader's Validate "
    "button among them) carry aria-pressed on an element whose role does not allow it (jupyterlab#16891)",
    "aria-input-field-name": "JupyterLab's code cell editors (CodeMirror's role=textbox element) have no "
    "accessible name; the kit's code cells are one-line calls, and their outputs are what it owns",
    "aria-required-children": "JupyterLab's notebook viewport has role=feed while its cells are not "
    "articles (jupyterlab#14765, jupyter/notebook#6956 on the notebook's ARIA structure)",
    "button-name": "JupyterLab's empty collapse-heading button beside each Markdown heading",
    "scrollable-region-focusable": "nbgrader's Validate dialog body scrolls when the list of problems is "
    "long, and it is not focusable itself; the kit's part of it is the text in it",
}
#: Top-level notebook outputs: one per cell (a comparer's stance map is an output inside a widget).
TOP_OUTPUTS = f"{PANEL} .jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output"
# What the tour looks for in each output to name its one picture of it (the first match wins).
TOUR_VIEWS = {"button:has-text('Reveal the kit')": "comparer", "button:has-text('Check')": "self-check",
              ".vega-embed": "chart", "p[data-paragraph]": "reader"}
TOUR_HEIGHT = 720  # px: the top of a long output is enough, and keeps the PNGs small
#: A self-check's first choice: the toggle button "A".
FIRST_CHOICE = ".widget-toggle-buttons button:text-is('A')"


def axe_or_skip() -> Path:
    if AXE.exists():
        return AXE
    message = "axe-core is not installed (run `make axe`); the accessibility test needs it"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " and CI must run it")
    pytest.skip(message)


def audit(page, name: str, include: list[str] | None = None, exclude: list[str] | None = None) -> list[dict]:
    """axe's violations on `page` (only inside `include`, and outside `exclude`, if given)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_or_skip().read_text(encoding="utf-8"))
    context = {key: value for key, value in (("include", include), ("exclude", exclude)) if value}
    violations = page.evaluate(
        """async ([context, options]) => {
            const results = await axe.run(Object.keys(context).length ? context : document, options);
            return results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 240),
                                          why: n.failureSummary}))}));
        }""",
        [context, {"resultTypes": ["violations"]}],
    )
    folder = SCREENSHOTS / "axe"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(violations, indent=1), encoding="utf-8")
    return violations


def blocking(violations: list[dict]) -> list[str]:
    """The serious and critical violations, one readable line each."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']}; {len(v['nodes'])} element(s), first "
        f"{v['nodes'][0]['target']}: {v['nodes'][0]['html']}\n    {v['nodes'][0]['why']}"
        for v in violations
        if v["impact"] in BLOCKING
    ]


def audit_lab_page(page, name: str, own: list[str] = KIT_IN_LAB) -> None:
    """Fail on the kit's serious violations; accept JupyterLab's only under a listed rule."""
    kit = audit(page, f"{name}-kit", include=own)
    interface = audit(page, f"{name}-jupyterlab", exclude=own)
    unlisted = [line for line in blocking(interface) if line.split(" ", 1)[0] not in ACCEPTED_ELSEWHERE]
    assert blocking(kit) == [], "the kit's own content:\n" + "\n".join(blocking(kit))
    assert unlisted == [], "JupyterLab's interface, under a rule not in ACCEPTED_ELSEWHERE:\n" + "\n".join(
        unlisted
    )


def tour(page, name: str, element=None) -> None:
    """Save one picture of the tour, when PENINSULA_TOUR names a folder: the page as it is shown, or
    the top of `element`, scrolled to the top of the view (JupyterLab scrolls its panels, not the page)."""
    if not TOUR:
        return
    folder = ROOT / TOUR
    folder.mkdir(parents=True, exist_ok=True)
    clip = None
    if element is not None:
        element.evaluate("e => e.scrollIntoView({block: 'start'})")
        box, view = element.bounding_box(), page.viewport_size
        top = max(box["y"], 0)
        clip = {"x": box["x"], "y": top, "width": min(box["width"], view["width"] - box["x"]),
                "height": min(box["height"], view["height"] - top, TOUR_HEIGHT)}
    page.screenshot(path=folder / f"{name}.png", clip=clip, animations="disabled")


def render_all_cells(page) -> None:
    """Lay out every cell, so axe measures each one (JupyterLab skips the layout of cells out of view)."""
    page.evaluate(f"""() => document.querySelectorAll("{PANEL} .jp-Cell")
        .forEach(cell => {{ cell.style.contentVisibility = "visible"; }})""")


# --- lessons --------------------------------------------------------------------------------


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.stem for lesson in LESSONS])
def test_a_lesson_after_run_all_has_no_serious_violation(lab_page, lab, lesson):
    sources = code_cells(lesson)
    widgets, charts = count_calls(sources, WIDGET_CALLS), count_calls(sources, CHART_CALLS)
    page = lab_page.page
    lab_page.open(lab.path(lab.copy(lesson)))
    lab_page.run_all_and_wait()
    page.wait_for_function(f"() => ({RENDERED_WIDGETS})() >= {widgets} && ({DRAWN_CHARTS})() >= {charts}",
                           timeout=30_000)
    lab_page.assert_no_error_outputs()
    if lesson.stem.startswith("01"):  # JupyterLab itself, at the lesson's reader
        reader = page.locator(TOP_OUTPUTS).filter(has=page.locator("p[data-paragraph]")).first
        reader.evaluate("e => e.closest('.jp-Cell').scrollIntoView({block: 'start'})")
        tour(page, "lab-lesson-1")
    # The widgets' other states: a comparer's revealed reading, a self-check's feedback.
    reveal = page.locator(f"{PANEL} .widget-button", has_text="Reveal the kit's reading")
    if reveal.count():
        reveal.first.click()
        expect(page.locator(f"{PANEL} .widget-html-content", has_text="Kit's reading").first).to_be_visible()
    check = page.locator(f"{PANEL} .widget-button", has_text="Check")
    if check.count():
        page.locator(f"{PANEL} {FIRST_CHOICE}").first.click()
        check.first.click()
        expect(
            page.locator(f"{PANEL} .widget-html-content", has_text="Correct.")
            .or_(page.locator(f"{PANEL} .widget-html-content", has_text="Not yet."))
            .first
        ).to_be_visible()
    take_lesson_tour(page, lesson.stem)
    render_all_cells(page)
    audit_lab_page(page, lesson.stem)
    assert lab_page.outside_requests == []
    lab_page.close_notebook()


def take_lesson_tour(page, lesson: str) -> None:
    """One picture of the first output of each kind (each chart, the reader, the comparer, a self-check)."""
    if not TOUR:
        return
    taken: list[str] = []
    outputs = page.locator(TOP_OUTPUTS)
    for index in range(outputs.count()):
        output = outputs.nth(index)
        kind = next((kind for selector, kind in TOUR_VIEWS.items() if output.locator(selector).count()), None)
        if kind and (kind == "chart" or kind not in taken):
            taken.append(kind)
            tour(page, f"{lesson}-{kind}" + (f"-{taken.count(kind)}" if kind == "chart" else ""), output)


# --- keyboard -------------------------------------------------------------------------------

KEYBOARD_CELLS = (
    'from peninsula import widgets\nwidgets.reader("trivedi")',
    'widgets.comparer("summit_diplomacy")',
    'from peninsula.lessons import self_check\nself_check("start_here")',
)
#: The focused element's visible focus indicator: an outline or a box shadow.
FOCUS_STYLE = """() => { const s = getComputedStyle(document.activeElement);
    return {tag: document.activeElement.tagName, outline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0,
            shadow: s.boxShadow !== "none"}; }"""


def assert_focus_visible(page, what: str) -> None:
    focus = page.evaluate(FOCUS_STYLE)
    assert focus["outline"] or focus["shadow"], f"{what}: the focused {focus['tag']} shows no focus indicator"


def choose_from_menu(page, steps: int) -> None:
    """A closed menu's keyboard route: Space opens it, the arrows move, Enter chooses. (The arrows alone
    move JupyterLab between cells instead: jupyter-widgets/ipywidgets#3912.)"""
    page.keyboard.press("Space")
    for _ in range(steps):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")


def test_the_widgets_work_from_the_keyboard_with_visible_focus(lab_page, lab):
    page = lab_page.page
    lab_page.open(lab.path(lab.scratch_notebook("keyboard", *KEYBOARD_CELLS)))
    lab_page.run_all_and_wait()
    lab_page.assert_no_error_outputs()
    cells = page.locator(f"{PANEL} .jp-CodeCell")
    reader, comparer, checks = cells.nth(0), cells.nth(1), cells.nth(2)
    expect(reader.locator("p[data-paragraph]").first).to_be_visible(timeout=30_000)

    # Reader: choose an actor from the keyboard; fewer paragraphs are shown.
    before = reader.locator("p[data-paragraph]").count()
    actor = reader.locator(".widget-dropdown select").first
    actor.focus()
    assert_focus_visible(page, "the reader's actor menu")
    choose_from_menu(page, 3)  # all actors -> US -> US Congress -> South Korea
    expect(reader.locator("p[data-paragraph]")).not_to_have_count(before, timeout=15_000)
    # Tab moves on to the next control, the issue menu.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.tagName") == "SELECT"
    assert_focus_visible(page, "the reader's issue menu")

    # Comparer: record a reading from the keyboard, Tab on to the Reveal button, press Enter.
    reading = comparer.locator(".widget-dropdown select").nth(2)  # the second author's reading
    reading.focus()
    choose_from_menu(page, 2)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.includes('Reveal')")
    assert_focus_visible(page, "the Reveal button")
    page.keyboard.press("Enter")
    expect(comparer.locator(".widget-html-content", has_text="Kit's reading").first).to_be_visible(
        timeout=15_000
    )

    # Self-check: Tab to a choice, press it with Space, Tab on to Check and press it.
    checks.locator(FIRST_CHOICE).first.focus()
    page.keyboard.press("Tab")  # to choice B
    assert_focus_visible(page, "a self-check choice")
    page.keyboard.press("Space")
    for _ in range(10):  # on past the other choices to the Check button
        if page.evaluate("() => document.activeElement.textContent.trim() === 'Check'"):
            break
        page.keyboard.press("Tab")
    assert_focus_visible(page, "the Check button")
    page.keyboard.press("Space")
    feedback = checks.locator(".widget-html-content", has_text="Correct.").or_(
        checks.locator(".widget-html-content", has_text="Not yet.")
    )
    expect(feedback.first).to_be_visible(timeout=15_000)
    tour(page, "keyboard-self-check", checks)
    assert lab_page.outside_requests == []
    lab_page.close_notebook()


# --- a released assignment and Validate -----------------------------------------------------

TYPED = {"\nR02:\n": "\nR02: South Korea, Japan\n", "\nR03:\n": "\nR03: Soth Korea\n"}  # plain lines


def test_a_released_assignment_and_its_validate_dialog(lab_page, lab):
    page = lab_page.page
    lab.nbgrader("generate_assignment", ASSIGNMENT, "--force")
    lab_page.open(lab.path(lab.course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"))
    lab_page.wait_kernel_ready()
    render_all_cells(page)
    audit_lab_page(page, "assignment")
    page.evaluate(
        """typed => {
            const notebook = window.jupyterapp.shell.currentWidget.content;
            const cell = notebook.widgets.find(c => c.model.sharedModel.getSource().includes("%%answers"));
            let source = cell.model.sharedModel.getSource();
            for (const [blank, answer] of Object.entries(typed)) source = source.replace(blank, answer);
            cell.model.sharedModel.setSource(source);
        }""",
        TYPED,
    )
    page.locator(f"{PANEL} .jp-Toolbar").get_by_text("Validate", exact=True).click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("no answer yet", timeout=NBGRADER_WAIT)
    text = dialog.inner_text()
    # The check cell is short, so the dialog shows the problems near its top.
    problems = text.index("'Soth Korea' is not an actor name")
    assert problems < 600, f"the first problem starts {problems} characters into the dialog:\n{text[:800]}"
    tour(page, "assignment-validate")
    # The dialog is nbgrader's; the kit's part is the cell source and the problems shown in it.
    audit_lab_page(page, "validate-dialog", own=[*KIT_IN_LAB, "#validation-message pre"])
    assert lab_page.outside_requests == []
    page.keyboard.press("Escape")
    lab_page.close_notebook()


# --- feedback and the class report: standalone pages ----------------------------------------


def peninsula(course: Path, *args: str) -> None:
    command = [BIN / "peninsula", *args, "--course", course]
    result = subprocess.run(command, cwd=course, env={**os.environ, **ENV_PATH}, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, f"peninsula {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory) -> Path:
    """A small demo class, graded, with feedback and the class report (about 35 s)."""
    course = tmp_path_factory.mktemp("graded") / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "course", course / "course")
    shutil.copytree(ROOT / "source_texts", course / "source_texts")
    peninsula(course, "demo-class", ASSIGNMENT, "--students", "4")
    peninsula(course, "grade", ASSIGNMENT)
    peninsula(course, "report", ASSIGNMENT)
    return course


@pytest.fixture
def file_page(browser):
    """A browser tab for a file on disk that records every request for anything but that file."""
    axe_or_skip()
    # The feedback page's own policy forbids every script; the audit's axe-core must still run in it.
    context = browser.new_context(viewport={"width": 1100, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.outside_requests = []
    local = ("file:", "data:", "blob:", "about:")
    page.on("request", lambda r: None if r.url.startswith(local) else page.outside_requests.append(r.url))
    yield page
    context.close()


def test_a_feedback_page_is_offline_and_has_no_serious_violation(file_page, graded_course):
    page = file_page
    feedback = sorted((graded_course / "feedback").glob(f"*/{ASSIGNMENT}/{ASSIGNMENT}.html"))[0]
    html = feedback.read_text(encoding="utf-8")
    assert "mathjax" not in html.lower(), "feedback must not load MathJax (it comes from a CDN)"
    page.goto(feedback.as_uri())
    page.wait_for_load_state("load")
    summary = page.locator("#toc").inner_text()
    assert "Test cell" not in summary and "0.0 / 0.0" not in summary, summary
    padding = page.evaluate("() => getComputedStyle(document.querySelector('.rendered_html td')).paddingLeft")
    assert float(padding.removesuffix("px")) >= 4, f"table cells have {padding} padding"
    tour(page, "feedback")
    assert blocking(audit(page, "feedback")) == []
    assert page.outside_requests == []


def test_the_class_report_is_offline_and_has_no_serious_violation(file_page, graded_course):
    page = file_page
    page.goto((graded_course / "exports" / f"{ASSIGNMENT}-report.html").as_uri())
    charts = page.locator(".vega-embed")
    expect(charts.first).to_be_visible(timeout=30_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.vega-embed')].every(c => c.querySelector('svg.marks, canvas.marks'))",
        timeout=30_000,
    )
    summary = page.locator(".summary").inner_text()  # first, for an instructor with ten seconds
    assert "pending" in summary and "missing" in summary and "Median score" in summary, summary
    assert summary.count("mean credit") == 3, summary
    # The histogram counts whole students in whole-point bins.
    labels = page.locator("#score_distribution .role-axis-label text").all_text_contents()
    assert labels and all(label.isdigit() for label in labels), labels
    tour(page, "report")
    assert blocking(audit(page, "report")) == []
    assert page.outside_requests == []
