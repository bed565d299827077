"""Nothing from the instructor-only answer key crosses into student-safe places."""

from pathlib import Path

import pytest

from peninsula.grader.course import Course
from peninsula.grader.key import load_answer_key
from peninsula.grader.leaks import fingerprints, leaks_in_files, leaks_in_text

ROOT = Path(__file__).parents[1]
KEY = Course(ROOT).key_file  # the key of this repository's course
STUDENT_SAFE = ["source_texts", "notebooks", "src/peninsula"]


def student_safe_files() -> list[Path]:
    skip = {"__pycache__", ".ipynb_checkpoints"}
    return [
        path
        for folder in STUDENT_SAFE
        for path in sorted((ROOT / folder).rglob("*"))
        if path.is_file() and not skip & set(path.parts)
    ]


def test_student_safe_places_hold_nothing_from_the_key():
    files = student_safe_files()
    assert len(files) > 5
    assert leaks_in_files(files, key_file=KEY) == {}


def test_the_key_lives_only_under_course():
    assert not any(path.name == "answer_key.yaml" for path in student_safe_files())


@pytest.mark.parametrize(
    "planted",
    [
        'answers = {"R08": "ROK"}',
        "R13: US, South Korea, Japan",
        'R33 -> actors: ["US"]',
        "R15: washington",
    ],
)
def test_the_leak_search_finds_planted_answers(planted):
    assert leaks_in_text(planted, key_file=KEY)


def test_the_leak_search_finds_notes_and_digests():
    import hashlib

    item = next(r for r in load_answer_key(KEY) if r.autograde and r.note)
    assert leaks_in_text(f"# {item.note}", key_file=KEY)
    digest = hashlib.sha256(",".join(sorted(item.actors)).encode()).hexdigest()
    assert leaks_in_text(f"expected = '{digest}'", key_file=KEY)
    assert digest in fingerprints(KEY)[1]


def test_public_quotes_and_format_messages_are_not_leaks():
    item = next(r for r in load_answer_key(KEY) if r.id == "R16")  # its quote ends with "the US"
    assert leaks_in_text(f'    "R16": "",  # T16: “{item.quote}”', key_file=KEY) == []
    assert leaks_in_text("R16: not correct\nR08: 'Soth Korea' is not an actor name", key_file=KEY) == []
