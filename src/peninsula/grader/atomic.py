"""Writes that survive being killed: a reader sees the old file or the new one, never half of one.

A grading run can be killed at any moment (SIGKILL, a full disk, a stopped database). nbgrader
writes each student's graded notebook and feedback page in place, so a folder that exists says
nothing about whether its work finished. The kit therefore writes a per-student "done" marker
last, after the autograde, the gradebook rows and the feedback page are all written, and trusts
nothing without it: a rerun grades again every student whose marker is missing or stale, and
release-feedback holds back their pages.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

INTERRUPTED = "an earlier grading run stopped before this student was finished; graded again"
RERUN_IS_SAFE = "What was finished is kept; a plain rerun of the same command completes the rest."


def write_atomic(target: Path, text: str, encoding: str = "utf-8") -> None:
    """Write `text` to a temporary file in the target's folder, fsync it, then rename it over the
    target (atomic on one filesystem), and fsync the folder so the rename itself is on disk."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding=encoding, newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    fsync_folder(target.parent)


def fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def done_marker(autograded: Path, student: str, assignment: str) -> Path:
    """autograded/<student>/.<assignment>.done, beside (not inside) the folder nbgrader rewrites,
    so that nbgrader never copies it into feedback and a forced autograde cannot leave it behind."""
    return autograded / student / f".{assignment}.done"


def submission_stamp(submitted: Path) -> str:
    """What identifies one submission: nbgrader's timestamp.txt (an LMS download may have none)."""
    stamp = submitted / "timestamp.txt"
    return stamp.read_text(encoding="utf-8").strip() if stamp.exists() else "no timestamp"


def is_done(marker: Path, submitted: Path) -> bool:
    """The marker exists and names this very submission (a resubmission makes it stale)."""
    try:
        return marker.read_text(encoding="utf-8") == submission_stamp(submitted)
    except OSError:
        return False


def mark_started(marker: Path) -> None:
    """Forget the old marker before touching anything it vouched for."""
    with contextlib.suppress(FileNotFoundError):
        marker.unlink()
    if marker.parent.is_dir():
        fsync_folder(marker.parent)


def mark_done(marker: Path, submitted: Path) -> None:
    write_atomic(marker, submission_stamp(submitted))


def mark_failed(marker: Path, submitted: Path) -> None:
    """The run finished this student without a graded copy: not done (a rerun tries again), but not
    interrupted either."""
    write_atomic(marker, f"failed: {submission_stamp(submitted)}")


def is_disk_full(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


def is_database_down(error: BaseException) -> bool:
    """The gradebook's server went away or refused us (sqlalchemy's OperationalError and kin)."""
    names = {cls.__name__ for cls in type(error).__mro__}
    return bool(names & {"OperationalError", "InterfaceError", "DisconnectionError"})


# ------------------------------------------------------------------------------------------ collect
# nbgrader's collect replaces a student's submitted/ folder in place (rmtree, then copytree) and
# skips any folder whose timestamp.txt matches the exchange's. A collect killed mid-copy, or one
# that copied a submission still being written (nbgrader's submit writes timestamp.txt and
# submission_secret.txt after the notebook), leaves a partial copy that every later collect keeps.
# So each collect first and last compares every collected folder with the exchange submission it
# names, and removes the partial ones for nbgrader to copy again.
