"""`peninsula debrief`: the one page that gives students the key's reasons, once the term is over.

For each graded item: the quote and its paragraph, the actors (or answer) the key credits and the
accepted alternatives, the rationale from the key's note, and how the class answered (counts only,
from five or more graded submissions, an answer given by a single student folded into "other
answers"). A note marked `note_instructor_only: true` in the key is left out.

It is the one sanctioned release of key content, so it is not put through the key leak screen;
it is screened instead for what must never be in it: a student id, name or email from the roster,
or an instructor-only note. It is refused while anyone's feedback is unsettled or unreleased, a
regrade request is open, or an extension is still running, and the refusal names who.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

from peninsula.grader.course import Course, PipelineError
from peninsula.grader.term import day_words, load_term, now_utc

MIN_CLASS = 5


class NotReady(PipelineError):
    """The debrief would come too early; the message lists who is still open."""


def still_open(course: Course, assignment: str, released_on_lms: bool = False) -> list[str]:
    """Why the debrief cannot be written yet, one line per student or request ([] when it can)."""
    from peninsula.grader.release_feedback import settled_students

    api = course.api()
    settled, held = settled_students(course, assignment, api)
    term = load_term(course, assignment)
    reasons = [f"{h.student_id}: {h.reason}" for h in held if h.reason != "no submission"]
    for student, extension in sorted(term["extensions"].items()):
        if extension["until"] > now_utc():
            reasons.append(f"{student}: extension open until {day_words(extension['until'])}")
    reasons += [
        f"{r['student']}: regrade request on {r['item']} is open"
        for r in term["regrades"]
        if r["status"] == "open"
    ]
    if not released_on_lms:
        reasons += [
            f"{s}: feedback {why}" for s in settled if (why := _unreleased(course, api, assignment, s))
        ]
    return reasons


def _unreleased(course: Course, api, assignment: str, student: str) -> str:
    """ "" if the student's current feedback pages are in the exchange, else what is wrong."""
    from nbgrader.utils import notebook_hash

    folder = course.folder("feedback", student, assignment)
    secret = folder / "submission_secret.txt"
    if not secret.is_file():
        return "has no submission secret (it was not collected from the exchange; pass --released-on-lms)"
    outbound = Path(api.config.Exchange.root) / api.config.CourseDirectory.course_id / "feedback"
    for page in sorted(folder.glob("*.html")):
        released = outbound / f"{notebook_hash(secret=secret.read_text(), notebook_id=page.stem)}.html"
        if not released.is_file():
            return "not released yet (`peninsula release-feedback`)"
        if released.read_bytes() != page.read_bytes():
            return "changed since it was released (run `peninsula release-feedback` again)"
    return ""


def write_debrief(course: Course, assignment: str, released_on_lms: bool = False) -> Path:
    reasons = still_open(course, assignment, released_on_lms)
    if reasons:
        raise NotReady(
            f"not yet: the debrief of {assignment} waits for\n" + "\n".join(f"  {r}" for r in reasons)
        )
    page = debrief_html(course, assignment)
    found = unsanctioned(course, page)
    if found:
        raise PipelineError(f"the debrief would hold {', '.join(found)}; not written")
    target = course.folder("exports", f"{assignment}-debrief.html")
    target.parent.mkdir(exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target


def debrief_html(course: Course, assignment: str) -> str:
    from peninsula.grader.class_data import load_class
    from peninsula.grader.feedback_page import STYLESHEET

    data = load_class(course, assignment)
    sections = "".join(_item_html(course, item, data) for item in data.items)
    size = len(data.answers)
    shown = (
        f"how the {size} graded submissions answered"
        if size >= MIN_CLASS
        else "no class counts (fewer than five graded submissions)"
    )
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{assignment}: the key, explained</title>"
        f"<style>{STYLESHEET.read_text(encoding='utf-8')}</style>"
        f"</head><body><main><h1>{assignment}: the key, explained</h1>"
        f"<p>For each graded item: the words it is anchored to, the answer the key credits and any other "
        f"reading it accepts, why, and {shown}. No names are in this page.</p>"
        f"{sections}</main></body></html>"
    )


def _item_html(course: Course, item, data) -> str:
    from peninsula.grader.regrades import key_note, key_readings

    credited, accepted = key_readings(item)
    where, quote = _anchor(course, item)
    anchor = (
        f"<p>Paragraph {html.escape(where)}:</p><blockquote><p>{html.escape(quote)}</p></blockquote>"
        if where
        else f"<p>{html.escape(item.prompt)}</p>"
    )
    note = key_note(course, item.id, for_students=True)
    why = f"<p><b>Why:</b> {html.escape(note)}</p>" if note else "<p>The key has no note for this item.</p>"
    return (
        f"<section aria-labelledby='item-{item.id}'><h2 id='item-{item.id}'>{item.id}</h2>{anchor}"
        f"<p><b>The key credits:</b> {html.escape(credited)}</p>"
        f"<p><b>Also accepted:</b> {html.escape(accepted or 'no other reading')}</p>{why}"
        f"{_distribution_html(item, data)}</section>"
    )


def _anchor(course: Course, item) -> tuple[str, str]:
    """(paragraph id, quote) for an item that has them in the key."""

    from peninsula.grader.key import assignments, key_data
    from peninsula.grader.registry import anchored_sections

    if item.where:
        return item.where, item.prompt
    key = key_data(course.key_file)
    sections = anchored_sections(assignments(course.key_file))
    for record in (r for section in sections for r in key.get(section) or ()):
        if record.get("id") == item.id and record.get("quote"):
            return str(record.get("paragraph", "")), f"{record['quote']}"
    return "", ""


def _distribution_html(item, data) -> str:
    from peninsula.grader.regrades import shown_answer
    from peninsula.grader.scoring import item_credit

    if len(data.answers) < MIN_CLASS:
        return ""
    counts: Counter[str] = Counter()
    for answers in data.answers.values():
        answer = answers.get(item.id)
        if answer is None:
            counts["no usable answer"] += 1
            continue
        shown = shown_answer(answer)
        mark = " (full credit)" if item_credit(item, answer) == 1 else ""
        counts[shown + mark] += 1
    rows = [(answer, n) for answer, n in counts.most_common() if n > 1 or answer == "no usable answer"]
    other = sum(n for answer, n in counts.items() if n == 1 and answer != "no usable answer")
    if other:
        rows.append(("other answers, each given once", other))
    body = "".join(f"<tr><td>{html.escape(a)}</td><td>{n}</td></tr>" for a, n in rows)
    return (
        f"<table><caption>How the class answered {item.id}</caption><tr><th scope='col'>answer</th>"
        f"<th scope='col'>students</th></tr>{body}</table>"
    )


def unsanctioned(course: Course, page: str) -> list[str]:
    """Roster ids, names and emails, and instructor-only notes, found in the page's text."""
    from peninsula.grader.key import load_answer_key
    from peninsula.grader.regrades import instructor_only

    text = " ".join(re.sub(r"<[^>]+>", " ", html.unescape(page)).split()).lower()
    found = []
    with course.api().gradebook as gradebook:
        for student in gradebook.students:
            full_name = " ".join(n for n in (student.first_name, student.last_name) if n)
            for value in (student.id, full_name, student.email):  # a lone first name can be an actor's
                if value and len(value) >= 3 and re.search(rf"(?<!\w){re.escape(value.lower())}(?!\w)", text):
                    found.append(f"a student's id or name ({student.id})")
    for recommendation in load_answer_key(course.key_file):
        note = " ".join((recommendation.note or "").split()).lower()
        if note and instructor_only(course, recommendation.id) and note in text:
            found.append(f"the instructor-only note of {recommendation.id}")
    return sorted(set(found))
