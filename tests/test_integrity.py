"""Integrity flags on a real demo class: the planted copied pair and the byte-identical copy are
listed, honest students are not, and the wording invites a look instead of stating a verdict."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_agreement import A1, demo_course

from peninsula.grader.course import Course
from peninsula.grader.demo import plan_class
from peninsula.grader.integrity import check_integrity, integrity_text, tail_probability

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    return Course(demo_course(tmp_path_factory.mktemp("integrity") / "course"))


def planted() -> tuple[tuple[str, str], tuple[str, str]]:
    """(copier, source) and (file copier, file source) in the 30-student demo class, seed 0."""
    students = plan_class(30)
    copier = next(s for s in students if s.copies)
    file_copier = next(s for s in students if s.hands_in)
    return (copier.student_id, copier.copies), (file_copier.student_id, file_copier.hands_in)


def test_the_planted_copies_are_flagged_and_honest_students_are_not(course):
    (copier, source), (file_copier, file_source) = planted()
    result = check_integrity(course, A1)
    assert result.submissions == 28 and result.pairs == 27 * 26 // 2  # one submission is unreadable
    assert [set(group.students) for group in result.identical] == [{file_copier, file_source}]
    flagged = [set(flag.students) for flag in result.flagged]
    assert {copier, source} in flagged
    # Nobody else: every flagged pair is one of the two planted ones (the identical files share
    # their wrong answers too, so that pair may appear on both lists).
    assert all(pair in ({copier, source}, {file_copier, file_source}) for pair in flagged)
    copied = next(flag for flag in result.flagged if set(flag.students) == {copier, source})
    assert copied.identical_errors >= 0.8 * copied.errors_in_common > 0
    assert copied.expected_identical < copied.identical_errors / 2 and copied.tail < 1e-4


def test_the_list_invites_a_look_and_never_accuses(course):
    text = integrity_text(check_integrity(course, A1))
    assert "worth a look" in text and "instructor only" in text and "innocent explanations" in text
    for word in ("cheat", "plagiar", "copied", "guilty", "dishonest", "misconduct"):
        assert word not in text.lower(), word
    assert "Shared answers:" in text  # the evidence, item by item


def test_untouched_releases_and_unreadable_files_are_not_flagged(course, tmp_path):
    copy = Course(tmp_path / "course")
    shutil.copytree(course.root, copy.root)
    for student in ("blank1", "blank2"):  # two students who handed in the release as it was
        folder = copy.folder("submitted", student, A1)
        folder.mkdir(parents=True)
        shutil.copy(copy.folder("release", A1, f"{A1}.ipynb"), folder)
    result = check_integrity(copy, A1)
    assert not any({"blank1", "blank2"} & set(group.students) for group in result.identical)
    assert not any({"blank1", "blank2"} & set(flag.students) for flag in result.flagged)


def test_the_tail_probability_by_hand():
    # Two items, each a coin toss: P(2 matches) = 1/4, P(at least 1) = 3/4, P(at least 0) = 1.
    assert tail_probability([0.5, 0.5], 2) == pytest.approx(0.25)
    assert tail_probability([0.5, 0.5], 1) == pytest.approx(0.75)
    assert tail_probability([0.1, 0.2, 0.3], 0) == pytest.approx(1.0)
    assert tail_probability([0.1, 0.2, 0.3], 3) == pytest.approx(0.1 * 0.2 * 0.3)


def test_the_command_prints_the_list_and_keeps_it_in_exports(course):
    done = subprocess.run([BIN / "peninsula", "integrity", A1, "--course", course.root], cwd=course.root,
                          capture_output=True, text=True, timeout=300, check=True)
    kept = course.folder("exports", f"{A1}-integrity.txt")
    assert str(kept) in done.stdout and kept.read_text(encoding="utf-8").strip() in done.stdout
