"""nbgrader's filesystem exchange, trusting only what the operating system vouches for.

On a shared server every student can write into the exchange's inbound folder, so a submission
folder's name (`student+assignment+time+random`) and its `timestamp.txt` are claims, not facts.
These classes extend nbgrader's own and are selected through its `ExchangeFactory` config
(`configure_exchange`, called by the course's nbgrader_config.py and the hub's site config), so
`peninsula collect`, `nbgrader collect` and the Formgrader's buttons behave the same:

- collect takes a submission only from the unix account of the student it names (or from the
  collecting account itself: a private exchange, an instructor's test), and a refused folder never
  replaces anyone's work;
- the time it records in `submitted/<student>/<a>/timestamp.txt` (which autograde stores in the
  gradebook) is the latest change time (ctime) of the folder and everything in it, which no user
  can set back; the student's own claim is kept beside it in `claimed_timestamp.txt`;
- only regular files are copied, by descriptor and without following links, and sizes are capped;
- release refuses a release folder holding key material; release_feedback carries on past a
  student whose feedback cannot go out.
"""

from __future__ import annotations

import datetime as dt
import os
import pwd
import re
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange import ExchangeError
from nbgrader.exchange.default import ExchangeCollect, ExchangeReleaseAssignment, ExchangeReleaseFeedback
from nbgrader.utils import check_mode, parse_utc
from traitlets import Dict, Int, Unicode

from peninsula.grader.submission_files import (
    OPEN_FOLDER,
    Limits,
    Refused,
    account_name,
    copy_listing,
    list_folder,
    read_regular,
    shown,
)

# What a student id may look like: it becomes a folder name in submitted/.
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
CLAIMED_TIME = "claimed_timestamp.txt"
SECRET = "submission_secret.txt"
NBGRADER_TIME = "timestamp.txt"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"


def configure_exchange(c) -> None:
    """Select the kit's exchange classes in an nbgrader config (`c`)."""
    c.ExchangeFactory.collect = "peninsula.grader.exchange.PeninsulaCollect"
    c.ExchangeFactory.release_assignment = "peninsula.grader.exchange.PeninsulaReleaseAssignment"
    c.ExchangeFactory.release_feedback = "peninsula.grader.exchange.PeninsulaReleaseFeedback"


def use_kit_exchange(api) -> None:
    """The kit's exchange classes on an NbGraderAPI, whatever the course's config file says."""
    api.exchange.collect = PeninsulaCollect
    api.exchange.release_assignment = PeninsulaReleaseAssignment
    api.exchange.release_feedback = PeninsulaReleaseFeedback


def moment(seconds: float) -> dt.datetime:
    """A file time as nbgrader keeps times: naive UTC, to the microsecond."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None)


def utc_text(seconds: float) -> str:
    return moment(seconds).strftime(TIME_FORMAT)


@dataclass
class Note:
    """What collect did with one inbound folder."""

    folder: str
    student: str
    verdict: str  # collected | already collected | refused | not collected
    reason: str = ""

    @property
    def needs_attention(self) -> bool:
        """Refused, or collected with something left out."""
        return self.verdict == "refused" or "left out" in self.reason

    def __str__(self) -> str:
        return f"{shown(self.folder)}: {self.verdict}" + (f": {self.reason}" if self.reason else "")


@dataclass
class Candidate:
    folder: str
    student: str
    owner: int
    claimed: str
    changed: float
    listing: object


class PeninsulaCollect(ExchangeCollect):
    """nbgrader's collect, taking from the inbound folder only what its owner may submit."""

    account_name = Unicode(
        "{student_id}",
        help="A student's unix account from the id ('jupyter-{student_id}' on The Littlest JupyterHub).",
    ).tag(config=True)
    student_accounts = Dict(
        value_trait=Unicode(), help="Student id -> unix account, where account_name's pattern does not fit."
    ).tag(config=True)
    max_notebook_size = Int(Limits.notebook, help="Largest notebook collected (bytes).").tag(config=True)
    max_file_size = Int(Limits.file, help="Largest other file collected (bytes).").tag(config=True)
    max_submission_size = Int(Limits.submission, help="Largest whole submission (bytes).").tag(config=True)
    max_entries = Int(Limits.entries, help="Most files and folders in one submission.").tag(config=True)

    @property
    def limits(self) -> Limits:
        return Limits(self.max_notebook_size, self.max_file_size, self.max_submission_size, self.max_entries)

    def account_of(self, student: str) -> tuple[str, int | None]:
        name = self.student_accounts.get(student) or self.account_name.format(student_id=student)
        try:
            return name, pwd.getpwnam(name).pw_uid
        except KeyError:
            return name, None

    def init_src(self):
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.inbound_path = os.path.join(self.root, self.coursedir.course_id, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")
        if not check_mode(self.inbound_path, read=True, execute=True):
            self.fail(f"You don't have read permissions for the directory: {self.inbound_path}")
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gradebook:
            try:
                self.duedate = gradebook.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                self.duedate = None
        self.notes: list[Note] = []
        self.chosen: list[Candidate] = []
        inbound = os.open(self.inbound_path, OPEN_FOLDER)
        try:
            candidates: dict[str, list[Candidate]] = {}
            for name in sorted(os.listdir(inbound)):
                candidate = self._inspect(inbound, name)
                if candidate:
                    candidates.setdefault(candidate.student, []).append(candidate)
        finally:
            os.close(inbound)
        for student in sorted(candidates):
            self.chosen.append(self._choose(candidates[student]))
        others = any(c.owner != os.geteuid() for group in candidates.values() for c in group)
        if others and not os.stat(self.inbound_path).st_mode & stat.S_ISVTX:  # a shared exchange
            self.log.warning(
                "%s has no sticky bit: a student who learns a classmate's folder name can remove it "
                "(chmod +t fixes that)", self.inbound_path,
            )

    def _inspect(self, inbound: int, name: str) -> Candidate | None:
        """The folder as a candidate, or None (another assignment, or refused: noted)."""
        student, separator, rest = name.partition(f"+{self.coursedir.assignment_id}+")
        if not separator:
            return None
        if self.coursedir.student_id not in ("", "*") and student != self.coursedir.student_id:
            return None
        if not STUDENT_ID.fullmatch(student):
            self.notes.append(Note(name, student, "refused", "the name holds no valid student id"))
            return None
        account, uid = self.account_of(student)
        try:
            folder = os.open(name, OPEN_FOLDER, dir_fd=inbound)
        except OSError as error:
            path = os.path.join(self.inbound_path, name)
            what = (
                "a symbolic link"
                if os.path.islink(path)
                else "a folder"
                if os.path.isdir(path)
                else "not a folder"
            )
            self.notes.append(
                Note(name, student, "refused", f"{what} that cannot be opened ({error.strerror})")
            )
            return None
        try:
            owner = os.fstat(folder).st_uid
            if owner not in {uid, os.geteuid()}:
                whose = f"the account {account}" if uid is not None else f"no account {account} exists"
                reason = f"it belongs to {account_name(owner)}, not to {student} ({whose})"
                self.notes.append(Note(name, student, "refused", reason))
                return None
            listing = list_folder(folder, self.limits, owner)
            return Candidate(name, student, owner, rest.split("+")[0], listing.changed, listing)
        except OSError as error:
            self.notes.append(Note(name, student, "refused", f"could not be read: {error}"))
            return None
        finally:
            os.close(folder)

    def _choose(self, candidates: list[Candidate]) -> Candidate:
        """The newest acceptable submission by its trusted time (with --before-duedate, the newest
        before the due date if there is one); the others are noted."""
        usable = [c for c in candidates if not c.listing.problem]
        for c in candidates:
            if c.listing.problem:
                self.notes.append(Note(c.folder, c.student, "refused", c.listing.problem))
        ranked = sorted(usable or candidates, key=lambda c: c.changed, reverse=True)
        if self.before_duedate and self.duedate is not None:
            due = self.duedate.replace(tzinfo=dt.UTC).timestamp()
            ranked.sort(key=lambda c: c.changed > due)  # stable: on-time ones first, newest first
        for older in ranked[1:]:
            if not older.listing.problem:
                later = "a later submission exists"
                self.notes.append(Note(older.folder, older.student, "not collected", later))
        return ranked[0]

    def copy_files(self):
        for candidate in self.chosen:
            if candidate.listing.problem:
                continue
            try:
                self._collect(candidate)
            except (OSError, ExchangeError) as error:
                why = f"could not be copied: {error}"
                self.notes.append(Note(candidate.folder, candidate.student, "refused", why))
        self.notes.sort(key=lambda n: (n.student, n.folder))
        for note in self.notes:
            (self.log.warning if note.needs_attention else self.log.info)("%s", note)
        self._write_report()

    def _collect(self, candidate: Candidate) -> None:
        student, listing = candidate.student, candidate.listing
        assignment = self.coursedir.assignment_id
        dest = Path(self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment))
        existing = self._recorded_time(dest)
        when = moment(candidate.changed)
        newer = existing is None or when > existing or (when == existing and not same_files(dest, listing))
        if dest.exists() and not (self.update and newer):
            self.notes.append(
                Note(candidate.folder, student, "already collected", left_out(listing).removeprefix("; "))
            )
            return
        staging = dest.with_name(f".{dest.name}.collecting")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        claims = {k: listing.files.pop(k) for k in (NBGRADER_TIME,) if k in listing.files}
        folder = os.open(os.path.join(self.inbound_path, candidate.folder), OPEN_FOLDER)
        try:
            changed = copy_listing(folder, listing, self.limits, staging)
            claimed = self._claimed(folder, claims, candidate.claimed)
        finally:
            os.close(folder)
        (staging / NBGRADER_TIME).write_text(utc_text(changed), encoding="utf-8")
        (staging / CLAIMED_TIME).write_text(claimed, encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
        when = f"at {utc_text(changed)} (change time on disk; it claims {' and '.join(claimed.splitlines())})"
        self.notes.append(Note(candidate.folder, student, "collected", when + left_out(listing)))

    def _claimed(self, folder: int, claims: dict, from_name: str) -> str:
        """The times the student wrote: the folder name's and timestamp.txt's (kept, never trusted)."""
        written = "none"
        if NBGRADER_TIME in claims:
            try:
                data, _ = read_regular(folder, NBGRADER_TIME, claims[NBGRADER_TIME], 100)
                written = shown(data.decode("utf-8", "replace").strip())
            except Refused as why:
                written = str(why)
        return f"{shown(from_name)} (folder name)\n{written} (timestamp.txt)\n"

    def _recorded_time(self, dest: Path) -> dt.datetime | None:
        """The time collect recorded for what is in submitted/ (None: none readable)."""
        try:
            return parse_utc((dest / NBGRADER_TIME).read_text(encoding="utf-8").strip())
        except (OSError, ValueError, OverflowError):
            return None

    def _write_report(self) -> None:
        """exports/<a>-collect.txt: every inbound folder of the assignment and what became of it."""
        report = Path(self.coursedir.root, "exports", f"{self.coursedir.assignment_id}-collect.txt")
        report.parent.mkdir(exist_ok=True)
        lines = [f"collect {self.coursedir.assignment_id} at {utc_text(dt.datetime.now(dt.UTC).timestamp())}"]
        report.write_text("\n".join(lines + [str(n) for n in self.notes]) + "\n", encoding="utf-8")


def same_files(collected: Path, listing) -> bool:
    """Whether a collected folder holds the listed files at their listed sizes. A change time has
    the kernel's coarse clock: a copy taken while the student's files were still being written
    can carry the same time as the finished submission, and only its sizes tell it apart."""
    times = (NBGRADER_TIME, CLAIMED_TIME)  # collect writes its own
    kept = {
        name: path.stat().st_size
        for path in collected.rglob("*")
        if path.is_file() and (name := path.relative_to(collected).as_posix()) not in times
    }
    return kept == {name: status.st_size for name, status in listing.files.items() if name not in times}


def left_out(listing) -> str:
    """What of a submission is not collected, and why ("" when everything is)."""
    missing = [f"{SECRET} missing: its feedback cannot go back through the exchange"]
    reasons = listing.refused + (missing if SECRET not in listing.files else [])
    return "; left out: " + "; ".join(reasons) if reasons else ""


class PeninsulaReleaseAssignment(ExchangeReleaseAssignment):
    """nbgrader's release, refused when the release folder holds anything from the answer key."""

    def copy_files(self):
        from peninsula.grader.course import Course

        leaks = leaks_in_release(Course(Path(self.coursedir.root)), Path(self.src_path))
        if leaks:
            self.fail("the release contains answer key material; nothing was published:\n" + "\n".join(leaks))
        super().copy_files()


def leaks_in_release(course, released: Path) -> list[str]:
    """One line per file of a release folder that holds key material (empty: none)."""
    from peninsula.grader.leaks import leaks_in_files

    found = leaks_in_files(released.rglob("*"), assignment_material=True, key_file=course.key_file)
    return [f"  {path.relative_to(course.root)}: {', '.join(what)}" for path, what in found.items()]


class PeninsulaReleaseFeedback(ExchangeReleaseFeedback):
    """nbgrader's release_feedback, one student at a time: a student whose feedback cannot go out
    (no submission_secret.txt, say) is reported and the others still get theirs."""

    def copy_files(self):
        pattern = Path(self.src_path)
        held = []
        for folder in sorted(pattern.parent.parent.glob(f"{pattern.parent.name}/{pattern.name}")):
            self.src_path = str(folder)
            try:
                super().copy_files()
            except OSError as error:
                missing = f" ({Path(error.filename).name})" if error.filename else ""
                held.append(f"{folder.parent.name}: {error.strerror or error}{missing}")
        self.src_path = str(pattern)
        for line in held:
            self.log.warning("Feedback not released for %s", line)
