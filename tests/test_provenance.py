"""Every paragraph in source_texts/ is verbatim from its supplied original, as provenance.yaml records.

The originals live in ../shared/seeds, next to the repository. CI has them; a user's clone does not,
so the checks against the originals skip there (and fail in CI, where they must run).
"""

import hashlib
import os
from pathlib import Path

import pytest
import yaml

from peninsula.texts import TEXT_PREFIXES

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
PROVENANCE = yaml.safe_load((ROOT / "source_texts" / "provenance.yaml").read_text(encoding="utf-8"))


def sha256(data: str | bytes) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


@pytest.fixture
def seed_lines():
    """Read a supplied original as its lines; skip (or in CI, fail) when ../shared/seeds is absent."""
    if not SEEDS.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have the supplied originals at {SEEDS}")
        pytest.skip(f"no supplied originals at {SEEDS} (expected in a user's clone; CI has them)")

    def read(text_id: str) -> list[str]:
        record = PROVENANCE[text_id]
        raw = (SEEDS / record["seed"]).read_bytes()
        assert sha256(raw) == record["seed_sha256"], f"{record['seed']} is not the recorded original"
        return raw.decode("utf-8").split("\n")  # no trailing newline: one item per line

    return read


def test_provenance_covers_exactly_the_kit_texts():
    assert set(PROVENANCE) == set(TEXT_PREFIXES)
    for text_id, record in PROVENANCE.items():
        assert record["file"] == f"{text_id}.md"


@pytest.mark.parametrize("text_id", list(TEXT_PREFIXES))
def test_every_paragraph_matches_the_hash_of_its_seed_line(corpus, text_id):
    recorded = PROVENANCE[text_id]["paragraphs"]
    paragraphs = corpus[text_id].paragraphs
    assert list(recorded) == [p.id for p in paragraphs]
    for p in paragraphs:
        assert sha256(p.text) == recorded[p.id]["sha256"], f"{p.id} differs from its supplied original"


@pytest.mark.parametrize("text_id", list(TEXT_PREFIXES))
def test_every_seed_line_is_kept_or_removed_exactly_once(text_id):
    record = PROVENANCE[text_id]
    kept = [entry["seed_line"] for entry in record["paragraphs"].values()]
    removed = [line for entry in record["removed"] for line in entry["lines"]]
    assert sorted(kept + removed) == list(range(1, record["seed_lines"] + 1))
    assert kept == sorted(kept), "paragraphs must keep the order of the original"
    for entry in record["removed"]:
        assert entry["what"].strip() and entry["why"].strip()


@pytest.mark.parametrize("text_id", list(TEXT_PREFIXES))
def test_records_match_the_supplied_original(seed_lines, text_id):
    record = PROVENANCE[text_id]
    lines = seed_lines(text_id)
    assert len(lines) == record["seed_lines"]
    for paragraph_id, entry in record["paragraphs"].items():
        assert sha256(lines[entry["seed_line"] - 1]) == entry["sha256"], paragraph_id


def test_cronin_removed_lines_are_what_provenance_says(seed_lines, corpus):
    lines = seed_lines("cronin")
    cronin = corpus["cronin"]
    assert lines[0] == cronin.title
    assert lines[1] == cronin.subtitle
    assert lines[3] == lines[2] == cronin.paragraph("C1").text
    assert lines[21] == cronin.bio
    assert lines[23] == "More from Foreign Policy"


def test_trivedi_removed_lines_are_bio_and_boilerplate(seed_lines, corpus):
    bio_line, boilerplate = seed_lines("trivedi")[19:21]
    assert bio_line.startswith("Atman Trivedi (") and "Twitter" in bio_line
    assert corpus["trivedi"].bio.removeprefix("Atman Trivedi") in bio_line
    assert "Click here to request a PacNet subscription" in boilerplate
