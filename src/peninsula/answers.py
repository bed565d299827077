"""Reading a student's answers. Student-safe: it holds no answers and knows nothing of the key.

Each graded notebook has one answer cell holding a dictionary typed as plain text:

    answers = {
        "R02": "US, South Korea",
        ...
    }

The grader reads that cell's *source*, never what the kernel computed, so the format check below
and the grader read a notebook the same way (`read_answer_cell`). The dictionary is parsed without
running it (`ast.literal_eval`); when a typo stops it from parsing, every `"ID": ...` line that
still reads on its own is kept, so one missing quote costs one item, not the assignment.

The id's first letter says what kind of answer it takes:

    R  actors who must carry out a recommendation: names or aliases from the codebook, any case,
       several separated by commas ("US, South Korea")
    A  the author of a statement: "Trivedi" or "Cronin"
    S  a stance: a whole number from -2 to 2, or "not addressed"
    P  the branch of Cronin's plan an action belongs to: "success", "unproductive" or "neither"
    E  a paragraph id such as "C17" or "T6"
"""

from __future__ import annotations

import ast
import difflib
import functools
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from peninsula.codebook import NOT_ADDRESSED, load_codebook, normalise_name
from peninsula.texts import TEXT_PREFIXES, load_corpus

Answer = frozenset[str] | str | int

ANSWERS_VARIABLE = "answers"
ANSWER_CELL_ID = "answers"
PLAN_BRANCHES = {
    "success": "the summit succeeds",
    "unproductive": "talks are unproductive",
    "neither": "he recommends it under neither branch",
}
STANCE_VALUES = (-2, -1, 0, 1, 2)
ACTOR_SEPARATORS = re.compile(r"\s*(?:,|;|/|&|\+|\band\b)\s*", re.IGNORECASE)
ID_LETTERS = "".join(TEXT_PREFIXES.values())
PARAGRAPH_ID = re.compile(rf"^\[?\s*([{ID_LETTERS}])\s*(\d{{1,3}})\s*\]?$", re.IGNORECASE)
#: An answer cell longer than this is not read at all (a real one is about 5,000 characters).
MAX_CELL_CHARACTERS = 100_000
COMPUTED = "type each answer as text between the quotes; the answer cell cannot compute its answers"
ITEM_LINE = re.compile(r"""^\s*["'](?P<id>[A-Za-z]\d{1,3})["']\s*:\s*(?P<value>.*?)\s*$""")
CURLY_QUOTES = "“”„‟‘’"


# ------------------------------------------------------------------ the answer cell's text


@dataclass(frozen=True)
class AnswerCell:
    """What could be read from an answer cell: the answers, and plain-language problems by line."""

    answers: dict[str, object]
    problems: list[str] = field(default_factory=list)
    computed: bool = False


def read_answer_cell(source: str) -> AnswerCell:
    """The answers typed in an answer cell's source, read as data (nothing in it is run)."""
    if len(source) > MAX_CELL_CHARACTERS:
        return AnswerCell(
            {}, [f"the answer cell is over {MAX_CELL_CHARACTERS:,} characters; it was not read"]
        )
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _read_line_by_line(source)
    assignments = [node for node in tree.body if _assigns_answers(node)]
    ignored = [node.lineno for node in tree.body if not _assigns_answers(node)]
    if not assignments:
        return AnswerCell(
            {}, [f"no `{ANSWERS_VARIABLE} = {{...}}` dictionary in the answer cell; put it back"]
        )
    try:
        value = ast.literal_eval(assignments[-1].value)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        value = None
    if not isinstance(value, dict):
        line = assignments[-1].lineno
        return AnswerCell({}, [f"line {line}: {COMPUTED}"], computed=True)
    problems = [f"line {line}: {COMPUTED}; this line was ignored" for line in ignored]
    return AnswerCell({k: v for k, v in value.items() if isinstance(k, str)}, problems)


def _assigns_answers(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id == ANSWERS_VARIABLE
    )


def _read_line_by_line(source: str) -> AnswerCell:
    """Keep every `"ID": value,` line that reads on its own; name each line that does not."""
    answers: dict[str, object] = {}
    problems = []
    lines = source.splitlines()
    for number, line in enumerate(lines, 1):
        match = ITEM_LINE.match(line)
        if not match:
            continue
        value = _literal_value(match["value"])
        if value is _UNREADABLE:
            problems.append(f"line {number}: {_diagnose(match['id'], match['value'])}")
            continue
        answers[match["id"]] = value
        if not _ends_with_comma(match["value"]) and _next_is_item(lines, number):
            problems.append(f"line {number}: a comma is missing at the end of the line, after the answer")
    if not problems:
        problems.append(_python_says(source))
    return AnswerCell(answers, problems)


_UNREADABLE = object()


def _literal_value(text: str) -> object:
    """The value on one item line, with a trailing comma and a comment allowed after it."""
    candidates = [text]
    candidates += [text[:i] for i in range(len(text) - 1, 0, -1) if text[i] == "#"]
    for candidate in candidates:
        candidate = candidate.strip().removesuffix(",").strip()
        try:
            return ast.literal_eval(candidate)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            continue
    return _UNREADABLE


def _ends_with_comma(text: str) -> bool:
    code = text.split("#", 1)[0].rstrip() if text.count('"') % 2 == 0 else text.rstrip()
    return code.endswith(",")


def _next_is_item(lines: list[str], number: int) -> bool:
    later = [line for line in lines[number:] if line.strip() and not line.strip().startswith("#")]
    return bool(later) and bool(ITEM_LINE.match(later[0]))


def _diagnose(item_id: str, value: str) -> str:
    """Why one item line does not read, in words a student can act on."""
    text = value.strip().removesuffix(",").strip()
    if any(mark in text for mark in CURLY_QUOTES):
        return f'{item_id}: use straight quotes (") around the answer, not curly ones (“ ”)'
    for quote in "\"'":
        if text.startswith(quote) and text.count(quote) % 2 == 1:
            typed = text[1:].split("#", 1)[0].strip().removesuffix(",").strip()
            return f"{item_id}: a closing quote is missing after {quote}{typed}"
    if text and text[0] not in "\"'[({-+0123456789":
        return f'{item_id}: put the answer between quotes, like "{text.split("#", 1)[0].strip()}"'
    return f"{item_id}: this line cannot be read; type the answer as text between two quotes"


def _python_says(source: str) -> str:
    try:
        compile(source, "answer cell", "exec")
    except SyntaxError as error:
        what = (error.msg or "invalid syntax").split(".")[0]
        if "never closed" in what:
            return f"line {error.lineno}: a bracket opened here is never closed; put back the closing }}"
        return (
            f"line {error.lineno}: Python cannot read this line ({what}); compare it with the lines around it"
        )
    except Exception as error:  # a null byte, a cell too deeply nested
        return f"the answer cell cannot be read ({type(error).__name__})"
    return "the answer cell cannot be read"


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
        return frozenset(), [f'{_describe(raw)} is not a list of names; type them in quotes: "US, Japan"']
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
        return None, [f'{_describe(raw)} is not an author; type "Trivedi" or "Cronin"']
    words = normalise_name(raw).split()
    for text_id in authors():
        if words and words[-1] == text_id:
            return text_id, []
    return None, [f"{raw!r} is not one of the authors{_closest(raw, list(authors().values()))}"]


def parse_stance(raw: object) -> tuple[int | str | None, list[str]]:
    problem = [f'{_describe(raw)} is not a stance; give a whole number from -2 to 2, or "{NOT_ADDRESSED}"']
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
    return None, [f'{_describe(raw)} is not one of "success", "unproductive", "neither"{hint}']


def parse_paragraph(raw: object) -> tuple[str | None, list[str]]:
    match = PARAGRAPH_ID.match(raw.strip()) if isinstance(raw, str) else None
    if match:
        prefix, number = match.group(1).upper(), int(match.group(2))
        last = paragraph_counts()[prefix]
        if 1 <= number <= last:
            return f"{prefix}{number}", []
        return None, [f"{raw!r} is not a paragraph; they run {prefix}1 to {prefix}{last}"]
    return None, [f'{_describe(raw)} is not a paragraph id; write one like "T6" or "C17"']


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
    """Built from Python's own types only (literal_eval makes nothing else, but callers may pass any)."""
    scalars = (str, int, float, bool, type(None))
    if type(raw) in (list, tuple, set, frozenset):
        return all(type(element) in scalars for element in raw)
    return type(raw) in scalars


def parse(item_id: str, raw: object) -> tuple[Answer | None, list[str]]:
    """The normalised answer (None if unusable) and the problems with its format."""
    if not is_plain(raw) or item_id[:1] not in PARSERS:
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


def cell_problems(cell: AnswerCell, expected_ids: list[str]) -> list[str]:
    """The answer cell's own problems (typos by line, computed answers), then each item's."""
    if cell.computed:
        return cell.problems
    missing_lines = {p.split(":", 2)[1].strip() for p in cell.problems if p.startswith("line ")}
    items = [p for p in format_problems(cell.answers, expected_ids)
             if not (p.split(":", 1)[0] in missing_lines and "missing;" in p)]  # fmt: skip
    return [*cell.problems, *items]


ID_RUN = re.compile(r"^([A-Z])(\d+)-\1(\d+)$")


def compact_ids(ids: list[str]) -> str:
    """Item ids in their order, consecutive runs written as ranges: "R02-R05 R40 R08-R11"."""
    runs: list[list[str]] = []
    for item_id in ids:
        last = runs[-1][-1] if runs else ""
        if last and last[0] == item_id[0] and int(item_id[1:]) == int(last[1:]) + 1:
            runs[-1].append(item_id)
        else:
            runs.append([item_id])
    return " ".join(run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


def expand_ids(expected: str) -> list[str]:
    """The ids `compact_ids` wrote, in order ("R02-R04 R40" -> R02, R03, R04, R40); plain ids pass through."""
    ids = []
    for word in expected.split():
        run = ID_RUN.match(word)
        if not run:
            ids.append(word)
            continue
        letter, first, last = run.groups()
        ids += [f"{letter}{n:0{len(first)}d}" for n in range(int(first), int(last) + 1)]
    return ids


def check_format(expected: str, source: str | None = None) -> None:
    """Print what to fix in the answer cell's format (the last answer cell this kernel ran).

    `expected` lists the assignment's item ids, with runs as ranges ("R02-R05 R40"), so the check
    cell stays two lines long and Validate shows the problems first. It reads the cell's text exactly
    as the grader will. Problems go to stderr, so `nbgrader validate` lists them; it says nothing
    about correctness, and returns nothing for nbgrader to read as a score.
    """
    expected_ids = expand_ids(expected)
    if source is None:
        source = last_answer_cell_source()
    if source is None:
        problems = [f"No `{ANSWERS_VARIABLE}` found: run the answer cell first (and fix any error it shows)."]
    else:
        problems = cell_problems(read_answer_cell(source), expected_ids)
    if problems:
        print(f"{len(problems)} thing(s) to fix before you submit:", *problems, sep="\n", file=sys.stderr)
    else:
        print(f"Format OK: all {len(expected_ids)} answers are filled in and readable. "
              "(This check does not say whether they are right.)")  # fmt: skip


def last_answer_cell_source() -> str | None:
    """The most recent cell this IPython kernel ran that assigns the answers dictionary."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    history = shell.user_ns.get("In", []) if shell else []
    pattern = re.compile(rf"^\s*{ANSWERS_VARIABLE}\s*=", re.MULTILINE)
    return next((cell for cell in reversed(history) if isinstance(cell, str) and pattern.search(cell)), None)
