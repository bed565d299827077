"""Regrade requests: filed by the student, collected like the assignment, decided by the instructor.

A request is itself a tiny nbgrader assignment, `<assignment>-regrade` (`peninsula regrades A --open`
writes and releases it): one notebook with a cell where the student writes one line per item,
`R17: the paragraph says Seoul must act`. The student fetches and submits it the way they did the
assignment (the Assignment List on a hub, an upload on an LMS), so collect's checks tie it to the
student's identity exactly as they tie the assignment; the kit reads only the collected copy, as
text, size-capped, never running it.

Decisions live in the term file (`peninsula.grader.term`), with their history. An accepted request
sets a new credit (0 to 1) for that item; `peninsula grade` re-applies it after every autograde as
a manual score on the part's graded cell (nbgrader's own override, which the Formgrader and the
feedback page show), so it survives every rerun.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from peninsula.grader.course import Course, PipelineError
from peninsula.grader.term import load_term, now_utc, parse_time, save_term

SUFFIX = "-regrade"
MAX_NOTEBOOK_BYTES = 1_000_000
MAX_REASON = 500
REQUEST_LINE = re.compile(r"^[\s*>-]*\**([A-Za-z]\d{2,3})\**\s*[:.)\u2013\u2014-]\s*(.*)$")
INSTRUCTIONS = "instructions"
INSTRUCTION_TEXT = """# Ask for a regrade of {assignment}

If you think an item of **{assignment}** was marked unfairly, say which and why, then submit this
notebook the way you submitted the assignment (Submit in the Assignments list, or upload it where you
uploaded the assignment).

In the cell below, write **one line per item**: the item's id, a colon, and a short reason. For example:

    R17: paragraph C9 says Seoul must act, not Washington

Your instructor reads every request and decides; the outcome appears in your refreshed feedback."""
PLACEHOLDER = "(Write your lines here, one per item, like the example above.)"


def regrade_assignment(assignment: str) -> str:
    return f"{assignment}{SUFFIX}"


# ------------------------------------------------------------------ filing


def open_regrades(course: Course, assignment: str, lms_zip: bool = False) -> Path:
    """Write `<assignment>-regrade`'s source notebook into the course and release it."""
    import nbformat
    from nbformat.v4 import new_markdown_cell, new_notebook

    from peninsula.grader.release import release

    course.notebooks(assignment)
    name = regrade_assignment(assignment)
    source = course.source / name / f"{name}.ipynb"
    source.parent.mkdir(exist_ok=True)
    instructions = new_markdown_cell(INSTRUCTION_TEXT.format(assignment=assignment))
    instructions.metadata["peninsula"] = {"regrade": INSTRUCTIONS}
    requests = new_markdown_cell(PLACEHOLDER)
    requests.metadata["peninsula"] = {"regrade": "requests"}
    nbformat.write(new_notebook(cells=[instructions, requests]), source)
    return release(course, name, lms_zip=lms_zip)


def read_requests(path: Path) -> list[tuple[str, str]]:
    """(item id, reason) lines of a submitted request notebook, read as data; [] if unreadable."""
    if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_NOTEBOOK_BYTES:
        return []
    try:
        cells = json.loads(path.read_text(encoding="utf-8", errors="replace"))["cells"]
    except (ValueError, KeyError, TypeError):
        return []
    found = []
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or _role(cell) == INSTRUCTIONS:
            continue
        source = cell.get("source", "")
        text = "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else str(source)
        for line in text.splitlines()[:200]:
            match = REQUEST_LINE.match(line[:2000])
            if match:
                reason = "".join(ch for ch in match[2] if ch.isprintable()).strip()[:MAX_REASON]
                found.append((match[1].upper(), reason))
    return found


def _role(cell: dict) -> str:
    meta = cell.get("metadata", {})
    return str(meta.get("peninsula", {}).get("regrade", "")) if isinstance(meta, dict) else ""


def collect_requests(
    course: Course, assignment: str, downloads: Path | None = None
) -> tuple[list[dict], list[str]]:
    """Collect `<assignment>-regrade` the way the assignment is collected, and record new requests.
    Returns (new requests, refused lines with the reason)."""
    from peninsula.grader.collect import collect, submitted_students
    from peninsula.grader.key import load_items

    name = regrade_assignment(assignment)
    collected = collect(course, name, downloads)
    refused = [f"{line}: not matched to a student" for line in collected.unmatched]
    items = {item.id for item in load_items(assignment, key_file=course.key_file)}
    graded = _graded_students(course, assignment)
    term = load_term(course, assignment)
    known = {(r["student"], r["item"], r["reason"]) for r in term["regrades"]}
    new = []
    for student in submitted_students(course, name):
        folder = course.folder("submitted", student, name)
        filed = _filed_time(folder)
        lines = [line for path in sorted(folder.glob("*.ipynb")) for line in read_requests(path)]
        if student not in graded:
            if lines:
                refused.append(f"{student}: no graded submission of {assignment} in this name; not recorded")
            continue
        for item, reason in lines:
            if item not in items:
                refused.append(f"{student}: {item} is not an item of {assignment}")
            elif not reason:
                refused.append(f"{student}: {item} has no reason; ask them to add one")
            elif (student, item, reason) not in known:
                known.add((student, item, reason))
                request = {
                    "student": student,
                    "item": item,
                    "reason": reason,
                    "filed": filed,
                    "status": "open",
                }
                term["regrades"].append(request)
                new.append(request)
    save_term(course, assignment, term)
    return new, refused


def _filed_time(folder: Path):
    stamp = folder / "timestamp.txt"  # written by collect (a time the student cannot set)
    try:
        return (
            parse_time(stamp.read_text(encoding="utf-8")[:100], "timestamp") if stamp.is_file() else now_utc()
        )
    except PipelineError:
        return now_utc()


def _graded_students(course: Course, assignment: str) -> set[str]:
    with course.api().gradebook as gradebook:
        return {
            s.student.id
            for s in gradebook.assignment_submissions(assignment)
            if course.folder("autograded", s.student.id, assignment).is_dir()
        }


# ------------------------------------------------------------------ reviewing and deciding


def open_requests(course: Course, assignment: str) -> list[dict]:
    return [r for r in load_term(course, assignment)["regrades"] if r["status"] == "open"]


def request_details(course: Course, assignment: str, request: dict) -> dict[str, str]:
    """What the instructor needs beside a request: the answer, its verdict, the key and its note."""
    from peninsula.answers import parse
    from peninsula.grader.class_data import read_answers
    from peninsula.grader.scoring import item_credit, verdict

    item = _item(course, assignment, request["item"])
    raw: dict[str, object] = {}
    for notebook in sorted(course.folder("autograded", request["student"], assignment).glob("*.ipynb")):
        raw |= read_answers(notebook)
    answer = raw.get(item.id, "")
    credit = item_credit(item, parse(item.id, answer)[0])
    credited, accepted = key_readings(item)
    return {
        "answer": str(answer)[:200] or "(no answer)",
        "verdict": f"{verdict(credit)} (credit {credit:.2f})",
        "key": credited,
        "accepted": accepted or "none",
        "note": key_note(course, item.id) or "(no note)",
        "credit": f"{credit:.4f}",
    }


def key_readings(item) -> tuple[str, str]:
    """(the answer the key credits, its accepted alternatives), in words."""
    first, *rest = item.full_credit
    return shown_answer(first), "; ".join(shown_answer(a) for a in rest)


def shown_answer(answer: object) -> str:
    """A normalised answer in words: actor names, an author's name, a stance or a paragraph."""
    from peninsula.answers import authors
    from peninsula.codebook import load_codebook

    if isinstance(answer, frozenset):
        actors = load_codebook().actors
        return ", ".join(actors[code].name for code in sorted(answer)) or "no actor"
    return authors().get(answer, str(answer)) if isinstance(answer, str) else str(answer)


def key_note(course: Course, item_id: str, for_students: bool = False) -> str:
    """The key's note on an item ("" if none; for students, "" for a note marked instructor-only)."""
    from peninsula.grader.key import load_answer_key

    for recommendation in load_answer_key(course.key_file):
        if recommendation.id == item_id and recommendation.note:
            if for_students and instructor_only(course, item_id):
                return ""
            return " ".join(recommendation.note.split())
    return ""


def instructor_only(course: Course, item_id: str) -> bool:
    """`note_instructor_only: true` on a key record: its note never reaches a student."""
    from peninsula.recommendations import read_records

    return any(
        r.get("id") == item_id and r.get("note_instructor_only")
        for r in read_records(course.key_file, "recommendations")
    )


def _item(course: Course, assignment: str, item_id: str):
    from peninsula.grader.key import load_items

    for item in load_items(assignment, key_file=course.key_file):
        if item.id == item_id:
            return item
    raise PipelineError(f"{item_id} is not an item of {assignment}")


def decide(
    course: Course, assignment: str, student: str, item_id: str, credit: float | None = None, reason: str = ""
) -> dict:
    """Accept (a new credit for the item, 0 to 1) or decline (with a reason) the open request."""
    term = load_term(course, assignment)
    request = next(
        (
            r
            for r in reversed(term["regrades"])
            if (r["student"], r["item"], r["status"]) == (student, item_id.upper(), "open")
        ),
        None,
    )
    if request is None:
        raise PipelineError(
            f"no open regrade request of {student} on {item_id}; `peninsula regrades {assignment}` lists them"
        )
    if credit is None and not reason.strip():
        raise PipelineError("a declined request needs a reason (--reason), which the student will read")
    if credit is not None and not 0 <= credit <= 1:
        raise PipelineError(f"--credit {credit:g}: an item's credit runs from 0 to 1")
    if credit is not None:
        request.update(
            status="accepted",
            credit=float(credit),
            was=float(request_details(course, assignment, request)["credit"]),
        )
    else:
        request["status"] = "declined"
    request.update(decision=reason.strip(), decided=now_utc())
    save_term(course, assignment, term)
    return request


def accepted_credits(term: dict, student: str) -> dict[str, float]:
    """The latest accepted credit per item for one student."""
    return {
        r["item"]: r["credit"]
        for r in term["regrades"]
        if r["student"] == student and r["status"] == "accepted"
    }


def apply_regrades(course: Course, api: Any, assignment: str, student: str) -> None:
    """Set each accepted item's part score as nbgrader's manual score of that part's graded cell.
    Called by `peninsula grade` after every autograde, so a decision survives every rerun."""
    from peninsula.answers import parse
    from peninsula.grader.autograde import HIDDEN_PREFIX
    from peninsula.grader.class_data import read_answers
    from peninsula.grader.key import load_items
    from peninsula.grader.scoring import item_credit

    credits = accepted_credits(load_term(course, assignment), student)
    if not credits:
        return
    raw: dict[str, object] = {}
    for notebook in sorted(course.folder("autograded", student, assignment).glob("*.ipynb")):
        raw |= read_answers(notebook)
    items = load_items(assignment, key_file=course.key_file)
    with api.gradebook as gradebook:
        submission = gradebook.find_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                part = [i for i in items if HIDDEN_PREFIX + i.part == grade.name]
                changed = [i for i in part if i.id in credits]
                if not changed or grade.auto_score is None:
                    continue
                delta = sum(
                    credits[i.id] - item_credit(i, parse(i.id, raw.get(i.id, ""))[0]) for i in changed
                )
                score = round(grade.auto_score + grade.max_score * delta / len(part), 2)
                grade.manual_score = min(max(score, 0.0), grade.max_score)
                grade.needs_manual_grade = False
        gradebook.db.commit()


# ------------------------------------------------------------------ what students and the report see


def regrade_words(term: dict, student: str) -> str:
    """For the grades CSV: "regrade R17 accepted (credit 1); regrade R20 declined"."""
    mine = [r for r in term["regrades"] if r["student"] == student]
    shown = [
        f"regrade {r['item']} {r['status']}"
        + (f" (credit {r['credit']:g})" if r["status"] == "accepted" else "")
        for r in mine
    ]
    return "; ".join(shown)


def feedback_lines(course: Course, assignment: str, student: str) -> list[str]:
    """The outcome of each of the student's requests, for their feedback page."""
    lines = []
    for r in load_term(course, assignment)["regrades"]:
        if r["student"] != student:
            continue
        if r["status"] == "accepted":
            lines.append(
                f"Your regrade request on {r['item']} was accepted: it now earns {r['credit']:g} of 1 "
                f"(it earned {r['was']:g})."
                + (f" Your instructor: {r['decision']}" if r.get("decision") else "")
            )
        elif r["status"] == "declined":
            lines.append(f"Your regrade request on {r['item']} was declined: {r['decision']}")
        else:
            lines.append(f"Your regrade request on {r['item']} is open; your instructor has not decided yet.")
    if (course.source / regrade_assignment(assignment)).is_dir():
        lines.append(
            f"To ask for a regrade, fetch {regrade_assignment(assignment)} the way you fetched "
            f'the assignment, write one line per item ("R17: your reason") and submit it.'
        )
    return lines


def requests_per_item(course: Course, assignment: str) -> Counter[str]:
    """How many students contested each item (a candidate key error when many did)."""
    return Counter(
        item for _, item in {(r["student"], r["item"]) for r in load_term(course, assignment)["regrades"]}
    )


def requests_html(course: Course, assignment: str) -> str:
    """The class report's section: regrade requests per item, the most contested first ("" if none)."""
    import html

    counts = requests_per_item(course, assignment)
    if not counts:
        return ""
    rows = "".join(f"<tr><td>{html.escape(item)}</td><td>{n}</td></tr>" for item, n in counts.most_common())
    return (
        "<h2>Regrade requests per item</h2><p>An item that many students contest is a candidate key error, "
        "like an item the class agrees on but the key does not.</p>"
        "<table><caption>Students who asked for a regrade, per item</caption>"
        f"<tr><th scope='col'>item</th><th scope='col'>requests</th></tr>{rows}</table>"
    )
