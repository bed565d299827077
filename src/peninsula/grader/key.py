"""The instructor-only answer key of a course, read into graded items.

The key is `answer_key.yaml` in the course's source folder (`Course.key_file`), which every reader
here is given: none looks for it from the working folder. Only the grader's process reads it: the
kernel that runs a student's code never sees the file.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from peninsula.answers import Answer, authors
from peninsula.codebook import load_codebook
from peninsula.grader.registry import FAMILIES, Assignment, Part, assignments_beside, load_assignments
from peninsula.positions import Position, load_positions
from peninsula.recommendations import Recommendation, read_records
from peninsula.yaml_files import read_yaml


@dataclass(frozen=True)
class Item:
    """One graded item. `prompt` and `where` are public; `full_credit` is the answer."""

    id: str
    part: str
    prompt: str
    where: str | None
    full_credit: tuple[Answer, ...]


def _existing(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no answer key here; only the instructor's course folder has one")
    return path


def load_answer_key(path: Path) -> list[Recommendation]:
    """Every recommendation in the answer key."""
    return [Recommendation.from_record(r) for r in read_records(_existing(path), "recommendations")]


def load_key_positions(path: Path) -> dict[tuple[str, str], Position]:
    """The graded positions (the key's `positions:` section)."""
    return load_positions(_existing(path))


def assignments(key_file: Path) -> dict[str, Assignment]:
    """The course's assignments: the registry beside its key."""
    return load_assignments(assignments_beside(key_file))


def load_items(assignment: str, part: str | None = None, *, key_file: Path) -> list[Item]:
    """The graded items of an assignment (or of one part)."""
    registry = assignments(key_file)
    if assignment not in registry:
        raise KeyError(f"{assignment!r} is not an assignment; choose from {', '.join(registry)}")
    items = _items(registry[assignment], _existing(key_file))
    return [item for item in items if part is None or item.part == part]


def key_data(key_file: Path) -> dict:
    """The key file's sections as parsed YAML, read once per version of the file: every reader of
    the key starts here (do not change what it returns)."""
    stat = key_file.stat()
    return _parsed_key(key_file, stat.st_mtime_ns, stat.st_size)


@functools.cache
def _parsed_key(path: Path, modified: int, size: int) -> dict:
    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the answer key must be a mapping of sections")
    return data


@functools.cache
def _items(assignment: Assignment, path: Path) -> tuple[Item, ...]:
    key = key_data(path)
    items = tuple(item for part in assignment.parts for item in FAMILY_READERS[part.family](key, part))
    parts = {part.id: part for part in assignment.parts}
    for item in items:
        part = parts[item.part]
        if not item.id.startswith(FAMILIES[part.family]):  # the answer's reader goes by the id's letter
            raise ValueError(f"{path}: {item.id} (section {part.section}) must start with "
                             f"{FAMILIES[part.family]}, the letter of {part.family} items")
    return items


def _recommendations(key: dict, part: Part) -> list[Item]:
    recommendations = [Recommendation.from_record(r) for r in key.get(part.section) or ()]
    return [
        Item(r.id, part.id, " ".join(r.quote.split()), r.paragraph, r.full_credit_sets)
        for r in recommendations
        if r.autograde and part.text in (None, r.text)
    ]


def _stances(key: dict, part: Part) -> list[Item]:
    names = load_codebook().issues
    stances = [
        (f"{authors()[text_id]} · {names[issue].name}", (record["stance"], *(record.get("accepted") or ())))
        for issue, by_text in (key.get(part.section) or {}).items()
        for text_id, record in by_text.items()
    ]
    return [Item(f"S{n:02d}", part.id, label, None, full) for n, (label, full) in enumerate(stances, 1)]


def _section(prompt: str, full_credit: Callable[[dict], tuple]) -> Callable[[dict, Part], list[Item]]:
    def read(key: dict, part: Part) -> list[Item]:
        return [Item(r["id"], part.id, r[prompt], None, full_credit(r)) for r in key.get(part.section) or ()]

    return read


#: How each item family (registry.FAMILIES) is read from its section of the key.
FAMILY_READERS: dict[str, Callable[[dict, Part], list[Item]]] = {
    "recommendations": _recommendations,
    "attributions": _section("statement", lambda r: (r["author"],)),
    "stances": _stances,
    "plan_b": _section("action", lambda r: (r["condition"],)),
    "evidence": _section("claim", lambda r: tuple(r["accepted"])),
}


def model_answers(assignment: str, key_file: Path) -> dict[str, object]:
    """A full-marks `answers` dictionary, built from the key (for the solution notebook only)."""
    codebook = load_codebook()

    def shown(item: Item) -> object:
        best = item.full_credit[0]
        if item.id[0] == "R":
            return ", ".join(codebook.actors[code].name for code in sorted(best))
        return authors()[best] if item.id[0] == "A" else best

    return {item.id: shown(item) for item in load_items(assignment, key_file=key_file)}
