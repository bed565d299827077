"""Reading a student's answers. Student-safe: it holds no answers and knows nothing of the key.

Each graded notebook has one answer cell holding the answers as plain lines (`peninsula.answer_cell`
reads it, and also the dictionary format of earlier releases):

    %%answers
    R02: US, South Korea
    ...

The grader reads that cell's *source*, never what the kernel computed, so the format check below
and the grader read a notebook the same way (`read_answer_cell`). Importing this module in IPython
registers the `%%answers` cell magic, which keeps the cell's text and prints the format check at once.

The id's first letter says what kind of answer it takes:

    R  actors who must carry out a recommendation: names or aliases from the codebook, any case,
       several separated by commas (US, South Korea)
    A  the author of a statement: Trivedi or Cronin
    S  a stance: a whole number from -2 to 2, or not addressed
    P  the branch of Cronin's plan an action belongs to: success, unproductive or neither
    E  a paragraph id such as C17 or T6
"""

from __future__ import annotations

import difflib
import functools
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from peninsula.answer_cell import (  # noqa: F401  (ITEM_LINE, MAX_CELL_CHARACTERS: the grader's)
    ANSWER_CELL_ID,
    ANSWERS_VARIABLE,
    ITEM_LINE,
    MAGIC_LINE,
    MAGIC_NAME,
    MAX_ANSWER_CHARACTERS,
    MAX_CELL_CHARACTERS,
    MAX_NAMED,
    AnswerCell,
    oversized,
    read_answer_cell,
)
from peninsula.codebook import NOT_ADDRESSED, load_codebook, normalise_name
from peninsula.texts import TEXT_PREFIXES, load_corpus

Answer = frozenset[str] | str | int

PLAN_BRANCHES = {
    "success": "the summit succeeds",
    "unproductive": "talks are unproductive",
    "neither": "he recommends it under neither branch",
}
STANCE_VALUES = (-2, -1, 0, 1, 2)
#: Between actor names. No `\s*` around the alternatives: that backtracks over long runs of spaces.
ACTOR_SEPARATORS = re.compile(r",|;|/|&|\+|\band\b", re.IGNORECASE)
ID_LETTERS = "".join(TEXT_PREFIXES.values())
PARAGRAPH_ID = re.compile(rf"^\[?\s*([{ID_LETTERS}])\s*(\d{{1,3}})\s*\]?$", re.IGNORECASE)
MINUS_SIGNS = str.maketrans({"−": "-", "–": "-", "—": "-"})


# ------------------------------------------------------------------ reading one answer


def _describe(value: object) -> str:
    kind = {str: "", int: " (a number)", float: " (a number)", list: " (a list)", dict: " (a dictionary)",
            bool: " (True/False)"}
    if type(value) not in kind:
        return f"a {type(value).__name__}"
    if oversized(value):
        return f"a very long {type(value).__name__}"
    try:
        shown = repr(value)
    except (ValueError, RecursionError):  # an int too long to print, a list nested too deep
        return f"a {type(value).__name__}"
    return f"{shown if len(shown) <= 60 else shown[:57] + '...'}{kind[type(value)]}"


def _closest(typed: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(typed.lower(), [c.lower() for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {choices[[c.lower() for c in choices].index(close[0])]}?" if close else ""


def parse_actors(raw: object) -> tuple[frozenset[str], list[str]]:
    """(actor codes recognised, problems). Accepts "US, South Korea" or a list of names."""
    codebook = load_codebook()
    if isinstance(raw, str):
        names = [n.strip() for n in ACTOR_SEPARATORS.split(raw)]  # strip, not the regex: linear
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
        folded = normalise_name(raw.translate(MINUS_SIGNS))
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
    too_big = oversized(raw)
    if too_big:
        return None, [too_big]
    value, problems = PARSERS[item_id[0]](raw)
    return (value or None) if item_id[0] == "R" else value, problems


# ------------------------------------------------------------------ the friendly format check


def format_problems(answers: object, expected_ids: list[str]) -> list[str]:
    """Every format problem, one line each, naming the item and what to fix. Never judges correctness.
    Unknown ids are named (the first few, then counted) and otherwise ignored."""
    if answers is None:
        return [f"No `{ANSWERS_VARIABLE}` found: run the answer cell first (and fix any error it shows)."]
    if not isinstance(answers, Mapping):
        return [f"`{ANSWERS_VARIABLE}` should be the dictionary from the answer cell, {{\"R02\": ...}}; "
                f"it is now {_describe(answers)}."]
    problems = []
    expected = set(expected_ids)
    unknown = [key for key in answers if not isinstance(key, str) or key not in expected]
    for key in unknown[:MAX_NAMED]:
        shown = key if not isinstance(key, str) or len(key) <= 20 else key[:17] + "..."
        problems.append(f"{shown}: not an item in this assignment; delete this line")
    if len(unknown) > MAX_NAMED:
        problems.append(f"and {len(unknown) - MAX_NAMED:,} more ids that are not items in this assignment")
    for item_id in expected_ids:
        if item_id not in answers:
            problems.append(f"{item_id}: missing; put its line back in the answer cell")
        elif is_blank(answers[item_id]):
            problems.append(f"{item_id}: no answer yet")
        else:
            problems += [f"{item_id}: {p}" for p in parse(item_id, answers[item_id])[1]]
    return problems


def cell_problems(cell: AnswerCell, expected_ids: list[str]) -> list[str]:
    """The answer cell's own problems (typos by line, computed answers), then each item's. An item the
    cell's problems already name is not also reported as missing or unanswered."""
    if cell.computed:
        return cell.problems
    named = {_named_id(p) for p in cell.problems}
    repeated = ("missing;", "no answer yet")
    items = [p for p in format_problems(cell.answers, expected_ids)
             if not (p.split(":", 1)[0] in named and any(r in p for r in repeated))]
    return [*cell.problems, *items]


def _named_id(problem: str) -> str:
    """The item id a cell problem is about: "line 5: R08: ..." and "R08: ..." name R08."""
    parts = problem.split(": ", 2)
    return parts[1] if problem.startswith("line ") and len(parts) > 2 else parts[0]


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


# ------------------------------------------------------------------ in the student's kernel

#: Several short lines: nbgrader's Validate cuts each line of a message at about 90 characters.
NOT_RUN = """No answers found: the answer cell has not run.
- Not run yet? Click in it, press Shift+Enter (or Run All), then run this cell.
- Or it is no longer a code cell: if its text shows formatted like the instructions,
  not in a grey box, click in it, press Esc then Y (or choose Code in the toolbar's
  menu), and run it."""


@dataclass
class _KernelState:
    """What this kernel has seen: the ids the setup cell expects, the last `%%answers` cell."""

    expected: str = ""
    cell: str | None = None
    count: int = -1  # the execution count the `%%answers` cell ran at


_state = _KernelState()


def expect_items(expected: str) -> None:
    """Name the assignment's item ids (runs as ranges, "R02-R05 R40"), so the answer cell can check
    its format the moment it runs. The assignment's setup cell calls this."""
    _state.expected = expected


def answers_magic(line: str, cell: str) -> None:
    """`%%answers`: keep the cell's plain lines as text (never run them) and print the format check."""
    from IPython import get_ipython

    shell = get_ipython()
    _state.cell = f"{MAGIC_LINE} {line}".rstrip() + "\n" + cell
    _state.count = shell.execution_count if shell else 0
    if _state.expected:
        check_format(_state.expected, _state.cell)


def check_format(expected: str, source: str | None = None) -> None:
    """Print what to fix in the answer cell's format (the last answer cell this kernel ran).

    `expected` lists the assignment's item ids, with runs as ranges ("R02-R05 R40"), so the check
    cell stays two lines long and Validate shows the problems first. It reads the cell's text exactly
    as the grader will. Problems go to stderr, so `nbgrader validate` lists them, headed by "Not ready
    to submit"; it says nothing about correctness, and returns nothing for nbgrader to read as a score.
    """
    expected_ids = expand_ids(expected)
    if source is None:
        source = last_answer_cell_source()
    problems = [NOT_RUN] if source is None else cell_problems(read_answer_cell(source), expected_ids)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        print(f"Not ready to submit: {count} to fix in the answer cell.", *problems,
              "Fix them, save (Ctrl+S), and run this cell again; submit when it says Format OK.",
              sep="\n", file=sys.stderr)
    else:
        print(f"Format OK: all {len(expected_ids)} answers are filled in and readable. "
              "(This check does not say whether they are right.)")


def last_answer_cell_source() -> str | None:
    """The most recent answer cell this IPython kernel ran: a `%%answers` cell, or a cell that
    assigns the answers dictionary (the earlier format)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return _state.cell
    shell = get_ipython()
    history = shell.user_ns.get("In", []) if shell else []
    pattern = re.compile(rf"^[ \t]*{ANSWERS_VARIABLE}[ \t]*=", re.MULTILINE)
    for count in range(len(history) - 1, _state.count, -1):
        cell = history[count]
        if isinstance(cell, str) and pattern.search(cell):
            return cell
    return _state.cell


def load_ipython_extension(shell) -> None:
    """`%load_ext peninsula.answers` also registers the magic (importing the module does already)."""
    shell.register_magic_function(answers_magic, "cell", MAGIC_NAME)


def _register_magic() -> None:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    if shell is not None:
        load_ipython_extension(shell)


_register_magic()
