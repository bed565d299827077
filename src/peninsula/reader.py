"""The paragraph reader: a text paragraph by paragraph, filtered by actor, issue and phrase.

Each reader builds its paragraphs' HTML once, so a change of filter only picks and joins strings.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets

from peninsula.codebook import load_codebook
from peninsula.passage_html import fold, legend_html, paragraph_html
from peninsula.texts import Commentary, Paragraph, load_corpus
from peninsula.widget_style import FOCUS_STYLE, KEYBOARD_HINT, KIT_CLASS, html_widget, shared_layout

ALL = "all"


@dataclass(frozen=True)
class ReaderRow:
    """A paragraph with everything the reader filters on, computed once."""

    html: str
    paragraph: Paragraph
    actors: frozenset[str]
    issues: frozenset[str]
    folded: str  # the text, casefolded with plain quotes, for the phrase search


def reader_rows(text: Commentary) -> tuple[ReaderRow, ...]:
    codebook = load_codebook()
    return tuple(
        ReaderRow(
            html=paragraph_html(paragraph),
            paragraph=paragraph,
            actors=frozenset(m.code for m in codebook.mentions(paragraph.text)),
            issues=frozenset(codebook.issues_in(paragraph.text)),
            folded=fold(paragraph.text),
        )
        for paragraph in text.paragraphs
    )


def reader_html(
    rows: Sequence[ReaderRow], author: str, actor: str = ALL, issue: str = ALL, phrase: str = ""
) -> str:
    """The paragraphs that match every filter, with a line saying how many of the author's match."""
    wanted = fold(phrase.strip())
    matching = [
        row
        for row in rows
        if (actor == ALL or actor in row.actors)
        and (issue == ALL or issue in row.issues)
        and (not wanted or wanted in row.folded)
    ]
    summary = f"<p><i>{len(matching)} of {len(rows)} paragraphs of {html.escape(author)} match.</i></p>"
    if not matching:
        return summary + "<p>No paragraph matches: choose another actor or issue, or shorten the phrase.</p>"
    if wanted:  # only the paragraphs shown are built again, with the phrase marked
        return summary + "\n".join(paragraph_html(row.paragraph, phrase=phrase) for row in matching)
    return summary + "\n".join(row.html for row in matching)


class Reader(widgets.VBox):
    """Browse a text paragraph by paragraph, filtered by actor, issue and phrase."""

    def __init__(self, text_id: str = "trivedi"):
        super().__init__(layout=shared_layout())
        layout = shared_layout()
        corpus, codebook = load_corpus(), load_codebook()
        corpus[text_id]  # an unknown id raises a KeyError that lists the known ones
        self._texts = {text.id: (text.author, reader_rows(text)) for text in corpus}  # built once
        self.text_choice = widgets.ToggleButtons(
            options=[(text.author, text.id) for text in corpus],
            value=text_id,
            description="Text",
            layout=layout,
        )
        self.actor_choice = widgets.Dropdown(
            options=[
                ("all actors", ALL),
                *((f"{a.name} ({a.code})", a.code) for a in codebook.actors.values()),
            ],
            description="Actor",
            layout=layout,
        )
        self.issue_choice = widgets.Dropdown(
            options=[("all issues", ALL)] + [(i.name, i.id) for i in codebook.issues.values()],
            description="Issue",
            layout=layout,
        )
        self.search = widgets.Text(placeholder="a word or phrase", description="Search", layout=layout)
        self.legend = html_widget(FOCUS_STYLE + legend_html() + KEYBOARD_HINT)
        self.view = html_widget()
        for control in (self.text_choice, self.actor_choice, self.issue_choice, self.search):
            control.observe(self._refresh, names="value")
        self.add_class(KIT_CLASS)
        self.children = [
            self.text_choice,
            widgets.HBox([self.actor_choice, self.issue_choice, self.search], layout=layout),
            self.legend,
            self.view,
        ]
        self._refresh()

    def _refresh(self, _change: object = None) -> None:
        author, rows = self._texts[self.text_choice.value]
        self.view.value = reader_html(
            rows, author, self.actor_choice.value, self.issue_choice.value, self.search.value
        )
