"""Search student-facing files (releases, feedback, the package) for anything from the answer key.

A leak is: a recommendation id followed by its answer (codes, names or aliases, in any order and
case), a digest of an answer, a rationale note or paraphrase, or a graded position's summary.
Public quotes from the texts are not leaks.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from peninsula.codebook import load_codebook
from peninsula.positions import load_key_positions
from peninsula.recommendations import load_answer_key

TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".ipynb", ".txt", ".json", ".html", ".csv", ".cfg", ".toml"}
ANSWER_SEPARATORS = re.compile(r"\s*(?:,|;|/|&|\band\b|\+)\s*")


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _answer_forms(actors: frozenset[str]) -> set[str]:
    """The ways a program might serialise an actor set before hashing it."""
    ordered = sorted(actors)
    return {",".join(ordered), ", ".join(ordered), " ".join(ordered), json.dumps(ordered), str(ordered),
            "|".join(ordered), ";".join(ordered)}  # fmt: skip


@functools.cache
def fingerprints() -> tuple[dict[str, tuple[frozenset[str], ...]], frozenset[str]]:
    """(id -> full-credit actor sets, forbidden literal strings) for the whole key."""
    answers, literals = {}, set()
    for item in load_answer_key():
        answers[item.id] = item.full_credit_sets
        literals.add(_normalise(item.action))
        if item.note:
            literals.add(_normalise(item.note))
        for actors in item.full_credit_sets:
            for form in _answer_forms(actors) | {f"{item.id}:{f}" for f in _answer_forms(actors)}:
                for algorithm in ("md5", "sha1", "sha256"):
                    literals.add(hashlib.new(algorithm, form.encode()).hexdigest())
    for position in load_key_positions().values():
        literals.add(_normalise(position.summary))
    return answers, frozenset(literals)


def _answer_after(text: str, start: int) -> frozenset[str]:
    """The actor set written right after an id (e.g. `"R00": "Seoul, Kim"`), if any."""
    codebook = load_codebook()
    window = re.match(r"[^\w\n]{0,12}(?:actors[^\w\n]{0,6})?([^\n]{0,80})", text[start:])
    codes: set[str] = set()
    for token in ANSWER_SEPARATORS.split(window.group(1) if window else ""):
        code = codebook.resolve_actor(token.strip(" \"'[](){}"))
        if code is None:
            break
        codes.add(code)
    return frozenset(codes)


def leaks_in_text(text: str) -> list[str]:
    answers, literals = fingerprints()
    found = [f"key text or digest: {literal[:60]!r}" for literal in literals if literal in _normalise(text)]
    for match in re.finditer(r"\b(R\d{2})\b", text):
        given = _answer_after(text, match.end())
        if given and given in answers.get(match.group(1), ()):
            found.append(f"{match.group(1)} with its answer: {text[match.start() : match.end() + 40]!r}")
    return found


def leaks_in_files(paths: Iterable[Path]) -> dict[Path, list[str]]:
    report = {}
    for path in paths:
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            leaks = leaks_in_text(path.read_text(encoding="utf-8", errors="replace"))
            if leaks:
                report[path] = leaks
    return report
