"""Where the kit finds its files: the course root, the texts, and the package data."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DATA = Path(__file__).resolve().parent / "data"

#: Set this to a folder of texts in the same format to use your own copies.
TEXTS_ENV = "PENINSULA_TEXTS"


def course_root() -> Path:
    """The repository root (the nbgrader course root) of an editable install."""
    return Path(__file__).resolve().parents[2]


def texts_dir() -> Path:
    """The folder of source texts: `$PENINSULA_TEXTS` if set, else `source_texts/`."""
    override = os.environ.get(TEXTS_ENV)
    return Path(override).expanduser() if override else course_root() / "source_texts"


def answer_key_file() -> Path:
    """The instructor-only answer key. It exists only in the instructor's course folder."""
    return course_root() / "course" / "answer_key.yaml"
