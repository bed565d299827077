"""The kit's charts: author stances, actor mentions, where actors appear, and the timeline.

Each chart is a Vega-Lite 5 spec built here as plain data, which JupyterLab's built-in renderer
draws offline. Building the specs directly, instead of through Altair's objects, is what keeps a
lesson's Run All close to a bare kernel: Altair's import, its object building and its schema check
cost more than everything else a lesson does. tests/test_charts.py checks every spec against the
Vega-Lite schema instead, once. `Chart.to_altair()` gives an Altair chart for anyone who wants one.

Every chart has a title and a description that screen readers announce, uses the Okabe–Ito
colour-blind-safe palette with a second cue besides colour, and shows a table of its data beside it
in a notebook. `peninsula export-charts` saves them as SVG or PNG for handouts. All data comes from
the texts, the codebook, the student-safe positions and data/timeline.yaml; nothing is typed here.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import functools
import html
import textwrap
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from peninsula.codebook import load_codebook
from peninsula.paths import PACKAGE_DATA
from peninsula.positions import load_positions
from peninsula.tables import html_table
from peninsula.texts import PublicationDate, load_corpus

TIMELINE_FILE = PACKAGE_DATA / "timeline.yaml"
VEGA_LITE = "application/vnd.vegalite.v5+json"  # the MIME type JupyterLab 4 draws without a CDN
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
#: No actions menu: its button has no accessible name, and `peninsula export-charts` saves charts.
EMBED_OPTIONS = {"renderer": "svg", "actions": False}

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with the common colour-vision deficiencies.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
#: The two authors' colours in every chart that compares them.
AUTHOR_COLOURS = {"trivedi": OKABE_ITO["blue"], "cronin": OKABE_ITO["vermillion"]}
AUTHOR_SHAPES = ("circle", "square")
BOTH_TEXTS_COLOUR = OKABE_ITO["bluish green"]
NEITHER_TEXT_COLOUR = OKABE_ITO["black"]
WHICH_SHAPES = ("circle", "square", "diamond", "triangle-up")  # Trivedi, Cronin, both, neither

GRADED = "hidden (graded)"  # the stance map's column for stances Assignment 2 grades
NOT_REVEALED = "not revealed yet"  # in the comparer, until the student reveals the kit's reading
CHECK_VALUES = ("verified", "partly verified")
#: How a text relates to an event on the timeline; "refers to" unless timeline.yaml says otherwise.
RELATIONS = ("refers to", "looks ahead to", "calls for")
PLURAL_VERBS = {"refers to": "refer to", "looks ahead to": "look ahead to", "calls for": "call for"}
EXPORT_FORMATS = ("svg", "png")
SUBTITLE_WIDTH = 90  # characters per subtitle line: Vega does not wrap titles
NAMED_EARLIER = 2  # a timeline's subtitle names up to this many events before its window, or counts them
#: Characters per line of a timeline label: two short lines keep the whole chart inside a notebook's
#: width, so it never scrolls sideways (a scrolling output cannot be reached from the keyboard).
LABEL_WIDTH = 52
LINE_BREAKS = "split(datum.label, '\\n')"  # an axis label as lines


def enable_offline() -> None:
    """Draw Altair charts (the instructor's report builds some) offline, as the kit's charts are drawn."""
    import altair as alt

    alt.renderers.enable("mimetype", embed_options=EMBED_OPTIONS)


@dataclass(frozen=True)
class Chart:
    """A Vega-Lite spec and the table of its data, shown beside the chart in a notebook."""

    spec: dict
    table: str  # HTML: a <details> element holding the chart's data as a table

    @property
    def title(self) -> str:
        title = self.spec["title"]
        return title["text"] if isinstance(title, dict) else title

    def to_dict(self) -> dict:
        return copy.deepcopy(self.spec)

    def display_data(self) -> dict:
        """The chart as one notebook output (what an Output widget holds)."""
        return {
            "output_type": "display_data",
            "data": {VEGA_LITE: self.spec, "text/plain": f"Chart: {self.title}"},
            "metadata": {VEGA_LITE: {"embed_options": EMBED_OPTIONS}},
        }

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        output = self.display_data()
        display(output["data"], raw=True, metadata=output["metadata"])
        display(HTML(self.table))

    def to_altair(self):
        """The same chart as an Altair object (checked against the schema as Altair reads it)."""
        import altair as alt

        return (
            alt.Chart.from_dict(self.to_dict())
            if "mark" in self.spec
            else alt.LayerChart.from_dict(self.to_dict())
        )

    def save(self, path: Path, fmt: str = "svg") -> None:
        """Write the chart as SVG, or PNG at twice the size (vl-convert, offline)."""
        import vl_convert
        from altair.utils._importers import vl_version_for_vl_convert

        version = vl_version_for_vl_convert()
        if fmt == "svg":
            path.write_text(vl_convert.vegalite_to_svg(self.spec, vl_version=version), encoding="utf-8")
        else:
            path.write_bytes(vl_convert.vegalite_to_png(self.spec, vl_version=version, scale=2))


def table_html(caption: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A chart's data as a table inside <details>, so the page stays short and screen readers get it all."""
    return (
        f'<details class="peninsula-chart-table"><summary>{html.escape(caption)} (a table)</summary>'
        f"{html_table(header, rows)}</details>"
    )


def surname(text_id: str) -> str:
    """How the charts name a text: its author's surname ("Trivedi", "Cronin")."""
    return load_corpus()[text_id].surname


def _authors() -> list[str]:
    return [surname(text_id) for text_id in AUTHOR_COLOURS]


def _scale(domain: list[str], values: Sequence[str]) -> dict:
    return {"domain": domain, "range": list(values)}


def _actor_scale() -> dict:
    actors = load_codebook().actors.values()
    return _scale([a.name for a in actors], [a.colour for a in actors])


def tooltip(*fields: str) -> list[dict]:
    """Tooltip fields written as "name:N" or "name:Q"."""
    kinds = {"N": "nominal", "Q": "quantitative"}
    return [{"field": f.split(":")[0], "type": kinds[f.split(":")[1]]} for f in fields]


def top_level(title: str | dict, description: str, **rest: object) -> dict:
    """A top-level Vega-Lite spec: every kit chart has a title and a description for screen readers."""
    return {"$schema": SCHEMA, "title": title, "description": description, **rest}


# --- stance map -------------------------------------------------------------------------------


def stance_label(stance: int | str) -> str:
    """The x-axis label for a stance: "−2" … "+2" as signed numbers, or the words."""
    if isinstance(stance, int):
        return f"{stance:+d}" if stance else "0"
    return stance


def stance_rows(revealed: Collection[str] | None = None) -> list[dict]:
    """One row per issue and author. Stances graded in Assignment 2 are never read, only marked hidden;
    with `revealed`, only those issues' stances are shown (the comparer's record-first workflow)."""
    codebook, positions = load_codebook(), load_positions()
    rows = []
    for issue in codebook.issues.values():
        for text_id in AUTHOR_COLOURS:
            position = positions.get((issue.id, text_id))
            if position is None:
                stance, meaning, summary = GRADED, "graded in Assignment 2", ""
            elif revealed is not None and issue.id not in revealed:
                stance, meaning, summary = NOT_REVEALED, "record your own reading, then reveal", ""
            else:
                stance, meaning = stance_label(position.stance), codebook.stances[position.stance]
                summary = position.summary
            rows.append(
                {
                    "issue": issue.id,
                    "issue_name": issue.name,
                    "proposition": issue.proposition,
                    "author": surname(text_id),
                    "stance": stance,
                    "meaning": meaning,
                    "summary": summary,
                }
            )
    return rows


def stance_map(highlight: str | None = None, revealed: Collection[str] | None = None) -> Chart:
    """Where each author stands on each issue; `highlight` (an issue id) rings that issue's marks.

    Clicking an issue's marks on the chart rings them too. The two authors share each issue's row,
    Trivedi above Cronin, so every mark sits exactly on its stance. With `revealed`, only those
    issues' stances are drawn; the others sit in a "not revealed yet" column.
    """
    codebook = load_codebook()
    if highlight is not None and highlight not in codebook.issues:
        raise KeyError(f"unknown issue {highlight!r}; the codebook's issues are {', '.join(codebook.issues)}")
    order = [stance_label(s) for s in codebook.stances] + [GRADED]
    if revealed is not None:
        order.append(NOT_REVEALED)
    chosen: dict = {"name": "chosen_issue", "select": {"type": "point", "fields": ["issue"]}}
    if highlight:
        chosen["value"] = [{"issue": highlight}]
    subtitle = (
        f"Ringed: {codebook.issues[highlight].name}" if highlight else "Click an issue's marks to ring them"
    )
    rows = stance_rows(revealed)
    authors = _authors()
    spec = top_level(
        {"text": "Where Trivedi and Cronin stand on each issue", "subtitle": subtitle},
        "Dot chart of the two authors' stances on the codebook's ten issues, one row per issue with "
        "Trivedi above Cronin, from -2 (strongly against the issue's proposition) to +2 (strongly for it), "
        "or not addressed. Stances graded in Assignment 2 are not shown. Trivedi is a blue circle, "
        "Cronin a vermillion square.",
        width=520,
        height={"step": 17},
        data={"values": rows},
        params=[chosen],
        mark={"type": "point", "filled": True, "size": 150, "opacity": 1, "stroke": OKABE_ITO["black"]},
        encoding={
            # Multi-line labels, one word a line, so the wordy columns never run into each other.
            "x": {
                "field": "stance",
                "type": "ordinal",
                "scale": {"domain": order},
                "title": "stance on the issue's proposition",
                "axis": {"labelAngle": 0, "labelExpr": "split(datum.label, ' ')", "labelLimit": 0},
            },
            "y": {
                "field": "issue_name",
                "type": "nominal",
                "sort": [i.name for i in codebook.issues.values()],
                "title": None,
                "axis": {"labelLimit": 0},
            },
            "yOffset": {"field": "author", "type": "nominal", "scale": {"domain": authors}},
            "color": {
                "field": "author",
                "type": "nominal",
                "title": "author",
                "scale": _scale(authors, AUTHOR_COLOURS.values()),
            },
            "shape": {
                "field": "author",
                "type": "nominal",
                "title": "author",
                "scale": _scale(authors, AUTHOR_SHAPES),
            },
            "strokeWidth": {"condition": {"param": "chosen_issue", "empty": False, "value": 2.5}, "value": 0},
            "tooltip": tooltip(
                "author:N", "issue_name:N", "proposition:N", "stance:N", "meaning:N", "summary:N"
            ),
        },
    )
    by_issue: dict[str, dict[str, str]] = {}
    for row in rows:
        by_issue.setdefault(row["issue_name"], {})[row["author"]] = row["stance"]
    table = table_html(
        "Each author's stance on each issue",
        ["issue", *authors],
        [[issue, *(stances[a] for a in authors)] for issue, stances in by_issue.items()],
    )
    return Chart(spec, table)


# --- actor charts -----------------------------------------------------------------------------


def mention_rows() -> list[dict]:
    """Mentions of every codebook actor in each text, counted from the texts, per 1,000 words."""
    codebook = load_codebook()
    rows = []
    for text in load_corpus():
        counts = codebook.mention_counts(text)
        for actor in codebook.actors.values():
            rows.append(
                {
                    "author": surname(text.id),
                    "actor": actor.name,
                    "mentions": counts[actor.code],
                    "words": text.word_count,
                    "per_1000_words": round(1000 * counts[actor.code] / text.word_count, 1),
                }
            )
    return rows


def _actor_panels(
    title: str, description: str, rows: list[dict], mark: dict, x: dict, tooltip: list[dict]
) -> dict:
    """One panel per text, one row per actor; the actor's name on the axis, so colour is not the only cue."""
    names = [a.name for a in load_codebook().actors.values()]
    return top_level(
        title,
        description,
        width=480,
        height=150,
        data={"values": rows},
        mark=mark,
        encoding={
            "x": x,
            "y": {
                "field": "actor",
                "type": "nominal",
                "sort": names,
                "title": None,
                "axis": {"labelLimit": 0},
            },
            "color": {"field": "actor", "type": "nominal", "scale": _actor_scale(), "legend": None},
            "row": {"field": "author", "type": "nominal", "title": None, "sort": _authors()},
            "tooltip": tooltip,
        },
    )


def actor_mentions() -> Chart:
    """How often each text mentions each actor, per 1,000 words so the texts' lengths do not matter."""
    rows = mention_rows()
    spec = _actor_panels(
        "How often each text mentions each actor",
        "Bar chart with one panel per text. Each bar is one actor's mentions per 1,000 words of that text, "
        "found by matching the codebook's names for the actor.",
        rows,
        {"type": "bar"},
        {"field": "per_1000_words", "type": "quantitative", "title": "mentions per 1,000 words"},
        tooltip("author:N", "actor:N", "mentions:Q", "words:Q", "per_1000_words:Q"),
    )
    authors = _authors()
    cells = {(r["actor"], r["author"]): f"{r['per_1000_words']} ({r['mentions']})" for r in rows}
    actors = list(dict.fromkeys(r["actor"] for r in rows))
    table = table_html(
        "Mentions per 1,000 words, with the count in brackets",
        ["actor", *authors],
        [[actor, *(cells[actor, a] for a in authors)] for actor in actors],
    )
    return Chart(spec, table)


def strip_rows() -> list[dict]:
    """One row per mention: where it falls in its text, as a share of the text's characters."""
    codebook = load_codebook()
    rows = []
    for text in load_corpus():
        total = sum(len(p.text) for p in text.paragraphs)
        before = 0
        for paragraph in text.paragraphs:
            for mention in codebook.mentions(paragraph.text):
                rows.append(
                    {
                        "author": surname(text.id),
                        "actor": codebook.actors[mention.code].name,
                        "paragraph": paragraph.id,
                        "words_matched": paragraph.text[mention.start : mention.end],
                        "position": round((before + mention.start) / total, 4),
                    }
                )
            before += len(paragraph.text)
    return rows


def paragraph_ranges(ids: Sequence[str]) -> str:
    """Paragraph ids in text order, runs joined: ["T1", "T2", "T3", "T7"] -> "T1–T3, T7"."""
    runs: list[list[str]] = []
    for pid in ids:
        if runs and pid[0] == runs[-1][-1][0] and int(pid[1:]) == int(runs[-1][-1][1:]) + 1:
            runs[-1].append(pid)
        else:
            runs.append([pid])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in runs) or "none"


def actor_strip() -> Chart:
    """Where in each text each actor is mentioned, from its start (0%) to its end (100%)."""
    rows = strip_rows()
    spec = _actor_panels(
        "Where each text mentions each actor",
        "Strip chart with one panel per text and one row per actor. Each tick is one mention, placed by "
        "how far into the text it occurs, from the start at 0% to the end at 100%.",
        rows,
        {"type": "tick", "thickness": 2, "opacity": 1},
        {
            "field": "position",
            "type": "quantitative",
            "scale": {"domain": [0, 1]},
            "axis": {"format": "%"},
            "title": "position in the text (share of its length)",
        },
        tooltip("author:N", "actor:N", "paragraph:N", "words_matched:N"),
    )
    authors, actors = _authors(), [a.name for a in load_codebook().actors.values()]
    where: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        paragraphs = where.setdefault((row["actor"], row["author"]), [])
        if row["paragraph"] not in paragraphs:
            paragraphs.append(row["paragraph"])
    table = table_html(
        "The paragraphs where each text mentions each actor",
        ["actor", *authors],
        [[actor, *(paragraph_ranges(where.get((actor, a), [])) for a in authors)] for actor in actors],
    )
    return Chart(spec, table)


# --- timeline ---------------------------------------------------------------------------------


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
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_DatesAsText) or {}
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
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_DatesAsText) or {}
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


def which_text(texts: tuple[str, ...]) -> str:
    """Which text an event belongs to, as the timeline colours it: a surname, "both" or "neither"."""
    if not texts:
        return "neither"
    return surname(texts[0]) if len(texts) == 1 else "both"


def relation_phrase(event: Event) -> str:
    """How the texts relate to the event, e.g. "Trivedi calls for it", "both refer to it"."""
    if not event.texts:
        return "neither text mentions it"
    if len(event.texts) > 1:
        return f"both {PLURAL_VERBS[event.relation]} it"
    return f"{surname(event.texts[0])} {event.relation} it"


def timeline_rows(start: str | None = None, end: str | None = None) -> list[dict]:
    """The events that overlap the window from `start` to `end` (YYYY, YYYY-MM or YYYY-MM-DD; inclusive).

    An event's label says when it came after both texts, and when a text looks ahead to it or calls
    for it rather than reporting it (the 9 May 2018 release, which Trivedi asks for before it happened).
    """
    first, last = _window(start, end)
    latest_publication = max(publication_span(text.date)[1] for text in load_corpus())
    rows = []
    for event in load_timeline():
        if event.end < first or event.start > last:
            continue
        asides = ["after both texts"] if event.start > latest_publication else []
        if event.relation != RELATIONS[0]:
            asides.append(relation_phrase(event))
        label = event.label + (f" ({'; '.join(asides)})" if asides else "")
        rows.append(
            {
                "event": label,
                "label_lines": "\n".join(textwrap.wrap(label, LABEL_WIDTH)),
                "start": event.start.isoformat(),
                "end": (event.revealed or event.end).isoformat(),
                "dates": event.dates,
                "which_text": which_text(event.texts),
                "how": relation_phrase(event),
                "check": event.check,
                "note": event.note or "",
            }
        )
    return rows


def _window(start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    def bounds(value: str) -> tuple[dt.date, dt.date]:
        if len(value) == 4 and value.isdigit():
            return dt.date(int(value), 1, 1), dt.date(int(value), 12, 31)
        return parse_when(value, "timeline()")[:2]

    first = bounds(start)[0] if start else dt.date.min
    last = bounds(end)[1] if end else dt.date.max
    if first > last:
        raise ValueError(f"timeline(): start {start!r} comes after end {end!r}")
    return first, last


def timeline(start: str | None = "2017", end: str | None = None) -> Chart:
    """The events the texts refer to, look ahead to or call for, on a time axis, with both
    publication dates marked.

    `start` and `end` (e.g. "2018-04", "2019-01") narrow it to the events in that window. It starts
    in 2017 by default, because one 2007 event would squeeze the rest; the subtitle names what a
    window leaves out before its start. `start=None` shows every event.
    """
    rows = timeline_rows(start, end)
    if not rows:
        raise ValueError(f"timeline(): no events between {start or 'the first'} and {end or 'the last'}")
    first, last = _window(start, end)
    subtitle = textwrap.wrap(
        "Dashed: when each text came out. Colour and shape: which text refers to the "
        "event, looks ahead to it or calls for it.",
        SUBTITLE_WIDTH,
    )
    earlier = [e for e in load_timeline() if e.end < first]
    if len(earlier) > NAMED_EARLIER:  # a count keeps the subtitle short; timeline(start=None) has them all
        subtitle.append(
            f"Earlier, not shown: {len(earlier)} events, from {earlier[0].dates} to {earlier[-1].dates}."
        )
    elif earlier:
        named = "; ".join(f"{e.dates}: {e.label}" for e in earlier)
        subtitle += textwrap.wrap(f"Earlier, not shown: {named}.", SUBTITLE_WIDTH)
    publications = [
        {
            "text": text.id,
            "label": f"{surname(text.id)} ({text.date})",
            "start": s.isoformat(),
            "end": e.isoformat(),
        }
        for text in load_corpus()
        for s, e in [publication_windows().get(text.id) or publication_span(text.date)]
        if e >= first and s <= last
    ]
    domain = [min(r["start"] for r in rows + publications), max(r["end"] for r in rows + publications)]
    x = {
        "field": "start",
        "type": "temporal",
        "title": None,
        "scale": {"type": "utc", "domain": domain, "nice": True},
        "axis": {"format": "%b %Y", "labelAngle": 0, "labelOverlap": True},
    }
    legend = {"orient": "bottom", "direction": "vertical", "titleLimit": 0}  # keeps the chart narrow
    which = [*_authors(), "both", "neither"]
    colours = _scale(which, [*AUTHOR_COLOURS.values(), BOTH_TEXTS_COLOUR, NEITHER_TEXT_COLOUR])
    label = "which text (see the subtitle)"
    y = {
        "field": "label_lines",
        "type": "nominal",
        "sort": None,
        "title": None,
        "axis": {"labelLimit": 0, "labelExpr": LINE_BREAKS, "labelLineHeight": 12},
    }
    publication_colours = _scale(
        [p["label"] for p in publications], [AUTHOR_COLOURS[p["text"]] for p in publications]
    )
    # A rect spanning each publication date: a line for a known day, a band for a month-only date.
    published = {
        "data": {"values": publications},
        "mark": {"type": "rect", "fillOpacity": 0.15, "strokeDash": [4, 3]},
        "encoding": {
            "x": x,
            "x2": {"field": "end"},
            "stroke": {
                "field": "label",
                "type": "nominal",
                "scale": publication_colours,
                "title": "published",
                "legend": legend,
            },
            "fill": {
                "field": "label",
                "type": "nominal",
                "scale": publication_colours,
                "title": "published",
                "legend": legend,
            },
        },
    }
    spans = {
        "mark": {"type": "rule", "strokeWidth": 3},
        "encoding": {
            "x": x,
            "x2": {"field": "end"},
            "y": y,
            "color": {"field": "which_text", "type": "nominal", "scale": colours, "legend": None},
        },
    }
    points = {
        "mark": {"type": "point", "filled": True, "size": 80, "opacity": 1},
        "encoding": {
            "x": x,
            "y": y,
            "color": {
                "field": "which_text",
                "type": "nominal",
                "scale": colours,
                "title": label,
                "legend": legend,
            },
            "shape": {
                "field": "which_text",
                "type": "nominal",
                "scale": _scale(which, WHICH_SHAPES),
                "title": label,
                "legend": legend,
            },
            "tooltip": tooltip("event:N", "dates:N", "how:N", "check:N", "note:N"),
        },
    }
    spec = top_level(
        {"text": "What happened around the two texts", "subtitle": subtitle},
        f"Timeline of {len(rows)} events from {rows[0]['dates']} to {rows[-1]['dates']}, one row each, "
        "with a dashed mark at each text's publication date. Each event's colour and shape say whether "
        "Trivedi, Cronin, both or neither refers to it; a label says when a text looks ahead to an event "
        "or calls for it, and when the event came after both texts.",
        width=420,
        height={"step": 28},
        data={"values": rows},
        # Independent scales: the publication marks' fill would otherwise merge with the points' colour.
        layer=[published, spans, points],
        resolve={
            "scale": {
                "color": "independent",
                "fill": "independent",
                "stroke": "independent",
                "shape": "independent",
            }
        },
    )
    table = table_html(
        f"The {len(rows)} events on the timeline",
        ["dates", "event", "how the texts relate"],
        [[r["dates"], r["event"], r["how"]] for r in rows],
    )
    return Chart(spec, table)


# --- all charts and export --------------------------------------------------------------------


def all_charts() -> dict[str, Chart]:
    """Every chart of the kit, by file name (without extension)."""
    return {
        "stance_map": stance_map(),
        "actor_mentions": actor_mentions(),
        "actor_strip": actor_strip(),
        "timeline": timeline(),
        # The window lesson 3 uses: what happened between the two texts.
        "timeline_between_texts": timeline(start="2018-04", end="2019-01"),
        "agreement_demo_panel": _demo_panel_agreement(),
    }


def _demo_panel_agreement() -> Chart:
    """Lesson 5's chart of the panel the kit ships."""
    from peninsula import reliability  # it builds its chart from this module's helpers

    return reliability.agreement_chart(reliability.load_panel(reliability.DEMO_PANEL_FILE))


def export_charts(out: Path, fmt: str = "svg") -> list[Path]:
    """Save every chart as SVG or PNG into `out` (made if needed); return the files written."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use {' or '.join(EXPORT_FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, chart in all_charts().items():
        path = out / f"{name}.{fmt}"
        chart.save(path, fmt)
        written.append(path)
    return written
