"""Small helpers the lesson notebooks call: glossary, paragraphs, worked examples, codebook,
positions and self-check questions.

Every `show_*` function and `glossary` returns an IPython display object, so the notebook shows
it when the call is the last line of a cell and a test can read what would be shown. Everything
comes from the kit's data files; nothing here copies them. ipywidgets is imported only by
`self_check`, which is the one helper that needs it.
"""

from __future__ import annotations

import difflib
import functools
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from IPython.display import HTML, Markdown

from peninsula.codebook import load_codebook, normalise_name, stance_text
from peninsula.paths import PACKAGE_DATA
from peninsula.positions import load_positions
from peninsula.recommendations import Recommendation, load_worked_examples
from peninsula.tables import html_table
from peninsula.texts import load_corpus
from peninsula.yaml_files import read_yaml

if TYPE_CHECKING:
    import ipywidgets

GLOSSARY_FILE = PACKAGE_DATA / "glossary.yaml"
SELF_CHECKS_FILE = PACKAGE_DATA / "self_checks.yaml"
LETTERS = "ABCDEFGH"
# libyaml's safe loader (in PyYAML's wheels) reads these files about 10x faster; Run All waits on it.


# --- Glossary -------------------------------------------------------------------------------


class UnknownTermError(LookupError):
    """A term that is not in the glossary. The message lists the closest terms."""


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    aliases: tuple[str, ...]
    definition: str
    text_forms: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)


@functools.cache
def load_glossary(path: Path = GLOSSARY_FILE) -> tuple[GlossaryEntry, ...]:
    data = read_yaml(path) or {}
    entries = []
    for index, record in enumerate(data.get("terms") or [], 1):
        if not isinstance(record, dict) or not record.get("term") or not record.get("definition"):
            raise ValueError(f"{path.name}: entry #{index} needs a term and a definition")
        entries.append(
            GlossaryEntry(
                term=record["term"],
                aliases=tuple(record.get("aliases") or ()),
                definition=" ".join(record["definition"].split()),
                text_forms=tuple(record.get("text_forms") or ()),
            )
        )
    return tuple(entries)


def lookup_term(name: str, path: Path = GLOSSARY_FILE) -> GlossaryEntry:
    """The entry a term or one of its aliases names (case, dots and a leading "the" do not matter)."""
    index = {normalise_name(n): entry for entry in load_glossary(path) for n in entry.names}
    try:
        return index[normalise_name(name)]
    except KeyError:
        close = difflib.get_close_matches(normalise_name(name), index, n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(sorted({index[c].term for c in close}))}?" if close else ""
        terms = ", ".join(entry.term for entry in load_glossary(path))
        raise UnknownTermError(
            f"{name!r} is not in the glossary ({path.name}).{hint} The glossary has: {terms}."
        ) from None


def term_paragraphs(entry: GlossaryEntry) -> list[str]:
    """Ids of the paragraphs where the term is written, in text order."""
    if not entry.text_forms:
        return []
    pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, entry.text_forms)) + ")", re.IGNORECASE)
    return [p.id for p in load_corpus().paragraphs() if pattern.search(p.text)]


def glossary_markdown(*terms: str) -> str:
    """The definitions of `terms` (all terms if none are given) as Markdown."""
    entries = [lookup_term(t) for t in terms] if terms else list(load_glossary())
    lines = []
    for entry in entries:
        also = f" (also: {', '.join(entry.aliases)})" if entry.aliases else ""
        where = term_paragraphs(entry)
        seen = f" *In the texts:* {', '.join(where)}." if where else " *Neither text uses this term by name.*"
        lines.append(f"- **{entry.term}**{also}: {entry.definition}{seen}")
    return "\n".join(lines)


def glossary(*terms: str) -> Markdown:
    """Show glossary definitions, e.g. `glossary("maximum pressure", "DMZ")`."""
    return Markdown(glossary_markdown(*terms))


# --- Paragraphs and worked examples ---------------------------------------------------------


def _paragraph_html(paragraph_id: str, highlight: str | None = None) -> str:
    corpus = load_corpus()
    paragraph = corpus.paragraph(paragraph_id)
    text = corpus[paragraph.text_id]
    body = html.escape(paragraph.text)
    if highlight:
        if highlight not in paragraph.text:
            raise ValueError(f"the quote {highlight!r} is not in paragraph {paragraph_id}")
        body = body.replace(html.escape(highlight), f"<mark>{html.escape(highlight)}</mark>", 1)
    source = f"{text.author}, {text.date}"
    return (
        f'<blockquote style="margin: 0.5em 0; padding-left: 0.8em; border-left: 4px solid #999;">'
        f"<b>[{paragraph.id}]</b> {body}<br><small>{html.escape(source)}</small></blockquote>"
    )


def show_paragraphs(*ids: str) -> HTML:
    """Show paragraphs by id, e.g. `show_paragraphs("T13", "T14")`."""
    if not ids:
        raise ValueError("name at least one paragraph id, e.g. show_paragraphs('T1')")
    return HTML("".join(_paragraph_html(pid) for pid in ids))


def worked_example(example_id: str) -> Recommendation:
    examples = {example.id: example for example in load_worked_examples()}
    try:
        return examples[example_id]
    except KeyError:
        raise KeyError(f"no worked example {example_id!r}; the lessons have {', '.join(examples)}") from None


def _actor_names(codes: frozenset[str]) -> str:
    actors = load_codebook().actors
    return ", ".join(f"{actors[code].name} ({code})" for code in sorted(codes)) or "none"


def worked_example_html(example_id: str) -> str:
    example = worked_example(example_id)
    rows = [
        ("Action", example.action),
        ("Actor(s)", _actor_names(example.actors)),
        *[("Also accepted", _actor_names(alternative)) for alternative in example.accepted],
        ("Target(s)", _actor_names(example.targets)),
        ("Condition", example.condition or "none: it applies whatever happens"),
        ("Issue", load_codebook().issues[example.issue].name),
        ("Why", example.note or ""),
    ]
    table = "".join(
        f'<tr><th scope="row" style="text-align: left; vertical-align: top; padding-right: 1em;">{label}</th>'
        f'<td style="text-align: left;">{html.escape(value)}</td></tr>'
        for label, value in rows
    )
    return (
        f"<p><b>Worked example {example.id}</b> (paragraph {example.paragraph})</p>"
        + _paragraph_html(example.paragraph, highlight=example.quote)
        + f"<table>{table}</table>"
    )


def show_worked_example(example_id: str) -> HTML:
    """Show a worked example: the quote in its paragraph, the action, actors, targets and why."""
    return HTML(worked_example_html(example_id))


# --- Codebook, issues and positions ---------------------------------------------------------


def show_codebook() -> HTML:
    """The actor codes (with what each covers and its aliases) and the coding rules."""
    codebook = load_codebook()
    actors = html_table(
        ("Code", "Name", "Covers", "Also written as"),
        [(a.code, a.name, a.covers, ", ".join(a.aliases)) for a in codebook.actors.values()],
    )
    rules = "".join(
        f"<li><b>{html.escape(rule.title)}.</b> {html.escape(' '.join(rule.text.split()))}</li>"
        for rule in codebook.rules
    )
    return HTML(f"<h3>Actors</h3>{actors}<h3>Coding rules</h3><ol>{rules}</ol>")


def taught_issues() -> list[str]:
    """The issues whose positions the lessons show; the others are graded in Assignment 2."""
    return sorted({issue for issue, _ in load_positions()})


def show_issues() -> HTML:
    """The issues, the proposition each author's stance is scored against, and the stance scale."""
    codebook = load_codebook()
    taught = taught_issues()
    issues = html_table(
        ("Issue", "Proposition", "Where it is worked on"),
        [
            (i.name, i.proposition, "Lesson 4" if i.id in taught else "Assignment 2")
            for i in codebook.issues.values()
        ],
    )
    scale = html_table(("Stance", "Meaning"), [(str(k), v) for k, v in codebook.stances.items()])
    return HTML(f"<h3>Issues</h3>{issues}<h3>Stance scale</h3>{scale}")


def positions_html(issue: str) -> str:
    codebook = load_codebook()
    if issue not in codebook.issues:
        raise KeyError(f"no issue {issue!r} in the codebook; the issues are {', '.join(codebook.issues)}")
    name = html.escape(codebook.issues[issue].name)
    if issue not in taught_issues():
        return f"<p><b>{name}</b> is graded in Assignment 2, so the lessons do not show positions on it.</p>"
    parts = [f"<h3>{name}</h3><p><i>Proposition:</i> {html.escape(codebook.issues[issue].proposition)}</p>"]
    positions = load_positions()
    for text in load_corpus():
        position = positions.get((issue, text.id))
        if position is None:
            continue
        evidence = "".join(f"<li>[{e.paragraph}] “{html.escape(e.quote)}”</li>" for e in position.evidence)
        parts.append(
            f"<p><b>{html.escape(text.author)}</b> ({text.date}): stance "
            f"{html.escape(stance_text(position.stance))}<br>{html.escape(position.summary)}</p>"
            f"<ul>{evidence}</ul>"
        )
    return "".join(parts)


def show_positions(issue: str) -> HTML:
    """Both authors' stances on an openly taught issue, with a summary and evidence quotes."""
    return HTML(positions_html(issue))


# --- Self-check questions -------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Question:
    id: str
    prompt: str
    choices: tuple[Choice, ...]


@functools.cache
def load_self_checks(path: Path = SELF_CHECKS_FILE) -> dict[str, tuple[Question, ...]]:
    """Lesson name -> its questions. Each question must have exactly one correct choice."""
    data = read_yaml(path) or {}
    lessons: dict[str, tuple[Question, ...]] = {}
    for lesson, records in (data.get("lessons") or {}).items():
        questions = []
        for record in records:
            where = f"{path.name}: lesson {lesson!r}, question {record.get('id', '?')!r}"
            choices = tuple(
                Choice(" ".join(c["text"].split()), bool(c.get("correct")), " ".join(c["feedback"].split()))
                for c in record.get("choices") or []
            )
            if sum(c.correct for c in choices) != 1:
                raise ValueError(f"{where}: needs exactly one choice marked correct: true")
            if not 2 <= len(choices) <= len(LETTERS):
                raise ValueError(f"{where}: needs between 2 and {len(LETTERS)} choices")
            questions.append(Question(record["id"], " ".join(record["prompt"].split()), choices))
        lessons[lesson] = tuple(questions)
    return lessons


def lesson_questions(lesson: str) -> tuple[Question, ...]:
    lessons = load_self_checks()
    try:
        return lessons[lesson]
    except KeyError:
        raise KeyError(f"no self-check for lesson {lesson!r}; the lessons are {', '.join(lessons)}") from None


def check_answer(question: Question, choice: int | str | None) -> tuple[bool, str]:
    """Whether `choice` (an index, a letter, or the choice's text) is right, and feedback on it."""
    if choice is None:
        return False, "Choose an answer first."
    if isinstance(choice, int):
        index = choice
    elif len(choice) == 1 and choice.upper() in LETTERS:
        index = LETTERS.index(choice.upper())
    else:
        texts = [c.text for c in question.choices]
        if choice not in texts:
            raise ValueError(f"{choice!r} is not one of the choices of question {question.id!r}")
        index = texts.index(choice)
    if not 0 <= index < len(question.choices):
        raise ValueError(f"question {question.id!r} has {len(question.choices)} choices, not {index + 1}")
    chosen = question.choices[index]
    return chosen.correct, ("Correct. " if chosen.correct else "Not yet. ") + chosen.feedback


def question_html(number: int, question: Question) -> str:
    options = "".join(
        f"<li><b>{letter}.</b> {html.escape(choice.text)}</li>"
        for letter, choice in zip(LETTERS, question.choices, strict=False)
    )
    return (
        f'<p><b>{number}. {html.escape(question.prompt)}</b></p><ul style="list-style: none;">{options}</ul>'
    )


def self_check(lesson: str) -> ipywidgets.VBox:
    """The lesson's self-check questions, each with a Check button and immediate feedback."""
    import ipywidgets as widgets  # lazily: only lessons need it

    from peninsula.widget_style import FOCUS_STYLE, KIT_CLASS, html_widget, shared_layout

    def one_question(number: int, question: Question) -> widgets.VBox:
        # Letters, not the long choice texts, are the options (long labels get cut off), as toggle
        # buttons: each is a Tab stop that Space or Enter presses. A radio group needs the arrow keys,
        # which JupyterLab's notebook takes for itself (jupyter-widgets/ipywidgets#3912).
        answer = widgets.ToggleButtons(
            options=list(LETTERS[: len(question.choices)]),
            value=None,
            description="Your answer:",
            layout=shared_layout(),
        )
        button = widgets.Button(description="Check", button_style="info", layout=shared_layout())
        feedback = html_widget()

        def on_check(_: widgets.Button) -> None:
            correct, message = check_answer(question, answer.index)
            colour = "#1a7f37" if correct else "#b35900"
            feedback.value = f'<p style="color: {colour};">{html.escape(message)}</p>'

        button.on_click(on_check)
        style = FOCUS_STYLE if number == 1 else ""  # once per self-check
        parts = [html_widget(style + question_html(number, question)), answer, button, feedback]
        return widgets.VBox(parts, layout=shared_layout())

    questions = lesson_questions(lesson)
    box = widgets.VBox([one_question(n, q) for n, q in enumerate(questions, 1)], layout=shared_layout())
    box.add_class(KIT_CLASS)
    return box
