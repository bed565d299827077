"""Read a folder a student controls without trusting it: regular files only, sizes capped.

Every walk opens folders and files by descriptor, relative to their parent and without following
links, so a link swapped in mid-walk fails to open instead of leading elsewhere. Nothing here
reads past a cap: a 1 GB sparse file is refused from its size, not copied.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

MiB = 1024 * 1024
OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
OPEN_FOLDER = OPEN_FILE | os.O_DIRECTORY
# Names where nbgrader puts a file: a folder by one of these names is refused, not walked.
FILE_NAMES = {"timestamp.txt", "submission_secret.txt"}
FILE_SUFFIXES = (".ipynb",)
MAX_DEPTH = 8


@dataclass(frozen=True)
class Limits:
    """Caps on what one submission may hold (bytes, and a count of entries)."""

    notebook: int = 8 * MiB
    file: int = 2 * MiB
    submission: int = 16 * MiB
    entries: int = 100

    def cap_for(self, relative: str) -> tuple[int, str]:
        return (self.notebook, "notebook") if relative.endswith(".ipynb") else (self.file, "file")


class Refused(Exception):
    """One entry that is not taken; the message says why."""


@dataclass
class Listing:
    """What a submission folder holds: its regular files (relative path -> stat) and what was refused."""

    files: dict[str, os.stat_result] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    changed: float = 0.0  # the latest change time (ctime) of the folder and everything in it
    problem: str = ""  # set when the folder as a whole is refused

    @property
    def size(self) -> int:
        return sum(s.st_size for s in self.files.values())


def kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a folder" if stat.S_ISDIR(mode) else "a regular file"


def shown(relative: str) -> str:
    """A student's file name as it can be printed safely (control characters escaped)."""
    return relative if relative.isprintable() else ascii(relative)


def megabytes(size: int) -> str:
    return f"{size / MiB:.1f} MB"


def list_folder(folder_fd: int, limits: Limits, owner: int | None = None) -> Listing:
    """Every entry below an open folder, each regular file checked against the caps (and, with
    `owner`, against that owner). Nothing is read."""
    listing = Listing(changed=os.fstat(folder_fd).st_ctime)
    for count, (relative, status) in enumerate(_entries(folder_fd, "", 0, listing), start=1):
        if count > limits.entries:
            listing.problem = f"more than {limits.entries} files and folders"
            return listing
        listing.changed = max(listing.changed, status.st_ctime)
        name = relative.rsplit("/", 1)[-1]
        cap, what = limits.cap_for(relative)
        if owner is not None and status.st_uid != owner:
            listing.refused.append(f"{shown(relative)}: belongs to {account_name(status.st_uid)}")
        elif stat.S_ISDIR(status.st_mode):
            if name in FILE_NAMES or name.endswith(FILE_SUFFIXES):
                listing.refused.append(f"{shown(relative)}: a folder where a file belongs")
        elif not stat.S_ISREG(status.st_mode):
            listing.refused.append(f"{shown(relative)}: {kind(status.st_mode)}, not a regular file")
        elif status.st_size > cap:
            listing.refused.append(
                f"{shown(relative)}: {megabytes(status.st_size)}, over the {megabytes(cap)} cap for a {what}"
            )
        else:
            listing.files[relative] = status
    if listing.size > limits.submission:
        listing.problem = (
            f"its files hold {megabytes(listing.size)}, over the {megabytes(limits.submission)} cap"
        )
    return listing


def _entries(
    folder_fd: int, prefix: str, depth: int, listing: Listing
) -> Iterator[tuple[str, os.stat_result]]:
    """(relative path, lstat) of every entry; walks into real folders only (not into one where a
    file belongs, nor past MAX_DEPTH)."""
    for name in sorted(os.listdir(folder_fd)):
        relative = f"{prefix}{name}"
        try:
            status = os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
        except FileNotFoundError:  # removed while listed
            continue
        yield relative, status
        if not stat.S_ISDIR(status.st_mode) or name in FILE_NAMES or name.endswith(FILE_SUFFIXES):
            continue
        if depth >= MAX_DEPTH:
            listing.refused.append(f"{shown(relative)}: folders nested deeper than {MAX_DEPTH}")
            continue
        try:
            child = os.open(name, OPEN_FOLDER, dir_fd=folder_fd)
        except OSError as error:
            listing.refused.append(f"{shown(relative)}: cannot be opened ({error.strerror})")
            continue
        try:
            yield from _entries(child, f"{relative}/", depth + 1, listing)
        finally:
            os.close(child)


def read_regular(folder_fd: int, relative: str, expected: os.stat_result, cap: int) -> tuple[bytes, float]:
    """The bytes of a file listed before, and its change time after reading; refused if it is no
    longer that same regular file, or grew past the cap."""
    parts = relative.split("/")
    opened: list[int] = []
    try:
        parent = folder_fd
        for part in parts[:-1]:
            parent = os.open(part, OPEN_FOLDER, dir_fd=parent)
            opened.append(parent)
        descriptor = os.open(parts[-1], OPEN_FILE, dir_fd=parent)
        opened.append(descriptor)
    except OSError as error:
        for fd in opened:
            os.close(fd)
        why = f"cannot be opened without following a link ({error.strerror})"
        raise Refused(f"{shown(relative)}: {why}") from None
    try:
        before = os.fstat(descriptor)
        same = (before.st_dev, before.st_ino) == (expected.st_dev, expected.st_ino)
        if not stat.S_ISREG(before.st_mode) or not same:
            raise Refused(f"{shown(relative)}: replaced while it was collected")
        chunks, total = [], 0
        while chunk := os.read(descriptor, min(MiB, cap + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > cap:
                raise Refused(f"{shown(relative)}: grew over the {megabytes(cap)} cap while it was collected")
        return b"".join(chunks), os.fstat(descriptor).st_ctime
    finally:
        for fd in opened:
            os.close(fd)


def copy_listing(folder_fd: int, listing: Listing, limits: Limits, destination: Path) -> float:
    """Copy the listed regular files into `destination`; returns the latest change time seen.
    A file that changed kind or grew since it was listed is moved to `listing.refused`."""
    changed = listing.changed
    for relative, status in list(listing.files.items()):
        try:
            data, ctime = read_regular(folder_fd, relative, status, limits.cap_for(relative)[0])
        except Refused as why:
            listing.refused.append(str(why))
            del listing.files[relative]
            continue
        target = destination.joinpath(*relative.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        changed = max(changed, ctime)
    return changed


def copy_regular_tree(source: Path, destination: Path, limits: Limits) -> list[str]:
    """Copy a folder's regular files (caps as for one submission each, no owner check); returns
    what was left out and why. For folders the instructor downloaded, e.g. from an LMS."""
    folder = os.open(source, OPEN_FOLDER)
    try:
        listing = list_folder(folder, Limits(limits.notebook, limits.file, 1 << 62, 1 << 62))
        copy_listing(folder, listing, limits, destination)
    finally:
        os.close(folder)
    return listing.refused


def account_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"
