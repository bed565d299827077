"""The lessons' interactive widgets: a paragraph reader and a side-by-side position comparer.

The HTML is built by pure functions (`highlight_mentions`, `paragraph_html`, `reading_html`, …)
so tests can check it directly; the widget classes only wire controls to them. Each reader
builds its paragraphs' HTML once, so a change of filter only picks and joins strings.

The comparer reads only the student-safe positions: for an issue graded in Assignment 2 it says
so and shows nothing more.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets

from peninsula.codebook import Actor, load_codebook
from peninsula.positions import Position, load_positions
from peninsula.texts import Commentary, Paragraph, load_corpus

ALL = "all"
QUOTE_COLOUR = "#F0E442"  # Okabe–Ito yellow: evidence quotes, never an actor's colour
#: What the reader's search found: yellow with a black outline, so it shows on an actor's colour too.
SEARCH_OUTLINE = "outline:2px solid #000000;outline-offset:1px"
GRADED_MESSAGE = "This issue is graded in Assignment 2, so the kit's reading is not shown here."
REVEAL_LABEL = "Reveal the kit's reading"
#: The student-stance menus' value before a reading is recorded (a Dropdown shows None as blank).
NO_READING = "no reading yet"
#: Typographic quotes folded to plain ones, so a typed search finds "we’re" as "we're".
QUOTE_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
#: The class on every kit widget, and a focus ring on its controls: ipywidgets marks focus only by a
#: faint change of border colour, and JupyterLab's own rules turn outlines off (hence !important).
#: Blue on white is 5.2:1, above the 3:1 WCAG asks of focus indicators.
KIT_CLASS = "peninsula-widget"
#: JupyterLab's notebook takes the arrow keys of a closed menu for moving between cells
#: (jupyter-widgets/ipywidgets#3912), so the widgets say how a menu works from the keyboard.
KEYBOARD_HINT = (
    '<p class="peninsula-hint" style="color:#4d4d4d;font-size:90%">Keyboard: Tab moves between the '
    "controls; on a menu, Space opens it, then the arrow keys and Enter choose.</p>"
)
FOCUS_STYLE = (
    f"<style>.{KIT_CLASS} select:focus, .{KIT_CLASS} input:focus-visible, .{KIT_CLASS} button:focus-visible"
    "{outline: 3px solid #0072B2 !important; outline-offset: 2px}</style>"
)


# --- shared layouts ---------------------------------------------------------------------------


@functools.cache
def shared_layout(**css: str) -> widgets.Layout:
    """One Layout for every kit widget with the same `css`. Each widget would otherwise open its own
    Layout and style widgets, which is most of what creating a widget costs in a kernel. The kit never
    changes a layout after creating it, so sharing is safe."""
    return widgets.Layout(**css)


@functools.cache
def _html_style() -> widgets.Widget:
    from ipywidgets.widgets.widget_string import HTMLStyle

    return HTMLStyle()


def html_widget(value: str = "") -> widgets.HTML:
    """An HTML widget on the shared layout and style."""
    return widgets.HTML(value, layout=shared_layout(), style=_html_style())


# --- HTML building blocks ---------------------------------------------------------------------


def readable_text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with a "#RRGGBB" background (WCAG luminance)."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(background[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#FFFFFF"


def actor_style(actor: Actor) -> str:
    colour = actor.colour
    return f"background:{colour};color:{readable_text_colour(colour)};padding:0 2px;border-radius:3px"


def actor_mark(words: str, actor: Actor, searched: bool = False) -> str:
    """`words` highlighted in the actor's colour and followed by its code, so colour is never the only cue.
    A mention the search found also gets the search's outline."""
    style = actor_style(actor) + (f";{SEARCH_OUTLINE}" if searched else "")
    found = ' class="search-hit"' if searched else ""
    return (
        f'<mark data-actor="{actor.code}"{found} title="{html.escape(actor.name)}" style="{style}">'
        f'{html.escape(words)}<sup style="font-size:65%;margin-left:2px">{actor.code}</sup></mark>'
    )


def search_spans(text: str, phrase: str) -> list[tuple[int, int]]:
    """Where `phrase` occurs in `text`, matched as the reader's search matches (any case, plain quotes)."""
    wanted, folded = fold(phrase.strip()), fold(text)
    if not wanted or len(folded) != len(text):  # a letter whose case folds to two: no places to show
        return []
    spans, start = [], folded.find(wanted)
    while start >= 0:
        spans.append((start, start + len(wanted)))
        start = folded.find(wanted, start + len(wanted))
    return spans


def _with_search(text: str, start: int, end: int, spans: Sequence[tuple[int, int]]) -> str:
    """text[start:end] as HTML, the parts inside a search span marked."""
    parts, done = [], start
    for hit_start, hit_end in spans:
        hit_start, hit_end = max(hit_start, done), min(hit_end, end)
        if hit_end > hit_start:
            parts += [html.escape(text[done:hit_start]), search_mark(text[hit_start:hit_end])]
            done = hit_end
    parts.append(html.escape(text[done:end]))
    return "".join(parts)


def search_mark(words: str) -> str:
    return f'<mark class="search-hit" style="background:{QUOTE_COLOUR};color:#000000;{SEARCH_OUTLINE}">' \
           f"{html.escape(words)}</mark>"  # fmt: skip


def highlight_mentions(text: str, phrase: str = "") -> str:
    """The passage as HTML, every actor mention wrapped in a <mark> in that actor's colour, and every
    place `phrase` occurs marked for the search."""
    codebook = load_codebook()
    spans = search_spans(text, phrase) if phrase else []
    parts, done = [], 0
    for mention in codebook.mentions(text):
        parts.append(_with_search(text, done, mention.start, spans))
        searched = any(start < mention.end and end > mention.start for start, end in spans)
        parts.append(actor_mark(text[mention.start : mention.end], codebook.actors[mention.code], searched))
        done = mention.end
    parts.append(_with_search(text, done, len(text), spans))
    return "".join(parts)


def quote_mark(quote: str) -> str:
    style = f"background:{QUOTE_COLOUR};color:#000000"
    return f'<mark class="evidence" style="{style}">{html.escape(quote)}</mark>'


def mark_quotes(paragraph: Paragraph, quotes: Sequence[str]) -> str:
    """The paragraph's text as HTML with each quote marked; overlapping quotes share one mark."""
    text, spans = paragraph.text, []
    for quote in quotes:
        start = text.find(quote)
        if start < 0:
            raise ValueError(f"paragraph {paragraph.id} does not contain the quote {quote!r}")
        spans.append((start, start + len(quote)))
    parts, done = [], 0
    for start, end in sorted(spans):
        start = max(start, done)
        if end > start:
            parts += [html.escape(text[done:start]), quote_mark(text[start:end])]
            done = end
    parts.append(html.escape(text[done:]))
    return "".join(parts)


def paragraph_html(paragraph: Paragraph, quote: str | Sequence[str] | None = None, phrase: str = "") -> str:
    """One paragraph with its id: actor mentions (and a searched phrase) highlighted, or, if given,
    the quote(s) instead."""
    if quote is None:
        body = highlight_mentions(paragraph.text, phrase)
    else:
        body = mark_quotes(paragraph, [quote] if isinstance(quote, str) else quote)
    return f'<p data-paragraph="{paragraph.id}"><b>[{paragraph.id}]</b> {body}</p>'


def legend_html() -> str:
    """Each actor's colour with its code and name beside it."""
    items = "".join(
        f'<span role="listitem" style="margin-right:12px;white-space:nowrap">'
        f'<mark style="{actor_style(actor)}">{actor.code}</mark> {html.escape(actor.name)}</span>'
        for actor in load_codebook().actors.values()
    )
    return f'<div role="list" aria-label="Actor colours" class="actor-legend"><b>Actors:</b> {items}</div>'


def stance_text(stance: int | str) -> str:
    """A stance with its meaning from the codebook, e.g. "+1: leans toward the proposition"."""
    from peninsula.charts.stances import stance_label  # the stance map and the comparer label stances alike

    return f"{stance_label(stance)}: {load_codebook().stances[stance]}"


# --- Reader -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReaderRow:
    """A paragraph with everything the reader filters on, computed once."""

    html: str
    paragraph: Paragraph
    actors: frozenset[str]
    issues: frozenset[str]
    folded: str  # the text, casefolded with plain quotes, for the phrase search


def fold(text: str) -> str:
    return text.translate(QUOTE_FOLD).casefold()


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


def reader(text_id: str = "trivedi") -> Reader:
    """The paragraph reader, opened on `text_id` ("trivedi" or "cronin")."""
    return Reader(text_id)


# --- Comparer ---------------------------------------------------------------------------------


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
        }  # fmt: skip
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


def comparer(issue: str | None = None) -> Comparer:
    """The position comparer, opened on `issue` (an issue id; default: the codebook's first issue)."""
    return Comparer(issue)
