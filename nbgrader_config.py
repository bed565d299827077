"""nbgrader settings for the Peninsula course. The repository root is the course root."""

from pathlib import Path

c = get_config()

COURSE_ROOT = Path(__file__).resolve().parent

c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.source_directory = "course"
c.CourseDirectory.course_id = "peninsula"

# A single cell may run this long before nbgrader stops it (an infinite loop
# costs one cell, not the whole batch).
c.Execute.timeout = 30

# The exchange. On a shared server the site-wide nbgrader_config.py (in /etc/jupyter; see deploy/)
# names the exchange every student can reach, and it must win: nbgrader reads this file last, so an
# Exchange.root set here would send releases to a folder no student sees. Only where no site or user
# config names one (a laptop, a copy for tests) does the course use a private exchange, so that
# release/fetch/submit/collect work without JupyterHub: a git-ignored folder made on first read.
from peninsula.grader.course import site_config  # noqa: E402

if "root" not in site_config().Exchange:
    EXCHANGE = COURSE_ROOT / ".exchange"
    EXCHANGE.mkdir(exist_ok=True)
    c.Exchange.root = str(EXCHANGE)

# The graded assignments (course/who_must_act, course/comparing_positions) keep their answer dictionary
# above a solution region, so the release needs no stub code there (the default stub raises).
c.ClearSolutions.code_stub = {"python": ""}

# Scores are computed in the grader's process from the answer cell's text. An assignment scored
# entirely from text (both of the kit's) runs no student code at all; one with an instructor's own
# code-graded cells runs each notebook in a bubblewrap sandbox that cannot see this folder
# (peninsula.grader.autograde, .execution, .sandbox). Deleted answer and graded cells are put back
# and graded 0, and a pasted copy of a cell is ignored, instead of failing the submission.
from peninsula.grader.autograde import configure  # noqa: E402

configure(c)

# The exchange's collect, release and release_feedback are the kit's (peninsula.grader.exchange): a
# submission is taken only from its student's own account, with a time the student cannot forge.
from peninsula.grader.exchange import configure_exchange  # noqa: E402

configure_exchange(c)

# Feedback shows scores and the hidden tests' printed per-item verdicts, never the hidden test source.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
]
# ...on the kit's feedback page, which works offline (no MathJax from a CDN), names each part and
# reads well with a screen reader (peninsula.grader.feedback_page).
from peninsula.grader.feedback_page import configure as configure_feedback  # noqa: E402

configure_feedback(c)
