"""The two commentaries: loading, validating, and looking up paragraphs and quotes.

A text file is UTF-8 Markdown: YAML metadata between `---` lines, then one paragraph per
block, each starting with its stable id in brackets, e.g. `[T3] North Korea historically ...`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from peninsula.paths import texts_dir

#: The texts the kit is built around, and the letter their paragraph ids start with.
TEXT_PREFIXES = {"trivedi": "T", "cronin": "C"}

REQUIRED_FIELDS = (
    "id", "title", "subtitle", "author", "affiliation", "bio", "outlet",
    "series", "number", "date", "date_precision", "url", "rights",
)
OPTIONAL_FIELDS = ("date_note", "title_source")
NULLABLE_FIELDS = {"subtitle", "series", "number", "date_note", "title_source"}
DATE_FORMATS = {"day": "%Y-%m-%d", "month": "%Y-%m"}

PARAGRAPH_START = re.compile(r"^\[(?P<id>[^\]\s]*)\]\s*(?P<text>.*)$")


class _MetadataLoader(yaml.SafeLoader):
    """Safe YAML, but dates stay strings so `_parse_date` checks them and reports the line."""


_MetadataLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


class TextFormatError(ValueError):
    """A source text file is malformed. The message names the file and line."""

    def __init__(self, path: Path, line: int | None, problem: str):
        self.path, self.line, self.problem = path, line, problem
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class PublicationDate:
    """A date known to the day or only to the month."""

    value: dt.date
    precision: str  # "day" or "month"

    @property
    def iso(self) -> str:
        return self.value.strftime(DATE_FORMATS[self.precision])

    def __str__(self) -> str:
        if self.precision == "month":
            return self.value.strftime("%B %Y")
        return f"{self.value.day} {self.value:%B %Y}"


@dataclass(frozen=True)
class Paragraph:
    id: str
    text_id: str
    number: int
    text: str
    line: int

    def __str__(self) -> str:
        return f"[{self.id}] {self.text}"


@dataclass(frozen=True)
class Commentary:
    id: str
    title: str
    subtitle: str | None
    author: str
    affiliation: str
    bio: str
    outlet: str
    series: str | None
    number: int | None
    date: PublicationDate
    date_note: str | None
    url: str
    rights: str
    paragraphs: tuple[Paragraph, ...]
    path: Path

    @property
    def paragraph_prefix(self) -> str:
        return TEXT_PREFIXES[self.id]

    @property
    def surname(self) -> str:
        """How the kit names a text in short: its author's surname ("Trivedi", "Cronin")."""
        return self.author.split()[-1]

    @property
    def citation(self) -> str:
        series = f"{self.series} #{self.number}, " if self.series else ""
        return f"{self.author}, “{self.title},” {series}{self.outlet}, {self.date}. {self.url}"

    @property
    def word_count(self) -> int:
        return sum(len(p.text.split()) for p in self.paragraphs)

    def paragraph(self, paragraph_id: str) -> Paragraph:
        for paragraph in self.paragraphs:
            if paragraph.id == paragraph_id:
                return paragraph
        raise KeyError(
            f"{self.author} has no paragraph {paragraph_id!r}; "
            f"ids run from {self.paragraphs[0].id} to {self.paragraphs[-1].id}"
        )


@dataclass(frozen=True)
class QuoteMatch:
    paragraph: Paragraph
    start: int
    end: int


class Corpus:
    """Both commentaries, with lookups by text id, paragraph id and verbatim quote."""

    def __init__(self, texts: dict[str, Commentary]):
        self.texts = texts

    def __iter__(self) -> Iterator[Commentary]:
        return iter(self.texts.values())

    def __getitem__(self, text_id: str) -> Commentary:
        try:
            return self.texts[text_id]
        except KeyError:
            raise KeyError(f"unknown text id {text_id!r}; use one of {', '.join(self.texts)}") from None

    def paragraphs(self) -> Iterator[Paragraph]:
        for text in self:
            yield from text.paragraphs

    def paragraph(self, paragraph_id: str) -> Paragraph:
        for text in self:
            if paragraph_id.startswith(text.paragraph_prefix):
                return text.paragraph(paragraph_id)
        raise KeyError(
            f"{paragraph_id!r} is not a paragraph id: ids start with "
            + " or ".join(f"{t.paragraph_prefix} ({t.author})" for t in self)
        )

    def find_quote(self, quote: str, text_id: str | None = None) -> list[QuoteMatch]:
        """Every place where `quote` occurs verbatim, optionally within one text."""
        texts = [self[text_id]] if text_id else list(self)
        return [
            QuoteMatch(p, m.start(), m.end())
            for text in texts
            for p in text.paragraphs
            for m in re.finditer(re.escape(quote), p.text)
        ]


def load_corpus(directory: Path | str | None = None) -> Corpus:
    """Load every text in `directory` (default: see `peninsula.paths.texts_dir`)."""
    return _load_corpus(Path(directory) if directory else texts_dir())


@functools.cache
def _load_corpus(directory: Path) -> Corpus:
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: no such folder of texts (check $PENINSULA_TEXTS)")
    texts = {}
    for text_id in TEXT_PREFIXES:
        path = directory / f"{text_id}.md"
        if not path.exists():
            raise TextFormatError(path, None, f"missing: the kit needs the text {text_id!r} here")
        texts[text_id] = parse_text_file(path)
    return Corpus(texts)


def parse_text_file(path: Path) -> Commentary:
    """Parse one text file, raising `TextFormatError` with the file and line of any problem."""
    try:
        lines = path.read_text(encoding="utf-8-sig").split("\n")  # -sig: tolerate a BOM
    except UnicodeDecodeError as error:
        raise TextFormatError(path, None, f"not UTF-8 ({error.reason})") from None
    if not lines or lines[0].strip() != "---":
        raise TextFormatError(path, 1, "the file must start with a '---' line opening the metadata")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise TextFormatError(path, 1, "the metadata block is never closed by a '---' line") from None
    metadata, field_lines = _parse_metadata(path, lines[1:end])
    body = _parse_paragraphs(path, lines, first=end + 1, text_id=metadata["id"])
    date = _parse_date(path, metadata, field_lines)
    if body == ():
        raise TextFormatError(path, end + 1, "the text has no paragraphs")
    fields = {k: metadata.get(k) for k in REQUIRED_FIELDS + OPTIONAL_FIELDS}
    fields.pop("date_precision"), fields.pop("title_source")
    return Commentary(**{**fields, "date": date, "paragraphs": body, "path": path})


def _parse_metadata(path: Path, block: list[str]) -> tuple[dict, dict[str, int]]:
    """Return the metadata and the file line of each field (the block starts on line 2)."""
    try:
        node = yaml.compose("\n".join(block))
        metadata = yaml.load("\n".join(block), Loader=_MetadataLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark else 2
        raise TextFormatError(path, line, f"the metadata is not valid YAML: {error}") from None
    if not isinstance(metadata, dict):
        raise TextFormatError(path, 2, "the metadata must be 'field: value' lines")
    field_lines: dict[str, int] = {}
    for key, _ in node.value:
        if key.value in field_lines:
            raise TextFormatError(
                path, key.start_mark.line + 2,
                f"metadata field {key.value!r} appears twice (first on line {field_lines[key.value]})",
            )
        field_lines[key.value] = key.start_mark.line + 2
    known = REQUIRED_FIELDS + OPTIONAL_FIELDS
    for field, line in field_lines.items():
        if field not in known:
            close = difflib.get_close_matches(field, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TextFormatError(path, line, f"unknown metadata field {field!r}{hint}")
    for field in REQUIRED_FIELDS:
        if field not in metadata:
            raise TextFormatError(path, 1, f"metadata field {field!r} is missing")
        if metadata[field] in (None, "") and field not in NULLABLE_FIELDS:
            raise TextFormatError(path, field_lines[field], f"metadata field {field!r} is empty")
    text_id = metadata["id"]
    if text_id not in TEXT_PREFIXES:
        raise TextFormatError(
            path, field_lines["id"],
            f"unknown text id {text_id!r}; the kit knows {', '.join(TEXT_PREFIXES)}",
        )
    if path.stem != text_id:
        raise TextFormatError(path, field_lines["id"], f"id {text_id!r} must match the file name")
    return metadata, field_lines


def _parse_date(path: Path, metadata: dict, field_lines: dict[str, int]) -> PublicationDate:
    precision = metadata["date_precision"]
    if precision not in DATE_FORMATS:
        raise TextFormatError(
            path, field_lines["date_precision"],
            f"date_precision must be 'day' or 'month', not {precision!r}",
        )
    raw = str(metadata["date"])
    try:
        value = dt.datetime.strptime(raw, DATE_FORMATS[precision]).date()
    except ValueError:
        shape = "YYYY-MM-DD" if precision == "day" else "YYYY-MM"
        raise TextFormatError(
            path, field_lines["date"],
            f"bad date {raw!r}: with date_precision {precision!r} write a real date as {shape}",
        ) from None
    return PublicationDate(value, precision)


def _parse_paragraphs(path: Path, lines: list[str], first: int, text_id: str) -> tuple:
    prefix = TEXT_PREFIXES[text_id]
    blocks: list[tuple[int, list[str]]] = []
    for index in range(first, len(lines)):
        line = lines[index]
        if not line.strip():
            continue
        if index == first or not lines[index - 1].strip():
            blocks.append((index + 1, [line]))
        else:
            blocks[-1][1].append(line)
    paragraphs: list[Paragraph] = []
    seen: dict[str, int] = {}
    for line_no, block in blocks:
        match = PARAGRAPH_START.match(block[0])
        if not match:
            raise TextFormatError(
                path, line_no, f"paragraph without an id: start it with [{prefix}{len(seen) + 1}]"
            )
        pid, text = match["id"], " ".join([match["text"], *block[1:]]).strip()
        if pid in seen:
            raise TextFormatError(path, line_no, f"duplicate paragraph id {pid} (first on line {seen[pid]})")
        expected = f"{prefix}{len(seen) + 1}"
        if not pid.startswith(prefix) or not pid[len(prefix) :].isdigit():
            raise TextFormatError(
                path, line_no, f"paragraph id {pid!r} must be {prefix} and a number, like {expected}"
            )
        if pid != expected:
            raise TextFormatError(
                path, line_no, f"paragraph id {pid!r} is out of sequence: expected {expected}"
            )
        if not text:
            raise TextFormatError(path, line_no, f"paragraph {pid} is empty")
        seen[pid] = line_no
        paragraphs.append(Paragraph(pid, text_id, len(seen), text, line_no))
    return tuple(paragraphs)
