"""Where the student side finds its files: the package data, and the texts next to the lessons.

The texts are not part of the package (an instructor may use their own copies, or leave them out
of a public deployment). They are found, in order: in `$PENINSULA_TEXTS`; in a `source_texts/`
folder in the working folder (a lesson's kernel runs in the lesson's folder) or any folder above
it, which is how a clone, an nbgitpuller folder, a hub's shared folder or an LMS download lays
them out.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DATA = Path(__file__).resolve().parent / "data"

#: Set this to a folder of texts in the same format to use your own copies.
TEXTS_ENV = "PENINSULA_TEXTS"
TEXTS_FOLDER = "source_texts"


class TextsNotFound(FileNotFoundError):
    """No folder of texts was found; the message says what to do."""


def nearest(name: str, start: Path | None = None, folder: bool = True) -> Path | None:
    """`name` (a folder, or a file) in the nearest folder at or above `start` (default: the working
    folder); None if there is none. The one way the kit looks upward for its files."""
    here = (start or Path.cwd()).resolve()
    for place in (here, *here.parents):
        found = place / name
        if found.is_dir() if folder else found.is_file():
            return found
    return None


def texts_dir(start: Path | None = None) -> Path:
    """The folder of source texts: `$PENINSULA_TEXTS` if set, else the nearest `source_texts/`."""
    override = os.environ.get(TEXTS_ENV)
    if override:
        return Path(override).expanduser()
    found = nearest(TEXTS_FOLDER, start)
    if found:
        return found
    here = (start or Path.cwd()).resolve()
    raise TextsNotFound(
        f"The lesson texts were not found: no {TEXTS_FOLDER}/ folder in {here} or any folder above it. "
        f"Put the {TEXTS_FOLDER}/ folder you were given next to the lessons (in the same folder as the "
        f"notebooks, or the one above), or set the environment variable {TEXTS_ENV} to its path."
    )
