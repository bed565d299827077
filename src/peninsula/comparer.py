"""The position comparer: both authors on one issue side by side. The student records a reading
first, then reveals the kit's, with its evidence marked in the paragraphs and on the stance map.

It reads only the student-safe positions: for an issue graded in Assignment 2 it says so and shows
nothing more.
"""

from __future__ import annotations

import functools
import html

import ipywidgets as widgets

from peninsula.codebook import load_codebook, stance_text
from peninsula.passage_html import paragraph_html
from peninsula.positions import Position, load_positions
from peninsula.texts import load_corpus
from peninsula.widget_style import FOCUS_STYLE, KEYBOARD_HINT, KIT_CLASS, html_widget, shared_layout

GRADED_MESSAGE = "This issue is graded in Assignment 2, so the kit's reading is not shown here."
REVEAL_LABEL = "Reveal the kit's reading"
#: The student-stance menus' value before a reading is recorded (a Dropdown shows None as blank).
NO_READING = "no reading yet"


def prompt_html(issue_id: str, text_id: str) -> str:
    """A panel before the reveal: the author and the proposition to judge."""
    author = html.escape(load_corpus()[text_id].author)
    proposition = html.escape(load_codebook().issues[issue_id].proposition)
    return (
        f"<h3>{author}</h3><p>How far does {author} agree that: <i>{proposition}</i></p>"
        "<p>Record your own reading above, then reveal the kit's.</p>"
    )


def agreement_html(student: int | str, position: Position) -> str:
    """How the student's reading compares with the kit's."""
    if student == NO_READING:
        return "<p>You did not record a reading first.</p>"
    if student == position.stance:
        return f"<p>Your reading ({html.escape(stance_text(student))}) matches the kit's.</p>"
    also = " The kit also accepts this reading." if student in position.accepted else ""
    return f"<p>Your reading was {html.escape(stance_text(student))}.{also} Compare the evidence below.</p>"


def reading_html(issue_id: str, text_id: str, student: int | str = NO_READING) -> str:
    """A panel after the reveal: the kit's stance, summary and evidence, or that the issue is graded."""
    author = html.escape(load_corpus()[text_id].author)
    position = load_positions().get((issue_id, text_id))
    if position is None:
        return f"<h3>{author}</h3><p><i>{html.escape(GRADED_MESSAGE)}</i></p>"
    corpus = load_corpus()
    quotes_by_paragraph: dict[str, list[str]] = {}  # one paragraph shown once, with all its quotes
    for item in position.evidence:
        quotes_by_paragraph.setdefault(item.paragraph, []).append(item.quote)
    evidence = "".join(
        f"<blockquote>{paragraph_html(corpus.paragraph(pid), quotes)}</blockquote>"
        for pid, quotes in quotes_by_paragraph.items()
    )
    return (
        f"<h3>{author}</h3>"
        f"<p><b>Kit's reading:</b> {html.escape(stance_text(position.stance))}</p>"
        f"{agreement_html(student, position)}"
        f"<p>{html.escape(position.summary)}</p>" + (f"<p><b>Evidence</b></p>{evidence}" if evidence else "")
    )


@functools.cache
def stance_map_output(issue_id: str, revealed: frozenset[str]) -> tuple[dict, ...]:
    """The stance map with `issue_id` ringed and only the `revealed` issues' stances drawn, as
    Output-widget outputs. Built when first asked for: a spec costs about a millisecond."""
    from peninsula.charts import stance_map

    return (stance_map(highlight=issue_id, revealed=revealed).display_data(),)


class Comparer(widgets.VBox):
    """Both authors on one issue side by side; the student records a reading before revealing the kit's."""

    def __init__(self, issue: str | None = None):
        super().__init__(layout=shared_layout())
        corpus, codebook = load_corpus(), load_codebook()
        issue = issue or next(iter(codebook.issues))
        if issue not in codebook.issues:
            raise KeyError(f"unknown issue {issue!r}; the codebook's issues are {', '.join(codebook.issues)}")
        self.revealed = False
        self.revealed_issues: set[str] = set()  # the stance map shows only these issues' stances
        self.issue_choice = widgets.Dropdown(
            options=[(i.name, i.id) for i in codebook.issues.values()],
            value=issue,
            description="Issue",
            layout=shared_layout(),
        )
        self.proposition = html_widget()
        stance_options = [("— your reading —", NO_READING)] + [(stance_text(s), s) for s in codebook.stances]
        # Each reading on a row of its own, the menu as wide as the notebook, so the longest stance
        # ("not addressed: the author does not discuss this issue") is never cut off.
        self.student_stances = {
            text.id: widgets.Dropdown(options=stance_options, value=NO_READING,
                                      description=f"{text.surname} reads",
                                      style={"description_width": "initial"},
                                      layout=shared_layout(width="95%", max_width="40em"))
            for text in corpus
        }
        #: The student's readings by (issue, text id), kept when the issue changes.
        self.readings: dict[tuple[str, str], int | str] = {}
        self._restoring = False
        self.panels = {text.id: html_widget() for text in corpus}
        self.reveal_button = widgets.Button(
            description=REVEAL_LABEL,
            button_style="info",
            icon="eye",
            layout=shared_layout(width="fit-content"),
        )
        self.stance_map_output = widgets.Output(layout=shared_layout())
        columns = [widgets.VBox([self.panels[t.id]], layout=shared_layout(width="50%")) for t in corpus]
        self.add_class(KIT_CLASS)
        self.children = [
            self.issue_choice,
            self.proposition,
            *self.student_stances.values(),
            widgets.HBox(columns, layout=shared_layout()),
            self.reveal_button,
            self.stance_map_output,
        ]
        self.issue_choice.observe(self._choose_issue, names="value")
        for choice in self.student_stances.values():
            choice.observe(self._change_reading, names="value")
        self.reveal_button.on_click(lambda _button: self.reveal())
        self._choose_issue()

    @property
    def issue(self) -> str:
        return self.issue_choice.value

    def _choose_issue(self, _change: object = None) -> None:
        # An issue keeps its readings and its reveal: coming back to it shows them again.
        self.revealed = self.issue in self.revealed_issues
        self._restoring = True
        for text_id, choice in self.student_stances.items():
            choice.value = self.readings.get((self.issue, text_id), NO_READING)
        self._restoring = False
        issue = load_codebook().issues[self.issue]
        self.proposition.value = (
            FOCUS_STYLE + f"<p><b>Proposition:</b> {html.escape(issue.proposition)}</p>" + KEYBOARD_HINT
        )
        self._render_panels()
        self._draw_stance_map()

    def _draw_stance_map(self) -> None:
        self.stance_map_output.outputs = stance_map_output(self.issue, frozenset(self.revealed_issues))

    def _change_reading(self, change: dict) -> None:
        if self._restoring:
            return
        text_id = next(t for t, choice in self.student_stances.items() if choice is change["owner"])
        self.readings[(self.issue, text_id)] = change["new"]
        if self.revealed:  # keep the comparison with the kit's reading up to date
            self._render_panels()

    def reveal(self) -> None:
        """Show the kit's reading (or, for a graded issue, only that it is graded)."""
        self.revealed = True
        self.revealed_issues.add(self.issue)
        self._render_panels()
        self._draw_stance_map()

    def _render_panels(self) -> None:
        for text_id, panel in self.panels.items():
            if self.revealed:
                panel.value = reading_html(self.issue, text_id, self.student_stances[text_id].value)
            else:
                panel.value = prompt_html(self.issue, text_id)
