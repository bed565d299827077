"""Reading an answer cell's text as data, in either of its two formats, in time linear in its size.

Plain lines, the format the assignments are released in:

    %%answers
    # A comment line starts with #.
    R02: US, South Korea
    S01: -1

The first line makes the whole cell an IPython cell magic (`peninsula.answers` registers it), so the
kernel never reads the lines as Python: a stray quote or character cannot stop Run All.

The dictionary, the earlier format, still read so that work begun in it grades the same:

    answers = {
        "R02": "US, South Korea",
    }

It is parsed without running it (`ast.literal_eval`); when a typo stops it from parsing, every
`"ID": ...` line that still reads on its own is kept, so one missing quote costs one item.

Nothing here runs what a student typed, and every step is bounded: the cell's size, each answer's
size, each number's size, how many problems are listed, and no regular expression that can backtrack
over a long run of spaces. Student-safe: it knows no answers.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ANSWERS_VARIABLE = "answers"
ANSWER_CELL_ID = "answers"
MAGIC_NAME = "answers"
MAGIC_LINE = f"%%{MAGIC_NAME}"
#: An answer cell longer than this, after long runs of spaces are squeezed, is not read at all
#: (a real one is about 5,000 characters).
MAX_CELL_CHARACTERS = 100_000
#: Text longer than this is not even squeezed: it is refused as it comes.
MAX_RAW_CHARACTERS = 4_000_000
#: One answer longer than this is not read (the longest real answer is a few actor names).
MAX_ANSWER_CHARACTERS = 500
TOO_LONG = f"the answer is over {MAX_ANSWER_CHARACTERS} characters; it was not read"
#: A list of more names than this is not an answer (the codebook has about a dozen actors).
MAX_LIST = 50
#: A number with more digits than this is not an answer (and would be costly to print).
MAX_NUMBER_DIGITS = 12
#: How many of the same kind of problem are named, before the rest are counted.
MAX_NAMED = 12
COMPUTED = "type each answer as text between the quotes; the answer cell cannot compute its answers"
#: `"R02": value` in the dictionary format. Linear: nothing optional precedes `.*` at the line's end.
ITEM_LINE = re.compile(r"""^\s*["'](?P<id>[A-Za-z]\d{1,3})["']\s*:(?P<value>.*)$""")
CURLY_QUOTES = "“”„‟‘’"
QUOTES = "\"'" + CURLY_QUOTES
#: Runs of spaces or tabs this long are squeezed to one space before reading (every answer folds
#: spaces), so a line padded with 400,000 spaces costs one pass, and its answer still counts.
LONG_SPACES = re.compile(r"[ \t]{64,}")


@dataclass(frozen=True)
class AnswerCell:
    """What could be read from an answer cell: the answers, and plain-language problems by line."""

    answers: dict[str, object]
    problems: list[str] = field(default_factory=list)
    computed: bool = False
    #: The ids the student typed something for, readable or not.
    typed: frozenset[str] = frozenset()
    #: True for the plain-line format, False for the dictionary.
    plain: bool = False


def answer_cell_source(cells: Iterable[object]) -> str | None:
    """The text of a notebook's answer cell: the first cell nbgrader knows by the answer cell's id,
    the copy autograde grades (a pasted copy after it is not); None if there is none."""
    for cell in cells:
        metadata = cell.get("metadata") if isinstance(cell, dict) else None
        nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
        if isinstance(nbgrader, dict) and nbgrader.get("grade_id") == ANSWER_CELL_ID:
            source = cell.get("source", "")
            return source if isinstance(source, str) else "".join(map(str, source))
    return None


def notebook_answer_source(path: Path) -> str | None:
    """The answer cell's text in a notebook file; None if there is none or the file is not a notebook."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return answer_cell_source(cells if isinstance(cells, list) else [])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_notebook_answers(path: Path) -> AnswerCell:
    """The answer cell of a notebook file, read as the grader reads it."""
    source = notebook_answer_source(path)
    if source is None:
        return AnswerCell({}, ["no answer cell was found (or the notebook could not be read)"])
    return read_answer_cell(source)


def read_answer_cell(source: object) -> AnswerCell:
    """The answers typed in an answer cell's source, read as data (nothing in it is run)."""
    if not isinstance(source, str):
        return AnswerCell({}, ["the answer cell holds no text; it was not read"])
    too_long = f"the answer cell is over {MAX_CELL_CHARACTERS:,} characters; it was not read"
    if len(source) > MAX_RAW_CHARACTERS:
        return AnswerCell({}, [too_long])
    source = LONG_SPACES.sub(" ", source)
    if len(source) > MAX_CELL_CHARACTERS:
        return AnswerCell({}, [too_long])
    lines = source.splitlines()
    first = next((line.strip() for line in lines if line.strip()), "")
    if _is_magic(first):
        return read_plain_lines(lines)
    if not any(map(_assigns_answers_line, lines)) and any(map(_plain_item, lines)):
        cell = read_plain_lines(lines)
        missing = f"line 1: put `{MAGIC_LINE}` back as the cell's first line; without it Run All stops there"
        return AnswerCell(cell.answers, [missing, *cell.problems], typed=cell.typed, plain=True)
    return _read_dictionary(source, lines)


def _is_magic(line: str) -> bool:
    return line == MAGIC_LINE or line.startswith(MAGIC_LINE + " ")


def _assigns_answers_line(line: str) -> bool:
    name, equals, _ = line.partition("=")
    return bool(equals) and name.strip() == ANSWERS_VARIABLE


# ------------------------------------------------------------------ plain lines


def _is_item_id(text: str) -> bool:
    return 2 <= len(text) <= 4 and text[0].isascii() and text[0].isalpha() and _ascii_digits(text[1:])


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _plain_item(line: str) -> tuple[str, str] | None:
    """(id, answer) if the line reads `R02: answer` (quotes and a trailing comma are forgiven)."""
    key, colon, value = line.partition(":")
    key = key.strip().strip(QUOTES).strip()
    if not colon or not _is_item_id(key):
        return None
    # Quotes and a trailing comma are what the dictionary format asked for: forgiven, even unpaired.
    value = value.split("#", 1)[0].strip().removesuffix(",").strip().strip(QUOTES).strip()
    return key.upper(), value


def read_plain_lines(lines: list[str]) -> AnswerCell:
    """Every `ID: answer` line; comments, blank lines and the `%%answers` line are skipped."""
    answers: dict[str, object] = {}
    where: dict[str, int] = {}
    typed: set[str] = set()
    problems: list[str] = []
    unreadable = twice = 0
    content_before = False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if _is_magic(stripped):
            if content_before:
                problems.append(f"line {number}: `{MAGIC_LINE}` must be the cell's first line; move it up")
            continue
        content_before = content_before or bool(stripped)
        if not stripped or stripped.startswith("#"):
            continue
        item = _plain_item(stripped)
        if item is None:
            first = stripped.split(maxsplit=1)[0].strip(QUOTES)
            if _is_item_id(first) and len(stripped) > len(first):  # "R08 South Korea": typed, unreadable
                typed.add(first.upper())
            unreadable += 1
            if unreadable <= MAX_NAMED:
                problems.append(f"line {number}: {_why_unreadable(stripped)}")
            continue
        item_id, value = item
        if value:
            typed.add(item_id)
        if len(value) > MAX_ANSWER_CHARACTERS:
            problems.append(f"line {number}: {item_id}: {TOO_LONG}")
            answers[item_id], where[item_id] = None, number
            continue
        earlier = answers.get(item_id)
        if earlier and value and earlier != value:
            twice += 1
            if twice <= MAX_NAMED:
                problems.append(f"line {number}: {item_id}: answered twice (also on line {where[item_id]}); "
                                "the last line counts, delete the other")
        if value or item_id not in answers:
            answers[item_id], where[item_id] = value, number
    if unreadable > MAX_NAMED:
        problems.append(f"and {unreadable - MAX_NAMED:,} more lines that cannot be read")
    if twice > MAX_NAMED:
        problems.append(f"and {twice - MAX_NAMED:,} more answers typed twice")
    return AnswerCell(answers, problems, typed=frozenset(typed), plain=True)


def _why_unreadable(line: str) -> str:
    shown = line if len(line) <= 20 else line[:17] + "..."
    first = line.split(maxsplit=1)[0].strip(QUOTES)
    if _is_item_id(first):
        return f"{first.upper()}: a colon is missing after the id; write `{first.upper()}: your answer`"
    return f"`{shown}` cannot be read; write `ID: answer` or start it with #"


# ------------------------------------------------------------------ the dictionary


def _read_dictionary(source: str, lines: list[str]) -> AnswerCell:
    typed = _typed_dictionary_ids(lines)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        cell = _read_line_by_line(source, lines)
        return AnswerCell(cell.answers, cell.problems, typed=typed)
    assignments = [node for node in tree.body if _assigns_answers(node)]
    ignored = [node.lineno for node in tree.body if not _assigns_answers(node)]
    if not assignments:
        return AnswerCell({}, [
            f"no `{ANSWERS_VARIABLE} = {{...}}` dictionary and no `{MAGIC_LINE}` lines in the answer cell; "
            "put them back"], typed=typed)
    try:
        value = ast.literal_eval(assignments[-1].value)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        value = None
    if not isinstance(value, dict):
        line = assignments[-1].lineno
        return AnswerCell({}, [f"line {line}: {COMPUTED}"], computed=True, typed=typed)
    problems = [f"line {line}: {COMPUTED}; this line was ignored" for line in ignored[:MAX_NAMED]]
    if len(ignored) > MAX_NAMED:
        problems.append(f"and {len(ignored) - MAX_NAMED:,} more lines that were ignored")
    answers = {}
    for key, raw in value.items():
        if not isinstance(key, str):
            continue
        why = oversized(raw)
        if why and len(problems) < 2 * MAX_NAMED:
            problems.append(f"{key[:20]}: {why}")
        answers[key] = None if why else raw
    return AnswerCell(answers, problems, typed=typed)


def oversized(raw: object) -> str | None:
    """Why a value is too big to be an answer (a huge number, a long text or list), else None."""
    if type(raw) is int and abs(raw) >= 10**MAX_NUMBER_DIGITS:  # compared, never printed
        return f"a number over {MAX_NUMBER_DIGITS} digits is not an answer; it was not read"
    if type(raw) is str and len(raw) > MAX_ANSWER_CHARACTERS:
        return TOO_LONG
    containers = (list, tuple, set, frozenset, dict)
    if type(raw) in containers and (
        len(raw) > MAX_LIST or any(type(element) in containers or oversized(element) for element in raw)
    ):
        return "a long or nested list is not an answer; type the answer as text"
    return None


def _typed_dictionary_ids(lines: list[str]) -> frozenset[str]:
    typed = set()
    for line in lines:
        match = ITEM_LINE.match(line)
        if match and match["value"].strip().removesuffix(",").strip() not in ('""', "''", ""):
            typed.add(match["id"])
    return frozenset(typed)


def _assigns_answers(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id == ANSWERS_VARIABLE
    )


def _read_line_by_line(source: str, lines: list[str]) -> AnswerCell:
    """Keep every `"ID": value,` line that reads on its own; name each line that does not."""
    answers: dict[str, object] = {}
    problems: list[str] = []
    items = [ITEM_LINE.match(line) for line in lines]
    next_is_item = _next_meaningful_is_item(lines, items)
    for number, match in enumerate(items, 1):
        if not match:
            continue
        value = _literal_value(match["value"])
        if value is _UNREADABLE or oversized(value):
            if len(problems) < MAX_NAMED:
                why = oversized(value) if value is not _UNREADABLE else None
                problems.append(f"line {number}: {match['id']}: {why}" if why else
                                f"line {number}: {_diagnose(match['id'], match['value'])}")
            continue
        answers[match["id"]] = value
        if not _ends_with_comma(match["value"]) and next_is_item[number - 1] and len(problems) < MAX_NAMED:
            problems.append(f"line {number}: a comma is missing at the end of the line, after the answer")
    if not problems:
        problems.append(_python_says(source))
    return AnswerCell(answers, problems)


_UNREADABLE = object()


def _literal_value(text: str) -> object:
    """The value on one item line, with a trailing comma and a comment allowed after it."""
    if len(text) > 4 * MAX_ANSWER_CHARACTERS:
        return _UNREADABLE
    cuts = [i for i in range(len(text) - 1, 0, -1) if text[i] == "#"][:MAX_NAMED]
    for candidate in [text, *(text[:i] for i in cuts)]:
        candidate = candidate.strip().removesuffix(",").strip()
        try:
            return ast.literal_eval(candidate)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            continue
    return _UNREADABLE


def _ends_with_comma(text: str) -> bool:
    code = text.split("#", 1)[0].rstrip() if text.count('"') % 2 == 0 else text.rstrip()
    return code.endswith(",")


def _next_meaningful_is_item(lines: list[str], items: list) -> list[bool]:
    """For each line, whether the next line that is neither blank nor a comment is an item line."""
    result, following = [False] * len(lines), False
    for index in range(len(lines) - 1, -1, -1):
        result[index] = following
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#"):
            following = bool(items[index])
    return result


def _diagnose(item_id: str, value: str) -> str:
    """Why one item line does not read, in words a student can act on."""
    text = value.strip().removesuffix(",").strip()
    shown = text.split("#", 1)[0].strip()[:40]
    if any(mark in text for mark in CURLY_QUOTES):
        return f'{item_id}: use straight quotes (") around the answer, not curly ones (“ ”)'
    for quote in "\"'":
        if text.startswith(quote) and text.count(quote) % 2 == 1:
            typed = text[1:].split("#", 1)[0].strip().removesuffix(",").strip()[:40]
            return f"{item_id}: a closing quote is missing after {quote}{typed}"
    if text and text[0] not in "\"'[({-+0123456789":
        return f'{item_id}: put the answer between quotes, like "{shown}"'
    return f"{item_id}: this line cannot be read; type the answer as text between two quotes"


def _python_says(source: str) -> str:
    try:
        compile(source, "answer cell", "exec")
    except SyntaxError as error:
        what = (error.msg or "invalid syntax").split(".")[0][:80]
        if error.lineno is None:  # a null character
            return f"the answer cell cannot be read ({what}); delete the character that causes it"
        if "never closed" in what:
            return f"line {error.lineno}: a bracket opened here is never closed; put back the closing }}"
        return (
            f"line {error.lineno}: Python cannot read this line ({what}); compare it with the lines around it"
        )
    except Exception as error:  # a null byte, a cell too deeply nested
        return f"the answer cell cannot be read ({type(error).__name__})"
    return "the answer cell cannot be read"
