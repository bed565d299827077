"""Recommendations: who must act on what, anchored to a verbatim quote in a numbered paragraph.

Worked examples ship with the package (the lessons show them). Every other recommendation is in
the instructor-only answer key, which only the grader reads (`peninsula.grader.key`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from peninsula.paths import PACKAGE_DATA
from peninsula.yaml_files import read_yaml

WORKED_EXAMPLES_FILE = PACKAGE_DATA / "worked_examples.yaml"

FIELDS = (
    "id", "text", "paragraph", "quote", "action", "actors", "accepted", "targets",
    "condition", "issue", "explicit", "autograde", "note",
)


@dataclass(frozen=True)
class Recommendation:
    id: str
    text: str
    paragraph: str
    quote: str
    action: str
    actors: frozenset[str]
    accepted: tuple[frozenset[str], ...]
    targets: frozenset[str]
    condition: str | None
    issue: str
    explicit: bool
    autograde: bool
    note: str | None
    worked_example: bool = False

    @property
    def full_credit_sets(self) -> tuple[frozenset[str], ...]:
        return (self.actors, *self.accepted)

    @classmethod
    def from_record(cls, record: dict) -> Recommendation:
        return cls(
            id=record["id"],
            text=record["text"],
            paragraph=record["paragraph"],
            quote=record["quote"],
            action=record["action"],
            actors=frozenset(record["actors"]),
            accepted=tuple(frozenset(s) for s in record.get("accepted") or ()),
            targets=frozenset(record.get("targets") or ()),
            condition=record.get("condition"),
            issue=record["issue"],
            explicit=bool(record["explicit"]),
            autograde=bool(record["autograde"]),
            note=record.get("note"),
            worked_example=bool(record.get("worked_example", False)),
        )


def read_records(path: Path, section: str) -> list[dict]:
    """The raw records of one section of a YAML data file."""
    data = read_yaml(path) or {}
    return list(data.get(section) or [])


def load_worked_examples(path: Path = WORKED_EXAMPLES_FILE) -> list[Recommendation]:
    return [Recommendation.from_record(r) for r in read_records(path, "recommendations")]
