"""`peninsula integrity`: submissions worth a second look, for the instructor's eyes only.

Two signals, both read from submitted/ (nothing needs to be graded first):

- **Byte-identical notebooks.** Two students handing in the same file, byte for byte. A notebook
  identical to the release (nothing typed) is not counted.
- **Answers that match beyond chance.** Two honest students who both get an item wrong usually
  get it wrong in different ways; shared right answers say little, since right answers are what
  good students share. So a pair is measured on the items *both* answered without full credit
  ("errors in common"): how many of those answers are identical, against how many the class's own
  answer frequencies would predict. On an item where the class's not-fully-right answers occur
  with shares r₁, r₂, …, two independent wrong answers coincide with probability Σ rᵢ²; the number
  of identical errors then follows a Poisson-binomial distribution, and its upper tail says how
  unlikely the pair's match is. The frequencies include the pair's own answers, which makes a
  copied answer look commoner than it is: the estimate errs on the side of not flagging. A pair is
  listed when, over all the pairs in the class, fewer than `EXPECTED_BY_CHANCE` pairs this
  extreme would be expected by chance.

Answers are read exactly as the grader reads them (`peninsula.answers.read_answer_cell` on the
answer cell, then `parse`). The wording invites a look and never states a verdict: similar
answers have innocent explanations (studying together, a shared misreading of one sentence).
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from peninsula.answer_cell import notebook_answer_source
from peninsula.answers import Answer, parse
from peninsula.grader.class_data import ClassData, read_answers, unreadable
from peninsula.grader.course import Course, PipelineError
from peninsula.grader.key import Item, load_items
from peninsula.grader.scoring import item_credit

#: List a pair when fewer than this many pairs so extreme are expected in the class by chance.
EXPECTED_BY_CHANCE = 0.01
#: ... and when the pair shares at least this many identical errors (a handful is never evidence).
MIN_IDENTICAL_ERRORS = 4


@dataclass(frozen=True)
class Submission:
    student: str
    digests: dict[str, str]  # notebook file name -> sha256 of its bytes
    answers: dict[str, Answer | None]  # item id -> normalised answer
    answer_cell: str  # the answer cell's text, for an exact-copy check


@dataclass(frozen=True)
class PairFlag:
    students: tuple[str, str]
    errors_in_common: int
    identical_errors: int
    expected_identical: float
    tail: float  # P(at least this many identical errors | the class's frequencies), for one pair
    expected_pairs: float  # tail × the number of pairs in the class
    shared: list[tuple[str, str]]  # (item, the answer both gave)
    identical_answer_cells: bool

    def describe(self) -> str:
        a, b = self.students
        odds = f"about 1 in {1 / self.tail:,.0f}" if self.tail > 0 else "too small to compute"
        shared = "; ".join(f"{item}: {answer}" for item, answer in self.shared)
        cells = (
            " Their answer cells are also identical, character for character."
            if self.identical_answer_cells
            else ""
        )
        return (
            f"{a} and {b}: worth a look. Of the {self.errors_in_common} items both answered without full "
            f"credit, they gave the same answer on {self.identical_errors}, where the class's answer "
            f"frequencies would lead one to expect {self.expected_identical:.1f}. A match this close is "
            f"{odds} for one pair; over every pair in this class, {self.expected_pairs:.2g} such pairs "
            f"would be expected by chance.{cells}\n    Shared answers: {shared}"
        )


@dataclass(frozen=True)
class IdenticalFiles:
    notebook: str
    students: tuple[str, ...]

    def describe(self) -> str:
        return (
            f"{', '.join(self.students)}: worth a look. Their {self.notebook} files are byte-for-byte "
            "identical (and differ from the release)."
        )


@dataclass(frozen=True)
class Integrity:
    assignment: str
    submissions: int
    pairs: int
    identical: list[IdenticalFiles]
    flagged: list[PairFlag]
    skipped: dict[str, str] = field(default_factory=dict)  # student -> why their submission is left out


def read_submissions(
    course: Course, assignment: str, items: list[Item], skipped: dict[str, str] | None = None
) -> list[Submission]:
    """Every submission in submitted/: its files' digests, and its answers read as the grader reads them.
    A submission that cannot be read goes into `skipped` with the reason (if given; else it raises)."""
    folder = course.folder("submitted")
    found = []
    for student_folder in (
        sorted(p for p in folder.iterdir() if (p / assignment).is_dir()) if folder.is_dir() else ()
    ):
        try:
            found.append(read_submission(student_folder, assignment, items))
        except Exception as error:  # one submission never stops the list: it is named instead
            if skipped is None:
                raise
            skipped[student_folder.name] = unreadable(error)
    return found


def read_submission(student_folder: Path, assignment: str, items: list[Item]) -> Submission:
    """One student's digests and answers, checked to score and print, so that nothing later fails on them."""
    notebooks = sorted((student_folder / assignment).glob("*.ipynb"))
    raw: dict[str, object] = {}
    for notebook in notebooks:
        raw |= read_answers(notebook)
    answers = {item.id: parse(item.id, raw[item.id])[0] if item.id in raw else None for item in items}
    for item in items:
        if answers[item.id] is not None:
            item_credit(item, answers[item.id])
        _shown(answers[item.id])
    digests = {n.name: hashlib.sha256(n.read_bytes()).hexdigest() for n in notebooks}
    cells = "".join(notebook_answer_source(n) or "" for n in notebooks)
    return Submission(student_folder.name, digests, answers, cells)


def submitted_class(course: Course, assignment: str) -> ClassData:
    """The class's normalised answers straight from submitted/, for analyses that need no grades
    (the demo panel; agreement before grading). Scores are left empty."""
    items = load_items(assignment, key_file=course.key_file)
    skipped: dict[str, str] = {}
    answers = {s.student: s.answers for s in read_submissions(course, assignment, items, skipped)}
    return ClassData(assignment, {}, 0.0, items, answers, skipped)


def identical_files(submissions: list[Submission], released: dict[str, str]) -> list[IdenticalFiles]:
    """Groups of students whose notebook files are byte-identical, leaving out untouched releases."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for submission in submissions:
        for name, digest in submission.digests.items():
            if digest not in released.values():
                groups[(name, digest)].append(submission.student)
    return [
        IdenticalFiles(name, tuple(students))
        for (name, _), students in sorted(groups.items())
        if len(students) > 1
    ]


def coincidence_probabilities(
    items: list[Item], submissions: list[Submission]
) -> dict[str, dict[Answer, float]]:
    """For each item, the share of each not-fully-right answer among the class's not-fully-right answers."""
    shares = {}
    for item in items:
        wrong = Counter(
            s.answers[item.id]
            for s in submissions
            if s.answers[item.id] is not None and item_credit(item, s.answers[item.id]) < 1
        )
        total = sum(wrong.values())
        shares[item.id] = {answer: n / total for answer, n in wrong.items()}
    return shares


def tail_probability(probabilities: list[float], observed: int) -> float:
    """P(X ≥ observed) for X the number of successes in independent trials with these probabilities."""
    distribution = [1.0]
    for p in probabilities:
        distribution = [
            a * (1 - p) + b * p for a, b in zip([*distribution, 0.0], [0.0, *distribution], strict=True)
        ]
    return min(1.0, sum(distribution[observed:]))


def compare_pair(a: Submission, b: Submission, items: list[Item], shares: dict, pairs: int) -> PairFlag:
    common = [
        item
        for item in items
        if a.answers[item.id] is not None
        and b.answers[item.id] is not None
        and item_credit(item, a.answers[item.id]) < 1
        and item_credit(item, b.answers[item.id]) < 1
    ]
    chances = [sum(r * r for r in shares[item.id].values()) for item in common]
    shared = [item for item in common if a.answers[item.id] == b.answers[item.id]]
    tail = tail_probability(chances, len(shared))
    cells_match = bool(a.answer_cell) and a.answer_cell == b.answer_cell
    return PairFlag(
        (a.student, b.student),
        len(common),
        len(shared),
        sum(chances),
        tail,
        tail * pairs,
        [(item.id, _shown(a.answers[item.id])) for item in shared],
        cells_match,
    )


def _shown(answer: Answer | None) -> str:
    from peninsula.codebook import load_codebook

    if isinstance(answer, frozenset):
        return ", ".join(load_codebook().actors[code].name for code in sorted(answer))
    return str(answer)


def check_integrity(course: Course, assignment: str) -> Integrity:
    items = load_items(assignment, key_file=course.key_file)
    skipped: dict[str, str] = {}
    submissions = read_submissions(course, assignment, items, skipped)
    if not submissions and not skipped:
        raise PipelineError(
            f"no submissions of {assignment} in submitted/; run `peninsula collect {assignment}`"
        )
    release = course.folder("release", assignment)
    released = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in release.glob("*.ipynb")}
    readable = [s for s in submissions if any(v is not None for v in s.answers.values())]
    shares = coincidence_probabilities(items, readable)
    pairs = len(readable) * (len(readable) - 1) // 2
    flagged = [
        flag
        for a, b in itertools.combinations(readable, 2)
        if (flag := compare_pair(a, b, items, shares, pairs)).expected_pairs < EXPECTED_BY_CHANCE
        and flag.identical_errors >= MIN_IDENTICAL_ERRORS
    ]
    flagged.sort(key=lambda f: f.tail)
    return Integrity(
        assignment, len(submissions), pairs, identical_files(submissions, released), flagged, skipped
    )


def integrity_text(result: Integrity) -> str:
    """The instructor's list, in words that invite a look rather than state a verdict."""
    lines = [
        f"Integrity check for {result.assignment} (instructor only; do not share): {result.submissions} "
        f"submissions, {result.pairs} pairs compared.",
        "Nothing here is a finding. Similar work has innocent explanations (students who studied "
        "together, one misleading sentence); look at the notebooks, and talk to the students, before "
        "drawing any conclusion.",
        "",
        "Byte-identical notebooks:",
        *([f"  {group.describe()}" for group in result.identical] or ["  none"]),
        "",
        "Pairs whose shared wrong answers are unlikely by chance (fewer than "
        f"{EXPECTED_BY_CHANCE:g} such pairs expected in a class this size):",
        *([f"  {flag.describe()}" for flag in result.flagged] or ["  none"]),
        *(["", "Submissions that could not be read, so are not compared:"] if result.skipped else []),
        *(f"  {student!r}: {reason}" for student, reason in sorted(result.skipped.items())),
    ]
    return "\n".join(lines)


def write_integrity(course: Course, assignment: str) -> tuple[Integrity, Path]:
    result = check_integrity(course, assignment)
    target = course.folder("exports", f"{assignment}-integrity.txt")
    target.parent.mkdir(exist_ok=True)
    target.write_text(integrity_text(result) + "\n", encoding="utf-8")
    return result, target
