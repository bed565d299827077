"""Grading logic for the two graded assignments. Student-safe: it holds no answers.

The answers live only in the instructor's `course/answer_key.yaml`, which this module reads when
the autograder runs a hidden test cell. Students have the same module but not the key, so the
hidden tests cannot run for them and nothing here can tell them what is right.

Answers. Each assignment notebook has one answer cell holding a dictionary, `answers`, with one line
per item id. The id's first letter says what kind of answer it takes:

    R  actors who must carry out a recommendation: names or aliases from the codebook, any case,
       several separated by commas ("US, South Korea")
    A  the author of a statement: "Trivedi" or "Cronin"
    S  a stance: a whole number from -2 to 2, or "not addressed"
    P  the branch of Cronin's plan an action belongs to: "success", "unproductive" or "neither"
    E  a paragraph id such as "C17" or "T6"

Partial credit, per item (each item is worth one point; a test cell scales the sum to its points):

    R  the best overlap with any full-credit set S in the key: |A ∩ S| / |A ∪ S| (the Jaccard
       index), where A is the set of recognised actors in the answer. An exact match scores 1, an
       empty or wholly unrecognised answer 0; "US" for "US, South Korea" scores 1/2.
    S  1 for the key's stance or an accepted one, 1/2 for a number one step away from one of them,
       else 0 ("not addressed" is either right or wrong).
    A, P, E  1 or 0 (for E, any paragraph the key lists as support earns the point).

A part's score is the sum, scaled to the cell's points, rounded to 0.01, and clamped to
[0, points], because nbgrader fails a whole submission whose cell scores above its maximum.

Hidden test cells call `hidden_test`, which never raises and never writes to stderr (nbgrader
scores a cell with stderr output as 0); it prints one line of feedback per item and returns the
score as the cell's last expression. It reads the student's `answers` from the calling cell's
namespace and imports everything it needs itself, so a student who redefines `print`, `float` or
any helper in the notebook cannot change the grading.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import re
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from peninsula.codebook import NOT_ADDRESSED, load_codebook, normalise_name
from peninsula.paths import answer_key_file
from peninsula.texts import TEXT_PREFIXES, load_corpus

Answer = frozenset[str] | str | int

#: The parts of each assignment; each part is one hidden test cell.
PARTS: dict[str, tuple[str, ...]] = {
    "who_must_act": ("trivedi", "cronin"),
    "comparing_positions": ("attributions", "stances", "plan_b", "evidence"),
}
PLAN_BRANCHES = {
    "success": "the summit succeeds",
    "unproductive": "talks are unproductive",
    "neither": "he recommends it under neither branch",
}
STANCE_VALUES = (-2, -1, 0, 1, 2)
ACTOR_SEPARATORS = re.compile(r"\s*(?:,|;|/|&|\+|\band\b)\s*", re.IGNORECASE)
ID_LETTERS = "".join(TEXT_PREFIXES.values())
PARAGRAPH_ID = re.compile(rf"^\[?\s*([{ID_LETTERS}])\s*(\d{{1,3}})\s*\]?$", re.IGNORECASE)
ANSWERS_VARIABLE = "answers"
# Every hidden test cell reads the key: libyaml's safe loader (in PyYAML's wheels) parses it about 7x
# faster than the pure-Python one, which keeps a graded notebook's kernel work small.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Item:
    """One graded item. `prompt` and `where` are public; `full_credit` is the answer."""

    id: str
    part: str
    prompt: str
    where: str | None
    full_credit: tuple[Answer, ...]


# ------------------------------------------------------------------ reading one answer


def _describe(value: object) -> str:
    kind = {str: "", int: " (a number)", float: " (a number)", list: " (a list)", dict: " (a dictionary)",
            bool: " (True/False)"}  # fmt: skip
    if type(value) not in kind:
        return f"a {type(value).__name__}"
    shown = repr(value)
    return f"{shown if len(shown) <= 60 else shown[:57] + '...'}{kind[type(value)]}"


def _closest(typed: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(typed.lower(), [c.lower() for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {choices[[c.lower() for c in choices].index(close[0])]}?" if close else ""


def parse_actors(raw: object) -> tuple[frozenset[str], list[str]]:
    """(actor codes recognised, problems). Accepts "US, South Korea" or a list of names."""
    codebook = load_codebook()
    if isinstance(raw, str):
        names = [n.strip() for n in ACTOR_SEPARATORS.split(raw)]
    elif isinstance(raw, list | tuple | set | frozenset) and all(isinstance(n, str) for n in raw):
        names = [n.strip() for n in raw]
    else:
        return frozenset(), [f"{_describe(raw)} is not a list of names; type them in quotes: \"US, Japan\""]
    codes, problems = set(), []
    for name in filter(None, names):
        code = codebook.resolve_actor(name)
        if code:
            codes.add(code)
            continue
        suggestion = codebook.suggest_actor(name)
        hint = f"; did you mean {suggestion.name}?" if suggestion else "; see the codebook's list of actors"
        problems.append(f"{name!r} is not an actor name{hint}")
    return frozenset(codes), problems


def parse_author(raw: object) -> tuple[str | None, list[str]]:
    if not isinstance(raw, str):
        return None, [f"{_describe(raw)} is not an author; type \"Trivedi\" or \"Cronin\""]
    words = normalise_name(raw).split()
    for text_id in authors():
        if words and words[-1] == text_id:
            return text_id, []
    return None, [f"{raw!r} is not one of the authors{_closest(raw, list(authors().values()))}"]


def parse_stance(raw: object) -> tuple[int | str | None, list[str]]:
    problem = [f"{_describe(raw)} is not a stance; give a whole number from -2 to 2, or \"{NOT_ADDRESSED}\""]
    if isinstance(raw, bool):
        return None, problem
    if isinstance(raw, str):
        folded = normalise_name(raw)
        if folded == NOT_ADDRESSED:
            return NOT_ADDRESSED, []
        if re.fullmatch(r"[+-]?\d", folded):
            raw = int(folded)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int) and raw in STANCE_VALUES:
        return raw, []
    return None, problem


def parse_branch(raw: object) -> tuple[str | None, list[str]]:
    choices = list(PLAN_BRANCHES)
    if isinstance(raw, str) and normalise_name(raw) in PLAN_BRANCHES:
        return normalise_name(raw), []
    hint = _closest(raw, choices) if isinstance(raw, str) else ""
    return None, [f"{_describe(raw)} is not one of \"success\", \"unproductive\", \"neither\"{hint}"]


def parse_paragraph(raw: object) -> tuple[str | None, list[str]]:
    match = PARAGRAPH_ID.match(raw.strip()) if isinstance(raw, str) else None
    if match:
        prefix, number = match.group(1).upper(), int(match.group(2))
        last = paragraph_counts()[prefix]
        if 1 <= number <= last:
            return f"{prefix}{number}", []
        return None, [f"{raw!r} is not a paragraph; they run {prefix}1 to {prefix}{last}"]
    return None, [f"{_describe(raw)} is not a paragraph id; write one like \"T6\" or \"C17\""]


@functools.cache
def authors() -> dict[str, str]:
    """Text id -> the author's surname, the answer students type in an attribution item."""
    return {text.id: text.surname for text in load_corpus()}


@functools.cache
def paragraph_counts() -> dict[str, int]:
    """How many paragraphs each text has, by id letter ("T", "C"), counted from the texts."""
    return {text.paragraph_prefix: len(text.paragraphs) for text in load_corpus()}


PARSERS = {"R": parse_actors, "A": parse_author, "S": parse_stance, "P": parse_branch, "E": parse_paragraph}


def is_blank(raw: object) -> bool:
    """An answer the student has not filled in yet: None, "", or a list of empty strings."""
    if type(raw) is str:
        return not raw.strip()
    if type(raw) in (list, tuple, set, frozenset):
        return all(isinstance(name, str) and not name.strip() for name in raw)
    return raw is None


def is_plain(raw: object) -> bool:
    """Built from Python's own types only: a subclass could redefine comparison to match anything."""
    scalars = (str, int, float, bool, type(None))
    if type(raw) in (list, tuple, set, frozenset):
        return all(type(element) in scalars for element in raw)
    return type(raw) in scalars


def parse(item_id: str, raw: object) -> tuple[Answer | None, list[str]]:
    """The normalised answer (None if unusable) and the problems with its format."""
    if not is_plain(raw):
        return None, [f"a {type(raw).__name__} is not an answer; type plain text between quotes"]
    value, problems = PARSERS[item_id[0]](raw)
    return (value or None) if item_id[0] == "R" else value, problems


# ------------------------------------------------------------------ the friendly format check


def format_problems(answers: object, expected_ids: list[str]) -> list[str]:
    """Every format problem, one line each, naming the item and what to fix. Never judges correctness."""
    if answers is None:
        return [f"No `{ANSWERS_VARIABLE}` found: run the answer cell first (and fix any error it shows)."]
    if not isinstance(answers, Mapping):
        return [f"`{ANSWERS_VARIABLE}` should be the dictionary from the answer cell, {{\"R02\": ...}}; "
                f"it is now {_describe(answers)}."]  # fmt: skip
    problems = []
    for key in answers:
        if not isinstance(key, str) or key not in expected_ids:
            problems.append(f"{key}: not an item in this assignment; delete this line")
    for item_id in expected_ids:
        if item_id not in answers:
            problems.append(f"{item_id}: missing; put its line back in the answer cell")
        elif is_blank(answers[item_id]):
            problems.append(f"{item_id}: no answer yet")
        else:
            problems += [f"{item_id}: {p}" for p in parse(item_id, answers[item_id])[1]]
    return problems


def check_format(expected: str, answers: object = None) -> None:
    """Print what to fix in the format of `answers` (the caller's variable if not given).

    Problems go to stderr, so `nbgrader validate` lists them; it says nothing about correctness.
    It returns nothing, so the check cell has no value for nbgrader to read as a score.
    """
    if answers is None:
        answers = sys._getframe(1).f_globals.get(ANSWERS_VARIABLE)
    expected_ids = expected.split()
    problems = format_problems(answers, expected_ids)
    if problems:
        print(f"{len(problems)} thing(s) to fix before you submit:", *problems, sep="\n", file=sys.stderr)
    else:
        print(f"Format OK: all {len(expected_ids)} answers are filled in and readable. "
              "(This check does not say whether they are right.)")  # fmt: skip


# ------------------------------------------------------------------ scoring


def item_credit(item: Item, answer: Answer | None) -> float:
    """The credit, from 0 to 1, for one normalised answer (see the module docstring)."""
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


def hidden_test(assignment: str, part: str, points: float) -> float:
    """The body of a hidden test cell: print per-item feedback, return the score. Never raises."""
    namespace = sys._getframe(1).f_globals
    with contextlib.redirect_stderr(sys.stdout), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return _grade(assignment, part, points, namespace.get(ANSWERS_VARIABLE))
        except Exception as error:  # odd objects (a dict subclass that raises, ...) cost their owner only
            with contextlib.suppress(Exception):
                print(f"Your answers could not be read ({type(error).__name__}). Score: 0")
            return 0.0


def _grade(assignment: str, part: str, points: float, answers: object) -> float:
    try:
        items = load_items(assignment, part)
    except FileNotFoundError:
        print("These tests run only where the answer key is (the instructor's course folder). Score: 0")
        return 0.0
    except Exception as error:  # a broken key must cost one message, not the whole batch
        print(f"The answer key could not be read ({type(error).__name__}); ask your instructor. Score: 0")
        return 0.0
    if not isinstance(answers, Mapping):
        print(format_problems(answers, [i.id for i in items])[0])
    score, lines = score_part(items, answers, points)
    print(*lines, sep="\n")
    print(f"Score for this part: {score:g} of {points:g}")
    return score


# ------------------------------------------------------------------ the items, from the key


def load_items(assignment: str, part: str | None = None, key_file: Path | None = None) -> list[Item]:
    """The graded items of an assignment (or of one part), read from the instructor-only key."""
    if assignment not in PARTS:
        raise KeyError(f"{assignment!r} is not an assignment; choose from {', '.join(PARTS)}")
    path = key_file or answer_key_file()
    if not path.exists():
        raise FileNotFoundError(f"{path}: no answer key here; only the instructor's course folder has one")
    key = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
    items = _who_must_act(key) if assignment == "who_must_act" else _comparing_positions(key)
    return [item for item in items if part is None or item.part == part]


def _who_must_act(key: dict) -> list[Item]:
    from peninsula.recommendations import Recommendation

    recommendations = [Recommendation.from_record(r) for r in key.get("recommendations") or ()]
    return [
        Item(r.id, r.text, " ".join(r.quote.split()), r.paragraph, r.full_credit_sets)
        for r in recommendations
        if r.autograde
    ]


def _comparing_positions(key: dict) -> list[Item]:
    names = load_codebook().issues
    stances = [
        (f"{authors()[text_id]} · {names[issue].name}", (record["stance"], *(record.get("accepted") or ())))
        for issue, by_text in (key.get("positions") or {}).items()
        for text_id, record in by_text.items()
    ]
    return [
        *_section(key, "attributions", "statement", lambda r: (r["author"],)),
        *(Item(f"S{n:02d}", "stances", label, None, full) for n, (label, full) in enumerate(stances, 1)),
        *_section(key, "plan_b", "action", lambda r: (r["condition"],)),
        *_section(key, "evidence", "claim", lambda r: tuple(r["accepted"])),
    ]


def _section(key: dict, part: str, prompt: str, full_credit: Callable[[dict], tuple]) -> list[Item]:
    return [Item(r["id"], part, r[prompt], None, full_credit(r)) for r in key.get(part) or ()]


def model_answers(assignment: str) -> dict[str, object]:
    """A full-marks `answers` dictionary, built from the key (for the solution notebook only)."""
    codebook = load_codebook()

    def shown(item: Item) -> object:
        best = item.full_credit[0]
        if item.id[0] == "R":
            return ", ".join(codebook.actors[code].name for code in sorted(best))
        return authors()[best] if item.id[0] == "A" else best

    return {item.id: shown(item) for item in load_items(assignment)}

