"""The course the grader works on: an nbgrader course root, found the way nbgrader finds it.

A course is the folder holding `nbgrader_config.py`: the folder a command runs in (or the nearest
one above it), or `--course DIR`. Its key, gradebook, sources and exchange settings all come from
there, never from where the package is installed, so two course folders can share one environment.
Only the command line finds the course from the working folder (`open_course`), and nbgrader's steps
take it from nbgrader's config (`course_of`); everything else is handed a `Course`.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from peninsula.grader.registry import Assignment, assignments_beside, load_assignments
from peninsula.paths import TEXTS_ENV, nearest, texts_dir

CONFIG_FILE = "nbgrader_config.py"
KEY_FILE = "answer_key.yaml"


class PipelineError(RuntimeError):
    """A step that cannot go on; the message says what to do."""


def find_course_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` (default: the working folder) with an nbgrader_config.py."""
    if start is not None and not start.is_dir():
        raise PipelineError(f"{start}: no such folder; --course takes a course folder (with {CONFIG_FILE})")
    config = nearest(CONFIG_FILE, start, folder=False)
    if config:
        return config.parent
    here = (start or Path.cwd()).resolve()
    raise PipelineError(
        f"{here} is not inside an nbgrader course (no {CONFIG_FILE} here or above); "
        "run this in the course folder, or pass --course DIR"
    )


@dataclass(frozen=True)
class Course:
    """An nbgrader course folder."""

    root: Path
    #: The configuration nbgrader runs with, when one of its steps made this Course (`course_of`).
    running_config: object = field(default=None, compare=False, repr=False)

    @functools.cached_property
    def config(self):
        """The course's nbgrader configuration: the one nbgrader runs with, else the site and user
        files, then the course's own."""
        from traitlets.config.loader import PyFileConfigLoader

        if self.running_config is not None:
            return self.running_config
        config = site_config()
        config.merge(PyFileConfigLoader(CONFIG_FILE, path=str(self.root)).load_config())
        config.CourseDirectory.root = str(self.root)
        return config

    @property
    def source(self) -> Path:
        """The instructor's source folder (nbgrader's `source_directory`, "course" here)."""
        return self.root / self.config.CourseDirectory.get("source_directory", "source")

    @property
    def texts(self) -> Path:
        """The course's texts: `$PENINSULA_TEXTS`, else the nearest source_texts/ at or above the course."""
        return texts_dir(self.root)

    def use_texts(self) -> None:
        """Make every reader of the texts in this process read the course's, wherever it runs."""
        os.environ.setdefault(TEXTS_ENV, str(self.texts))

    @property
    def key_file(self) -> Path:
        """The instructor-only answer key, beside the assignments' sources."""
        return self.source / KEY_FILE

    @property
    def assignments_file(self) -> Path:
        """The registry of the course's assignments (`peninsula.grader.registry`), beside the key."""
        return assignments_beside(self.key_file)

    def kit_assignments(self) -> dict[str, Assignment]:
        """The assignments the kit grades from text, by id; none in a course without a registry
        (an instructor's own nbgrader course, which nbgrader grades as it always does)."""
        return load_assignments(self.assignments_file) if self.assignments_file.is_file() else {}

    def folder(self, kind: str, *parts: str) -> Path:
        return self.root.joinpath(kind, *parts)

    def notebooks(self, assignment: str) -> list[str]:
        source = self.source / assignment
        if not source.is_dir():
            known = [p.parent.name for p in sorted(self.source.glob("*/*.ipynb"))]
            raise PipelineError(
                f"no assignment {assignment!r} in {self.source.name}/; it has: {', '.join(known)}"
            )
        return sorted(p.name for p in source.glob("*.ipynb"))

    def api(self):
        """nbgrader's Python API, configured from this course's nbgrader_config.py."""
        put_environment_on_path()
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        config = self.config.copy()
        coursedir = CourseDirectory(config=config)
        if coursedir.db_url.startswith("sqlite") and "timeout=" not in coursedir.db_url:
            # Parallel graders wait for sqlite's write lock instead of failing after 5 s.
            config.CourseDirectory.db_url = f"{coursedir.db_url}?timeout=120"
            coursedir = CourseDirectory(config=config)
        return NbGraderAPI(coursedir, config=config)

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        """Run the nbgrader command line in the course folder."""
        put_environment_on_path()
        command = [str(Path(sys.executable).parent / "nbgrader"), *args]
        return subprocess.run(command, cwd=self.root, capture_output=True, text=True)


def open_course(folder: str | Path | None = None) -> Course:
    """The course a command works on: `folder` (its --course), else the one the working folder is in.
    Its texts become the ones this process reads."""
    course = Course(find_course_root(Path(folder) if folder else None))
    course.use_texts()
    return course


def course_of(config) -> Course:
    """The course an nbgrader step works on, with the configuration nbgrader runs with: its
    `CourseDirectory.root`, which nbgrader itself defaults to the folder it runs in."""
    from nbgrader.coursedir import CourseDirectory

    return Course(Path(CourseDirectory(config=config).root), config)


def site_config():
    """The system-wide and user nbgrader_config.py files, in the order nbgrader reads them."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    for folder in reversed(jupyter_config_path()):
        if (Path(folder) / CONFIG_FILE).is_file():
            config.merge(PyFileConfigLoader(CONFIG_FILE, path=folder).load_config())
    return config


def put_environment_on_path() -> None:
    """nbgrader runs `alembic` from PATH when it creates a gradebook, so this environment's bin
    folder must be on PATH even when the kit is run as .venv/bin/peninsula without activating."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
