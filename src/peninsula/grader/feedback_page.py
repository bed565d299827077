"""The feedback page students get: nbgrader's GenerateFeedback with the kit's template.

The template (templates/feedback/peninsula_feedback.html.j2) works offline (nbgrader's loads MathJax
from a CDN), has one main landmark and English as its language, lists the score of each part by name
instead of "Test cell", leaves out the format check (0 points), and uses the kit's stylesheet, which
the class report shares. `nbgrader_config.py` calls `configure`.
"""

from __future__ import annotations

from pathlib import Path

from peninsula.grader.assignments import PART_TITLES
from peninsula.grader.autograde import HIDDEN_PREFIX

TEMPLATES = Path(__file__).parent / "templates"
# nbgrader's API always sets the template name to its own "feedback", so the kit's folder has that name
# too (and no conf.json: nbgrader's says what it builds on), and the kit names its own file.
TEMPLATE_FILE = "peninsula_feedback.html.j2"
STYLESHEET = TEMPLATES / "feedback" / "peninsula.css"


def configure(c) -> None:
    """Point nbgrader's feedback exporter at the kit's template (which extends nbgrader's)."""
    import nbgrader

    nbgrader_templates = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"
    # Scoped to feedback: the Formgrader renders submissions with its own template through HTMLExporter.
    c.GenerateFeedback.HTMLExporter.template_file = TEMPLATE_FILE
    c.GenerateFeedback.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(nbgrader_templates)]
    c.GenerateFeedback.HTMLExporter.filters = {"feedback_title": f"{__name__}.feedback_title"}


def feedback_title(cell: dict) -> str:
    """A graded cell's name on the feedback page: its part ("The Trivedi recommendations"), or what is
    graded by hand ("Discussion, graded by hand")."""
    grade_id = cell["metadata"]["nbgrader"]["grade_id"]
    part = PART_TITLES.get(grade_id.removeprefix(HIDDEN_PREFIX))
    if grade_id.startswith(HIDDEN_PREFIX) and part:
        return part[0].upper() + part[1:]
    name = grade_id.replace("_", " ").capitalize()
    return f"{name}, graded by hand" if cell["cell_type"] == "markdown" else name
