"""Each author's stance on each issue, with a summary and evidence quotes.

The issues the lessons teach openly are in the package; the stances Assignment 2 grades are
only in the instructor's answer key (its `positions:` section, same format).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from peninsula.codebook import NOT_ADDRESSED
from peninsula.paths import PACKAGE_DATA
from peninsula.yaml_files import read_yaml

POSITIONS_FILE = PACKAGE_DATA / "positions.yaml"

Stance = int | str  # -2..2, or NOT_ADDRESSED


@dataclass(frozen=True)
class Evidence:
    paragraph: str
    quote: str


@dataclass(frozen=True)
class Position:
    issue: str
    text_id: str
    stance: Stance
    summary: str
    evidence: tuple[Evidence, ...]
    accepted: tuple[Stance, ...] = ()

    @property
    def addressed(self) -> bool:
        return self.stance != NOT_ADDRESSED


def read_position_records(path: Path) -> dict[str, dict[str, dict]]:
    """issue id -> text id -> raw record, from the `positions:` section of a YAML file."""
    data = read_yaml(path) or {}
    return data.get("positions") or {}


@functools.cache
def load_positions(path: Path = POSITIONS_FILE) -> dict[tuple[str, str], Position]:
    """(issue id, text id) -> Position, for every position in the file (read once per file)."""
    return {
        (issue, text_id): Position(
            issue=issue,
            text_id=text_id,
            stance=record["stance"],
            summary=" ".join(record["summary"].split()),
            evidence=tuple(Evidence(e["paragraph"], e["quote"]) for e in record.get("evidence") or ()),
            accepted=tuple(record.get("accepted") or ()),
        )
        for issue, by_text in read_position_records(path).items()
        for text_id, record in by_text.items()
    }
