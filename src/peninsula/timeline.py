"""The dated events the texts refer to, look ahead to or call for (data/timeline.yaml), checked as
they load: the timeline chart and `peninsula check` both read them from here."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from peninsula.paths import PACKAGE_DATA
from peninsula.texts import PublicationDate, load_corpus
from peninsula.yaml_files import read_yaml

TIMELINE_FILE = PACKAGE_DATA / "timeline.yaml"
CHECK_VALUES = ("verified", "partly verified")
#: How a text relates to an event on the timeline; "refers to" unless timeline.yaml says otherwise.
RELATIONS = ("refers to", "looks ahead to", "calls for")
PLURAL_VERBS = {"refers to": "refer to", "looks ahead to": "look ahead to", "calls for": "call for"}




@dataclass(frozen=True)
class Event:
    label: str
    start: dt.date
    end: dt.date  # the same day for one-day events; the month's last day for a month-only date
    precision: str  # "day" or "month"
    revealed: dt.date | None
    texts: tuple[str, ...]
    check: str
    note: str | None
    relation: str = RELATIONS[0]

    @property
    def dates(self) -> str:
        """The dates in words, e.g. "17–18 April 2018", "July 2018", "1 April 2018 (revealed …)"."""
        when = f"{self.start:%B %Y}" if self.precision == "month" else date_span(self.start, self.end)
        return f"{when} (revealed {_day(self.revealed)})" if self.revealed else when


def _day(date: dt.date) -> str:
    return f"{date.day} {date:%B %Y}"


def date_span(start: dt.date, end: dt.date) -> str:
    """A day or a span in words: "2 October 2007", "2–4 October 2007", "30 June – 2 July 2018"."""
    if start == end:
        return _day(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{_day(end)}"
    if start.year == end.year:
        return f"{start.day} {start:%B} – {_day(end)}"
    return f"{_day(start)} – {_day(end)}"


def parse_when(value: object, where: str) -> tuple[dt.date, dt.date, str]:
    """(first day, last day, precision) of a date: YYYY-MM-DD, or YYYY-MM when only the month is known."""
    text = str(value)
    for form, precision in (("%Y-%m-%d", "day"), ("%Y-%m", "month")):
        try:
            first = dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
        if precision == "day":
            return first, first, "day"
        return first, first.replace(day=calendar.monthrange(first.year, first.month)[1]), "month"
    raise ValueError(f"{where}: bad date {text!r}: write YYYY-MM-DD, or YYYY-MM if only the month is known")


class _DatesAsText(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe YAML (libyaml's, when PyYAML has it), but dates stay text so `parse_when` checks them."""


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)
EVENT_FIELDS = {"date", "start", "end", "revealed", "label", "texts", "check", "note", "relation"}


@functools.cache
def load_timeline(path: Path = TIMELINE_FILE) -> tuple[Event, ...]:
    """The events in timeline.yaml, checked: every problem names the file and the event."""
    data = read_yaml(path, _DatesAsText) or {}
    known_texts = tuple(load_corpus().texts)
    events, seen = [], set()
    for number, record in enumerate(data.get("events") or [], start=1):
        where = f"{path}: event {number} ({record.get('label', 'no label')!r})"
        unknown = set(record) - EVENT_FIELDS
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        if not record.get("label"):
            raise ValueError(f"{where}: needs a label")
        if record["label"] in seen:
            raise ValueError(f"{where}: another event has the same label")
        seen.add(record["label"])
        if ("date" in record) == ("start" in record or "end" in record):
            raise ValueError(f"{where}: give either date, or start and end")
        if "date" in record:
            start, end, precision = parse_when(record["date"], where)
        else:
            start, _, precision = parse_when(record.get("start"), where)
            end = parse_when(record.get("end"), where)[1]
            if end <= start:
                raise ValueError(f"{where}: end must come after start")
        revealed = parse_when(record["revealed"], where)[0] if "revealed" in record else None
        texts = tuple(record.get("texts", ()))
        if not set(texts) <= set(known_texts):
            raise ValueError(f"{where}: texts must be a list of {', '.join(known_texts)}, not {list(texts)}")
        if record.get("check") not in CHECK_VALUES:
            raise ValueError(f"{where}: check must be one of {', '.join(CHECK_VALUES)}")
        relation = record.get("relation", RELATIONS[0])
        if relation not in RELATIONS:
            raise ValueError(f"{where}: relation must be one of {', '.join(RELATIONS)}")
        if relation != RELATIONS[0] and not texts:
            raise ValueError(f"{where}: a relation needs the text(s) it belongs to")
        events.append(
            Event(
                record["label"],
                start,
                end,
                precision,
                revealed,
                texts,
                record["check"],
                record.get("note"),
                relation,
            )
        )
    return tuple(sorted(events, key=lambda e: e.start))


PUBLICATION_WINDOW = {"start": None, "end": None, "note": None}


@functools.cache
def publication_windows(path: Path = TIMELINE_FILE) -> dict[str, tuple[dt.date, dt.date]]:
    """Text id -> the days it can have come out, where timeline.yaml narrows a month-only date
    (so the chart's band does not cover events of that month the text cannot have seen)."""
    data = read_yaml(path, _DatesAsText) or {}
    texts = {text.id: text for text in load_corpus()}
    windows = {}
    for text_id, record in (data.get("publication_windows") or {}).items():
        where = f"{path}: publication window of {text_id!r}"
        if text_id not in texts or not isinstance(record, dict):
            raise ValueError(f"{where}: needs a text id ({', '.join(texts)}) with start and end")
        start, end = parse_when(record.get("start"), where)[0], parse_when(record.get("end"), where)[1]
        first, last = publication_span(texts[text_id].date)
        if not first <= start <= end <= last:
            raise ValueError(f"{where}: must be a span inside the text's date ({texts[text_id].date})")
        windows[text_id] = (start, end)
    return windows


def publication_span(date: PublicationDate) -> tuple[dt.date, dt.date]:
    """The days a publication date covers: one day, or a whole month when only the month is known."""
    if date.precision == "month":
        last = calendar.monthrange(date.value.year, date.value.month)[1]
        return date.value, date.value.replace(day=last)
    return date.value, date.value
