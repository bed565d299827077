"""Make the autograded notebook inert: what a student wrote can be read on every page, never run.

Every page a person opens about a submission is rendered from the autograded notebook: the
Formgrader's manual-grading page and the feedback page. `MakeInert` runs in nbgrader's autograde,
after the kit has written the scores and before nbgrader saves them, and leaves in that notebook:

- markdown (the hand-graded written answer included) with every `<` escaped and every `&` shown as
  a full-width ampersand, so raw HTML, `<script>`, `<iframe srcdoc>`, SVG, event attributes and
  entities show as text while headings, lists and emphasis still render; `javascript:` links
  (however escaped) are broken up;
- raw cells escaped the same way (nbconvert copies a raw cell into the page verbatim);
- outputs only where the kit or the instructor's tests write them (graded code cells), and only as
  plain text: every output of the student's own cells is dropped, and HTML, JavaScript, SVG,
  images and widgets are dropped everywhere;
- attachments only as PNG, JPEG or GIF pictures (an SVG can hold script), and links to any other
  attachment broken up (nbconvert refuses to render a page that names a missing one);
- no notebook or cell metadata but nbgrader's own (checked) and the kit's grading notes, and cell
  sources cut to `MAX_CELL_CHARACTERS` each and `PAGE_CHARACTERS` in all (the answer cell
  excepted: the grader's tools read it whole);
- beside it, only the assignment's notebooks, nbgrader's `timestamp.txt` and the instructor's own
  files: any other file the submission carried (an `.html` page the server would serve, a copy of
  something a kernel wrote) is deleted, so it reaches neither `autograded/` nor `feedback/`.

The feedback page is cut the same way, its answer cell included (`bound_page`).
"""

from __future__ import annotations

import re
from pathlib import Path

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

from peninsula.answers import ANSWER_CELL_ID
from peninsula.grader.course import course_of
from peninsula.grader.execution import NOTES

MAX_CELL_CHARACTERS = 100_000
PAGE_CHARACTERS = 300_000
#: nbgrader's own files beside a notebook in autograded/ (read by `peninsula grade` and feedback).
NBGRADER_FILES = {"timestamp.txt", "submission_secret.txt"}
#: What an nbgrader id looks like: a grade_id or a student id shown on a page must be one of these.
PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}")
# A script link, however written: markdown decodes backslash escapes (`javascript\\:`) in a link.
SCRIPT_NAMES = "|".join(r"[\W_]*".join(name) for name in ("javascript", "vbscript", "livescript"))
SCRIPT_SCHEME = re.compile(rf"(?:{SCRIPT_NAMES})(?=[\W_]*:)", re.IGNORECASE)
# Markdown decodes entities in a link, twice over in nbconvert's renderer (`jav&amp;#x61;script:`), so
# no `&` stays one: the written answer shows a full-width ampersand instead.
AMPERSAND = "\uff06"
LONE_AMPERSAND = re.compile(r"&(?!lt;)")
NBGRADER_KEYS = {"grade", "solution", "locked", "task", "points", "grade_id", "schema_version", "cell_type",
                 "checksum"}
TEXT_OUTPUTS = {"execute_result", "display_data"}
RASTER_IMAGES = {"image/png", "image/jpeg", "image/gif"}
ATTACHMENT_LINK = re.compile(r"(?i)(?<![\w-])attachment:([^\s)\]\"'>]*)")


def is_plain_id(text: object) -> bool:
    return isinstance(text, str) and PLAIN_ID.fullmatch(text) is not None


def escape_html(text: str) -> str:
    """Every `<` as `&lt;`, every other `&` as a full-width ampersand; the same when done twice (the
    feedback step makes the autograded notebook inert again)."""
    return LONE_AMPERSAND.sub(AMPERSAND, text).replace("<", "&lt;")


def inert_markdown(source: str, attachments: frozenset[str] = frozenset()) -> str:
    """Markdown that renders as the student wrote it, with no HTML element, entity or script link, and
    no reference to an attachment that is not kept (nbconvert refuses to render a missing one)."""
    escaped = escape_html(source)
    escaped = SCRIPT_SCHEME.sub(lambda m: m[0] + " (link removed) ", escaped)
    return ATTACHMENT_LINK.sub(lambda m: m[0] if m[1] in attachments else "removed-attachment:", escaped)


def _raster_attachments(attachments: object) -> dict:
    """The attachments that are pictures a browser cannot run (PNG, JPEG, GIF), as text."""
    kept = {}
    for name, data in (attachments or {}).items() if isinstance(attachments, dict) else ():
        images = {k: v for k, v in (data or {}).items() if k in RASTER_IMAGES and isinstance(v, str)}
        if images and isinstance(name, str):
            kept[name] = images
    return kept


def _cut(source: str, limit: int) -> str:
    if len(source) <= limit:
        return source
    return source[:limit] + f"\n\n[… {len(source) - limit:,} more characters not shown]\n"


def _nbgrader_metadata(meta: object) -> dict | None:
    """nbgrader's cell metadata with only its own keys and plain values; None if it is not nbgrader's."""
    if not isinstance(meta, dict) or not is_plain_id(meta.get("grade_id", "x")):
        return None
    kept = {k: v for k, v in meta.items() if k in NBGRADER_KEYS and isinstance(v, (bool, int, float, str))}
    if any(isinstance(value, str) and not is_plain_id(value) for value in kept.values()):
        return None
    return kept


def _text(value: object) -> str:
    return "".join(map(str, value)) if isinstance(value, list) else str(value)


def _text_output(output: NotebookNode) -> NotebookNode | None:
    """An output as plain text only (streams and tracebacks are text already); None if it has none."""
    kind = output.get("output_type")
    if kind == "stream":
        name = "stderr" if output.get("name") == "stderr" else "stdout"
        return NotebookNode(output_type="stream", name=name, text=_text(output.get("text", "")))
    if kind == "error":
        return NotebookNode(output_type="error", ename=_text(output.get("ename", "")),
                            evalue=_text(output.get("evalue", "")),
                            traceback=[_text(line) for line in output.get("traceback", [])])
    plain = output.get("data", {}).get("text/plain")
    if kind not in TEXT_OUTPUTS or plain is None:
        return None
    text = NotebookNode(output_type=kind, data={"text/plain": _text(plain)}, metadata={})
    if kind == "execute_result":
        text["execution_count"] = output.get("execution_count")
    return text


def make_cell_inert(cell: NotebookNode, limit: int | None = MAX_CELL_CHARACTERS) -> NotebookNode:
    """One cell with nothing left that a browser would run (see the module's docstring)."""
    nbgrader = _nbgrader_metadata(cell.get("metadata", {}).get("nbgrader"))
    cell["metadata"] = NotebookNode({"nbgrader": nbgrader} if nbgrader else {})
    attachments = _raster_attachments(cell.pop("attachments", None))
    if attachments and cell.get("cell_type") == "markdown":
        cell["attachments"] = NotebookNode(attachments)
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else str(source)
    if limit is not None and not (nbgrader and nbgrader.get("grade_id") == ANSWER_CELL_ID):
        source = _cut(source, limit)
    if cell.get("cell_type") == "markdown":
        source = inert_markdown(source, frozenset(attachments))
    elif cell.get("cell_type") == "raw":
        source = escape_html(source)
    cell["source"] = source
    if cell.get("cell_type") == "code":
        graded = bool(nbgrader and nbgrader.get("grade"))
        kept = [_text_output(o) for o in cell.get("outputs", [])] if graded else []
        cell["outputs"] = [o for o in kept if o is not None]
    return cell


def make_inert(nb: NotebookNode) -> NotebookNode:
    nb.cells = [make_cell_inert(cell) for cell in nb.cells]
    metadata = nb.get("metadata", {})
    language = metadata.get("language_info", {})
    # nbconvert picks its highlighter by these names: a made-up one would stop the page rendering.
    language = {k: v for k, v in language.items() if k in ("name", "pygments_lexer") and is_plain_id(v)}
    nb.metadata = NotebookNode({"kernelspec": metadata["kernelspec"]} if "kernelspec" in metadata else {})
    if NOTES in metadata:  # the kit's own notes on grading (KeepFirstCopy wiped any a student wrote)
        nb.metadata[NOTES] = metadata[NOTES]
    if language:
        nb.metadata["language_info"] = NotebookNode(language)
    return nb


def bound_page(nb: NotebookNode, characters: int = PAGE_CHARACTERS, answers: bool = True) -> NotebookNode:
    """At most `characters` of cell sources on one page; later cells are cut. Outputs are left alone:
    only graded cells keep any, as plain text that nbgrader's LimitOutput bounds, and the scores
    nbgrader records are read from them. With `answers` false the answer cell is kept whole too."""
    left = characters
    for cell in nb.cells:
        if not answers and cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == ANSWER_CELL_ID:
            continue
        cell["source"] = _cut(cell.get("source", ""), max(left, 0))
        left -= len(cell["source"])
    return nb


def prune_folder(folder: Path, keep: set[str]) -> list[str]:
    """Delete every file and folder in `folder` whose relative path is not in `keep`; returns them."""
    removed = []
    for path in sorted(folder.rglob("*"), reverse=True):
        relative = path.relative_to(folder).as_posix()
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
            continue
        if relative not in keep:
            path.unlink()
            removed.append(relative)
    return removed


class MakeInert(NbGraderPreprocessor):
    """Autograde's last word on the notebook every page is rendered from (see the module docstring)."""

    enabled = Bool(True)  # nbconvert's default is False, which would skip this step silently

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        student = resources.get("nbgrader", {}).get("student")
        if student is not None and not is_plain_id(student):
            # Its pages would show the id as HTML: it is not graded (peninsula grade names it).
            raise ValueError(f"{student!r} is not a plain student id (letters, digits, . _ @ -)")
        nb = bound_page(make_inert(nb), answers=False)
        folder = resources.get("metadata", {}).get("path")
        if folder:
            removed = prune_folder(Path(folder), self._kept_files(resources))
            if removed:
                self.log.warning("Peninsula removed file(s) that are not graded: %s", ", ".join(removed))
        return nb, resources

    def _kept_files(self, resources: dict) -> set[str]:
        """The assignment's own files (its notebooks included) and nbgrader's."""
        source = course_of(self.config).source / resources["nbgrader"]["assignment"]
        return {p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file()} | NBGRADER_FILES
