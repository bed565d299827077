"""The course's assignments, as data: `assignments.yaml`, beside the answer key.

Each assignment declares its parts (each one hidden test cell, scored from the answer cell's text),
where each part's items come from in the key (their family and section), and its notebook's layout,
cell by cell. The notebook builder, the scorer, the leak screen and the site read it; adding an
assignment means adding an entry here and its items to the key (course/README.md says how).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from peninsula.yaml_files import SAFE_LOADER

ASSIGNMENTS_FILE = "assignments.yaml"
FORMAT_CHECK_ID = "format_check"
HIDDEN_PREFIX = "hidden_"
#: Item families: how a part's items are read from its key section, and the letter their ids start with.
FAMILIES = {"recommendations": "R", "attributions": "A", "stances": "S", "plan_b": "P", "evidence": "E"}
#: Families whose items the key anchors to a paragraph and quote of their own (not the item's prompt).
QUOTE_ANCHORED = ("attributions", "plan_b")
#: The cells a layout can hold. `answers`, `format_check` and `hidden` (one cell per part) are the
#: cells graded from the answer cell's text; `hand_graded` is a question and its hand-graded answer.
CELL_KINDS = ("markdown", "setup", "answers", "format_check", "hidden", "hand_graded")


class RegistryError(ValueError):
    """assignments.yaml cannot be read; the message names the file and the entry."""


@dataclass(frozen=True)
class Part:
    """One part of an assignment: one hidden test cell, worth one point per item."""

    id: str
    title: str  # as the notebook and the feedback page name it: "the Trivedi recommendations"
    instructions: str  # the line above the part's items in the answer cell
    family: str  # one of FAMILIES
    section: str  # the key's section the items come from
    text: str | None  # recommendations only: the text whose recommendations these are


@dataclass(frozen=True)
class Cell:
    """One entry of a notebook's layout."""

    kind: str  # one of CELL_KINDS
    id: str | None = None
    text: str | None = None  # markdown, with {placeholders} the builder fills
    points: int | None = None  # hand_graded only


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    preamble: str  # the answer cell's first comment lines (how to type an answer)
    parts: tuple[Part, ...]
    layout: tuple[Cell, ...]

    @property
    def part_ids(self) -> tuple[str, ...]:
        return tuple(part.id for part in self.parts)

    @property
    def graded_from_text(self) -> frozenset[str]:
        """The grade ids scored from the answer cell's text: the format check and each part's cell."""
        return frozenset({FORMAT_CHECK_ID, *(HIDDEN_PREFIX + part for part in self.part_ids)})


def anchored_sections(assignments: dict[str, Assignment]) -> set[str]:
    """The key's sections whose items carry their own paragraph and quote (QUOTE_ANCHORED families)."""
    return {part.section for a in assignments.values() for part in a.parts if part.family in QUOTE_ANCHORED}


def assignments_beside(key_file: Path) -> Path:
    """The registry of the course whose answer key is `key_file`."""
    return key_file.with_name(ASSIGNMENTS_FILE)


def load_assignments(path: Path) -> dict[str, Assignment]:
    """Every assignment of a course, by id, in the registry's order."""
    if not path.is_file():
        raise RegistryError(f"{path}: no assignments registry here; it sits beside the answer key")
    return _load(path, path.read_text(encoding="utf-8"))  # parsed once per content: a small file


@functools.cache
def _load(path: Path, text: str) -> dict[str, Assignment]:
    try:
        data = yaml.load(text, Loader=SAFE_LOADER) or {}
        assignments = [_assignment(record) for record in data["assignments"]]
    except (yaml.YAMLError, KeyError, TypeError, AttributeError, ValueError) as error:
        raise RegistryError(f"{path}: {_describe(error)}") from error
    return {assignment.id: assignment for assignment in assignments}


def _describe(error: Exception) -> str:
    return f"missing field {error}" if isinstance(error, KeyError) else str(error)


def _assignment(record: dict) -> Assignment:
    where = f"assignment {record.get('id')!r}"
    parts = tuple(_part(p, where) for p in record["parts"])
    layout = tuple(_cell(c, where) for c in record["layout"])
    kinds = [cell.kind for cell in layout]
    for needed in ("setup", "answers", "format_check", "hidden"):
        if kinds.count(needed) != 1:
            raise ValueError(f"{where}: its layout needs exactly one {needed!r} cell")
    return Assignment(record["id"], record["title"], record["preamble"], parts, layout)


def _part(record: dict, where: str) -> Part:
    family = record["family"]
    if family not in FAMILIES:
        raise ValueError(f"{where}, part {record.get('id')!r}: family {family!r} is not one of "
                         f"{', '.join(FAMILIES)}")
    section = record.get("section", family)
    return Part(record["id"], record["title"], record["instructions"], family, section, record.get("text"))


def _cell(record: dict, where: str) -> Cell:
    kind = record["cell"]
    if kind not in CELL_KINDS:
        raise ValueError(f"{where}: layout cell {kind!r} is not one of {', '.join(CELL_KINDS)}")
    if kind in ("markdown", "hand_graded") and not (record.get("id") and record.get("text")):
        raise ValueError(f"{where}: a {kind} cell needs an id and a text")
    if kind == "hand_graded" and not isinstance(record.get("points"), int):
        raise ValueError(f"{where}: hand-graded cell {record['id']!r} needs whole points")
    return Cell(kind, record.get("id"), record.get("text"), record.get("points"))
