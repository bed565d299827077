"""Shared fixtures: the real corpus, and a throwaway copy of the texts to break."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from peninsula.paths import TEXTS_ENV
from peninsula.texts import Corpus, load_corpus

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def corpus(monkeypatch: pytest.MonkeyPatch) -> Corpus:
    """The texts in source_texts/, whatever $PENINSULA_TEXTS says in the caller's shell."""
    monkeypatch.delenv(TEXTS_ENV, raising=False)
    return load_corpus()


@pytest.fixture
def text_copy(tmp_path: Path) -> Path:
    """A fresh copy of source_texts/*.md. load_corpus caches per folder, so each test gets its own."""
    folder = tmp_path / "texts"
    folder.mkdir()
    for path in (ROOT / "source_texts").glob("*.md"):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="session")
def playwright() -> Iterator[object]:
    """One Playwright for the whole session: a second sync_playwright() in the same thread refuses to
    start while the first is running, so the browser tests and the hub test share this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running
