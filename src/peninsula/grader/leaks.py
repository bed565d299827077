"""Search student-facing files (releases, feedback, the package) for anything from the answer key.

A leak is: a graded item's id followed by its answer (for recommendations: codes, names or
aliases, in any order and case), a digest of an answer, a rationale note or paraphrase, or a graded
position's summary. In a release or feedback, a quote that anchors an Assignment 2 item privately
is a leak too (it points to the answer); the texts themselves of course contain every quote.
The search reads the key at run time; this module holds none of it.

A scan takes time linear in the text: every look after an id is a bounded match at that position
(never a copy of the rest of the text, which made a page of item ids quadratic), and a file over
`MAX_SCAN_BYTES` is not read at all: it is reported, so that what cannot be screened is not sent.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from peninsula.answers import Answer, authors
from peninsula.codebook import load_codebook
from peninsula.grader.key import (
    Item,
    assignments,
    key_data,
    load_answer_key,
    load_items,
    load_key_positions,
)
from peninsula.grader.registry import anchored_sections

TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".ipynb", ".txt", ".json", ".html", ".csv", ".cfg", ".toml"}
ANSWER_SEPARATORS = re.compile(r"\s*(?:,|;|/|&|\band\b|\+)\s*")
DIGESTS = ("md5", "sha1", "sha256")
ITEM_ID = re.compile(r"\b([A-Z]\d{2})\b")
ACTOR_WINDOW = re.compile(r"[^\w\n]{0,12}(?:actors[^\w\n]{0,6})?([^\n]{0,80})")
MAX_SCAN_BYTES = 20_000_000
HEX_DIGEST = re.compile(r"[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}")
HEX_RUN = re.compile(r"[0-9a-f]{32,}")


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _answer_forms(item_id: str, answer: Answer) -> set[str]:
    """The ways a program might write an answer down before hashing it."""
    if isinstance(answer, frozenset):
        ordered = sorted(answer)
        texts = {sep.join(ordered) for sep in (",", ", ", " ", "|", ";")}
        texts |= {json.dumps(ordered), str(ordered)}
    else:
        texts = {str(answer), json.dumps(answer), authors().get(answer, str(answer))}
    return texts | {f"{item_id}{sep}{text}" for text in texts for sep in (":", "=", ": ")}


def _graded_items(key_file: Path) -> list[Item]:
    return [
        item
        for assignment in assignments(key_file)
        for item in load_items(assignment, key_file=key_file)
    ]


@functools.cache
def _private_quotes(key_file: Path) -> frozenset[str]:
    """Quotes that anchor attribution and plan items (Assignment 2's): they would point to the answer,
    so they stay in the key."""
    key = key_data(key_file)
    public = {r.quote for r in load_answer_key(key_file)}
    sections = anchored_sections(assignments(key_file))
    anchors = {r["quote"] for section in sections for r in key.get(section) or ()}
    return frozenset(anchors - public)


@functools.cache
def fingerprints(key_file: Path) -> tuple[dict[str, tuple[Answer, ...]], frozenset[str]]:
    """(graded id -> full-credit answers, forbidden literal strings) for the whole key."""
    answers = {item.id: item.full_credit for item in _graded_items(key_file)}
    literals = set()
    for recommendation in load_answer_key(key_file):
        literals.add(_normalise(recommendation.action))
        if recommendation.note:
            literals.add(_normalise(recommendation.note))
    literals |= {_normalise(p.summary) for p in load_key_positions(key_file).values()}
    for item_id, full_credit in answers.items():
        for answer in full_credit:
            for form in _answer_forms(item_id, answer):
                literals |= {hashlib.new(name, form.encode()).hexdigest() for name in DIGESTS}
    return answers, frozenset(literals)


def _actors_after(text: str, start: int) -> frozenset[str]:
    """The actor set written right after an id (e.g. `"R00": "Seoul, Kim"`), if any."""
    window = ACTOR_WINDOW.match(text, start)
    return _actors_in(window.group(1) if window else "")


@functools.lru_cache(maxsize=4096)
def _actors_in(window: str) -> frozenset[str]:
    codebook = load_codebook()
    codes: set[str] = set()
    start = 0
    for separator in [*ANSWER_SEPARATORS.finditer(window), None]:
        token = window[start : separator.start() if separator else len(window)]
        code = codebook.resolve_actor(token.strip(" \"'[](){}"))
        if code is None:
            break
        codes.add(code)
        start = separator.end() if separator else len(window)
    return frozenset(codes)


def _answer_follows(text: str, start: int, answer: Answer) -> bool:
    if isinstance(answer, frozenset):
        return _actors_after(text, start) == answer
    shown = {str(answer), authors().get(answer, str(answer))}
    return any(_answer_pattern(v).match(text, start) for v in shown)


def _hex_windows(text: str) -> set[str]:
    """Every digest-long stretch of every lower-case hex run: one pass, however many digests are sought."""
    lengths = {hashlib.new(name).digest_size * 2 for name in DIGESTS}
    windows = set()
    for run in HEX_RUN.finditer(text):
        hexes = run.group()
        windows |= {hexes[i : i + n] for n in lengths for i in range(len(hexes) - n + 1)}
    return windows


@functools.cache
def _answer_pattern(answer: str) -> re.Pattern[str]:
    return re.compile(rf"[^\w\n]{{0,12}}{re.escape(answer)}(?![\w-])", re.IGNORECASE)


def leaks_in_text(text: str, assignment_material: bool = False, *, key_file: Path) -> list[str]:
    """Leaks in one text of anything from the course's key (`key_file`); `assignment_material`
    (a release or feedback) also forbids private quotes."""
    answers, literals = fingerprints(key_file)
    if assignment_material:
        literals |= {_normalise(q) for q in _private_quotes(key_file)}
    flat = _normalise(text)
    digests = {literal for literal in literals if HEX_DIGEST.fullmatch(literal)}
    phrases = sorted(literals - digests)
    found = [f"key text or digest: {literal[:60]!r}" for literal in phrases if literal in flat]
    found += [f"key text or digest: {digest!r}" for digest in sorted(_hex_windows(flat) & digests)]
    shown: set[str] = set()  # each id is reported once: a page of repeats stays a short list
    for match in ITEM_ID.finditer(text):
        full_credit = () if match.group(1) in shown else answers.get(match.group(1), ())
        if any(_answer_follows(text, match.end(), answer) for answer in full_credit):
            shown.add(match.group(1))
            found.append(f"{match.group(1)} with its answer: {text[match.start() : match.end() + 40]!r}")
    return found


def leaks_in_files(
    paths: Iterable[Path], assignment_material: bool = False, *, key_file: Path
) -> dict[Path, list[str]]:
    report = {}
    for path in paths:
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            size = path.stat().st_size
            if size > MAX_SCAN_BYTES:
                report[path] = [f"too large to screen ({size:,} bytes; at most {MAX_SCAN_BYTES:,})"]
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            leaks = leaks_in_text(text, assignment_material, key_file=key_file)
            if leaks:
                report[path] = leaks
    return report
