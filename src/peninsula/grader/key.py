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
from peninsula.positions import Position, load_positions
from peninsula.recommendations import Recommendation, read_records
from peninsula.yaml_files import read_yaml

#: The parts of each assignment; each part is one hidden test cell.
PARTS: dict[str, tuple[str, ...]] = {
    "who_must_act": ("trivedi", "cronin"),
    "comparing_positions": ("attributions", "stances", "plan_b", "evidence"),
}
# libyaml's safe loader (in PyYAML's wheels) parses the key about 7x faster than the pure-Python one.


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


def load_items(assignment: str, part: str | None = None, *, key_file: Path) -> list[Item]:
    """The graded items of an assignment (or of one part)."""
    if assignment not in PARTS:
        raise KeyError(f"{assignment!r} is not an assignment; choose from {', '.join(PARTS)}")
    items = _items(assignment, _existing(key_file))
    return [item for item in items if part is None or item.part == part]


@functools.cache
def _items(assignment: str, path: Path) -> tuple[Item, ...]:
    key = read_yaml(path) or {}
    return tuple(_who_must_act(key) if assignment == "who_must_act" else _comparing_positions(key))


def _who_must_act(key: dict) -> list[Item]:
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


def model_answers(assignment: str, key_file: Path) -> dict[str, object]:
    """A full-marks `answers` dictionary, built from the key (for the solution notebook only)."""
    codebook = load_codebook()

    def shown(item: Item) -> object:
        best = item.full_credit[0]
        if item.id[0] == "R":
            return ", ".join(codebook.actors[code].name for code in sorted(best))
        return authors()[best] if item.id[0] == "A" else best

    return {item.id: shown(item) for item in load_items(assignment, key_file=key_file)}
