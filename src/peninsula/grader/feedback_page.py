"""The feedback page students get: nbgrader's GenerateFeedback with the kit's template.

The template (templates/feedback/peninsula_feedback.html.j2) works offline (nbgrader's loads MathJax
from a CDN), has one main landmark and English as its language, lists the score of each part by name
instead of "Test cell", leaves out the format check (0 points), and uses the kit's stylesheet, which
the class report shares. `nbgrader_config.py` calls `configure`.

The page is inert (see peninsula.grader.sanitize): it is rendered from the inert autograded notebook,
made inert again first (`InertFeedback`, for a notebook graded before this step existed) and cut to
`PAGE_CHARACTERS` of cell text; nbconvert's HTML sanitizer cleans what is rendered; and the page's own
Content-Security-Policy (a meta element: the page is opened as a file) forbids every script, frame,
plugin and request.
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

from peninsula.grader.registry import HIDDEN_PREFIX
from peninsula.grader.sanitize import bound_page, make_inert

TEMPLATES = Path(__file__).parent / "templates"
# nbgrader's API always sets the template name to its own "feedback", so the kit's folder has that name
# too (and no conf.json: nbgrader's says what it builds on), and the kit names its own file.
TEMPLATE_FILE = "peninsula_feedback.html.j2"
STYLESHEET = TEMPLATES / "feedback" / "peninsula.css"
# A hidden cell's first line names its part, as the registry titles it: "# Part 2, stances (12 points)"
PART_TITLE = re.compile(r"# (.+?) \(\d+ points?\)")


class InertFeedback(NbGraderPreprocessor):
    """The first feedback step: the notebook made inert and its page bounded, before scores are added."""

    enabled = Bool(True)  # nbconvert's default is False, which would skip this step silently

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        return bound_page(make_inert(nb)), resources


class _CompiledTemplates(BytecodeCache):
    """Jinja's compiled templates, kept for the life of the process. nbgrader makes a new exporter,
    and so compiles every template again, for each student's page: most of a page's cost."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:  # the key includes a checksum of the template's source
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _CompiledTemplates()


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback exporter (HTMLExporter, so its config applies), compiling templates once,
    and rendering the page in one pass."""

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = COMPILED_TEMPLATES
        return environment

    def from_notebook_node(self, nb: NotebookNode, resources: dict | None = None, **kw) -> tuple[str, dict]:
        """HTMLExporter's rendering without its second pass, which parses the whole page again to
        give JupyterLab-styled cells a tabindex and images without alt text one: the kit's template
        has no such cells, and its only images come from markdown, which always has alt text
        (tests/test_inert_pages.py). The pass was 40% of a feedback page's cost."""
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name"))
        resources = self._init_resources(resources)
        highlight = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        self.register_filter("highlight_code", highlight)
        self.register_filter(
            "filter_data_type",
            WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources),
        )
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


def configure(c) -> None:
    """Point nbgrader's feedback exporter at the kit's template (which extends nbgrader's), and make
    the page inert."""
    import nbgrader
    from nbgrader.converters import GenerateFeedback

    nbgrader_templates = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"
    # Scoped to feedback: the Formgrader renders submissions with its own template through HTMLExporter.
    c.GenerateFeedback.HTMLExporter.template_file = TEMPLATE_FILE
    c.GenerateFeedback.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(nbgrader_templates)]
    c.GenerateFeedback.HTMLExporter.filters = {"feedback_title": f"{__name__}.feedback_title"}
    c.GenerateFeedback.HTMLExporter.sanitize_html = True
    c.GenerateFeedback.exporter_class = FeedbackExporter
    steps = c.GenerateFeedback.get("preprocessors")
    if not isinstance(steps, list):
        steps = list(GenerateFeedback.class_traits()["preprocessors"].default())
    c.GenerateFeedback.preprocessors = [InertFeedback, *(s for s in steps if s is not InertFeedback)]


def feedback_title(cell: dict) -> str:
    """A graded cell's name on the feedback page: its part ("The Trivedi recommendations"), or what is
    graded by hand ("Discussion, graded by hand")."""
    grade_id = cell["metadata"]["nbgrader"]["grade_id"]
    # nbgrader restores a graded cell's source from the instructor's notebook: no student wrote the title.
    part = PART_TITLE.match(cell["source"]) if grade_id.startswith(HIDDEN_PREFIX) else None
    if part:
        return part[1]
    name = grade_id.replace("_", " ").capitalize()
    return f"{name}, graded by hand" if cell["cell_type"] == "markdown" else name
