"""Partial credit, per item (each item is worth one point; a part scales the sum to its points):

    R  the best overlap with any full-credit set S in the key: |A ∩ S| / |A ∪ S| (the Jaccard
       index), where A is the set of recognised actors in the answer. An exact match scores 1, an
       empty or wholly unrecognised answer 0; "US" for "US, South Korea" scores 1/2.
    S  1 for the key's stance or an accepted one, 1/2 for a number one step away from one of them,
       else 0 ("not addressed" is either right or wrong).
    A, P, E  1 or 0 (for E, any paragraph the key lists as support earns the point).

A part's score is the sum, scaled to the part's points, rounded to 0.01, and clamped to
[0, points], because nbgrader fails a whole submission whose cell scores above its maximum.
"""

from __future__ import annotations

from collections.abc import Mapping

from peninsula.answers import Answer, is_blank, parse
from peninsula.grader.key import Item


def item_credit(item: Item, answer: Answer | None) -> float:
    """The credit, from 0 to 1, for one normalised answer."""
    if answer is None:
        return 0.0
    kind = item.id[0]
    if kind == "R":
        return max(len(answer & s) / len(answer | s) for s in item.full_credit)  # type: ignore[operator]
    if answer in item.full_credit:
        return 1.0
    if kind == "S" and isinstance(answer, int):
        numbers = [v for v in item.full_credit if isinstance(v, int)]
        return 0.5 if any(abs(answer - v) == 1 for v in numbers) else 0.0
    return 0.0


def verdict(credit: float) -> str:
    return "correct" if credit == 1 else "partly correct" if credit > 0 else "not correct"


def score_part(items: list[Item], answers: object, points: float) -> tuple[float, list[str]]:
    """(score from 0 to points, one feedback line per item). Feedback never shows the key."""
    answers = answers if isinstance(answers, Mapping) else {}
    lines, total = [], 0.0
    for item in items:
        raw = answers.get(item.id)
        if is_blank(raw):
            lines.append(f"{item.id}: no answer")
            continue
        answer, problems = parse(item.id, raw)
        credit = item_credit(item, answer)
        total += credit
        note = f" ({'; '.join(problems)})" if problems else ""
        lines.append(f"{item.id}: {verdict(credit)}{note}")
    score = round(points * total / len(items), 2) if items else 0.0
    return min(max(score, 0.0), float(points)), lines
