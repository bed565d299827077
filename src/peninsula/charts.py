"""The kit's charts: author stances, actor mentions, where actors appear, and the timeline.

Every chart renders offline in JupyterLab (see `enable_offline`), has a title and a
description that screen readers announce, uses the Okabe–Ito colour-blind-safe palette, and
can be saved as SVG or PNG for handouts (`peninsula export-charts`). All data comes from the
texts, the codebook, the student-safe positions and data/timeline.yaml; nothing is typed here.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import yaml

from peninsula.codebook import load_codebook
from peninsula.paths import PACKAGE_DATA
from peninsula.positions import load_positions
from peninsula.texts import PublicationDate, load_corpus

TIMELINE_FILE = PACKAGE_DATA / "timeline.yaml"

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

GRADED = "hidden (graded)"  # the stance map's column for stances Assignment 2 grades
NOT_REVEALED = "not revealed yet"  # in the comparer, until the student reveals the kit's reading
CHECK_VALUES = ("verified", "partly verified")
EXPORT_FORMATS = ("svg", "png")


def enable_offline() -> None:
    """Render charts with JupyterLab's built-in Vega-Lite 5 renderer, so no CDN is needed.

    Every public chart function calls this, so a lesson needs no setup cell. Calling it again is harmless.
    Vega-Embed gives the chart's wrapper the description as its aria-label; SVG keeps marks crisp.
    """
    alt.renderers.enable("mimetype", embed_options={"renderer": "svg"})


def surname(text_id: str) -> str:
    """How the charts name a text: its author's surname ("Trivedi", "Cronin")."""
    return load_corpus()[text_id].surname


def _author_scale(shapes: bool = False) -> alt.Scale:
    """Colours (or, so colour is not the only cue, shapes) for the authors, Trivedi first."""
    return alt.Scale(
        domain=[surname(text_id) for text_id in AUTHOR_COLOURS],
        range=list(AUTHOR_SHAPES if shapes else AUTHOR_COLOURS.values()),
    )


def _actor_scale() -> alt.Scale:
    actors = load_codebook().actors.values()
    return alt.Scale(domain=[a.name for a in actors], range=[a.colour for a in actors])


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


def stance_map(highlight: str | None = None, revealed: Collection[str] | None = None) -> alt.Chart:
    """Where each author stands on each issue; `highlight` (an issue id) brings one issue forward.

    Clicking an issue's row on the chart also brings it forward. With `revealed`, only those issues'
    stances are drawn; the others sit in a "not revealed yet" column.
    """
    enable_offline()
    codebook = load_codebook()
    if highlight is not None and highlight not in codebook.issues:
        raise KeyError(f"unknown issue {highlight!r}; the codebook's issues are {', '.join(codebook.issues)}")
    order = [stance_label(s) for s in codebook.stances] + [GRADED]
    if revealed is not None:
        order.append(NOT_REVEALED)
    chosen = alt.selection_point(
        name="chosen_issue", fields=["issue"], value=[{"issue": highlight}] if highlight else alt.Undefined
    )
    subtitle = (
        f"Highlighted: {codebook.issues[highlight].name}" if highlight else "Click an issue to highlight it"
    )
    return (
        alt.Chart(alt.Data(values=stance_rows(revealed)))
        .mark_point(filled=True, size=140, opacity=1)
        .encode(
            x=alt.X("stance:O", scale=alt.Scale(domain=order, type="band"),
                    title="stance on the issue's proposition", axis=alt.Axis(labelAngle=0, labelLimit=110)),
            y=alt.Y("issue_name:N", sort=[i.name for i in codebook.issues.values()], title=None),
            xOffset=alt.XOffset("author:N", scale=alt.Scale(domain=_author_scale().domain)),
            color=alt.Color("author:N", scale=_author_scale(), title="author"),
            shape=alt.Shape("author:N", scale=_author_scale(shapes=True), title="author"),
            opacity=alt.condition(chosen, alt.value(1.0), alt.value(0.3)),
            tooltip=["author:N", "issue_name:N", "proposition:N", "stance:N", "meaning:N", "summary:N"],
        )
        .add_params(chosen)
        .properties(
            title=alt.TitleParams("Where Trivedi and Cronin stand on each issue", subtitle=subtitle),
            description=(
                "Dot chart of the two authors' stances on the codebook's ten issues, from -2 (strongly "
                "against the issue's proposition) to +2 (strongly for it), or not addressed. Stances graded "
                "in Assignment 2 are not shown. Trivedi is a blue circle, Cronin a vermillion square."
            ),
            width=620,
            height=320,
        )
    )  # fmt: skip


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


def actor_mentions() -> alt.Chart:
    """How often each text mentions each actor, per 1,000 words so the texts' lengths do not matter."""
    enable_offline()
    codebook = load_codebook()
    return (
        alt.Chart(alt.Data(values=mention_rows()))
        .mark_bar()
        .encode(
            x=alt.X("per_1000_words:Q", title="mentions per 1,000 words"),
            y=alt.Y("actor:N", sort=[a.name for a in codebook.actors.values()], title=None),
            color=alt.Color("actor:N", scale=_actor_scale(), title="actor"),
            row=alt.Row("author:N", title=None, sort=[surname(t) for t in AUTHOR_COLOURS]),
            tooltip=["author:N", "actor:N", "mentions:Q", "words:Q", "per_1000_words:Q"],
        )
        .properties(
            title="How often each text mentions each actor",
            description=(
                "Bar chart with one panel per text. Each bar is one actor's mentions per 1,000 words of "
                "that text, found by matching the codebook's names for the actor."
            ),
            width=480,
            height=150,
        )
    )


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


def actor_strip() -> alt.Chart:
    """Where in each text each actor is mentioned, from its start (0%) to its end (100%)."""
    enable_offline()
    codebook = load_codebook()
    return (
        alt.Chart(alt.Data(values=strip_rows()))
        .mark_tick(thickness=2, opacity=1)
        .encode(
            x=alt.X("position:Q", scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format="%"), title="position in the text (share of its length)"),
            y=alt.Y("actor:N", sort=[a.name for a in codebook.actors.values()], title=None),
            color=alt.Color("actor:N", scale=_actor_scale(), title="actor"),
            row=alt.Row("author:N", title=None, sort=[surname(t) for t in AUTHOR_COLOURS]),
            tooltip=["author:N", "actor:N", "paragraph:N", "words_matched:N"],
        )
        .properties(
            title="Where each text mentions each actor",
            description=(
                "Strip chart with one panel per text and one row per actor. Each tick is one mention, "
                "placed by how far into the text it occurs, from the start at 0% to the end at 100%."
            ),
            width=480,
            height=150,
        )
    )  # fmt: skip


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

    @property
    def dates(self) -> str:
        """The dates in words, e.g. "17–18 April 2018", "July 2018", "1 April 2018 (revealed …)"."""
        if self.precision == "month":
            when = f"{self.start:%B %Y}"
        elif self.end == self.start:
            when = _day(self.start)
        else:
            when = f"{_day(self.start)} – {_day(self.end)}"
        return f"{when} (revealed {_day(self.revealed)})" if self.revealed else when


def _day(date: dt.date) -> str:
    return f"{date.day} {date:%B %Y}"


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


class _DatesAsText(yaml.SafeLoader):
    """Safe YAML, but dates stay text so `parse_when` checks them and names the event."""


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


@functools.cache
def load_timeline(path: Path = TIMELINE_FILE) -> tuple[Event, ...]:
    """The events in timeline.yaml, checked: every problem names the file and the event."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_DatesAsText) or {}
    known_texts = tuple(load_corpus().texts)
    events, seen = [], set()
    for number, record in enumerate(data.get("events") or [], start=1):
        where = f"{path}: event {number} ({record.get('label', 'no label')!r})"
        unknown = set(record) - {"date", "start", "end", "revealed", "label", "texts", "check", "note"}
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
        events.append(Event(record["label"], start, end, precision, revealed, texts, record["check"],
                            record.get("note")))  # fmt: skip
    return tuple(sorted(events, key=lambda e: e.start))


def publication_span(date: PublicationDate) -> tuple[dt.date, dt.date]:
    """The days a publication date covers: one day, or a whole month when only the month is known."""
    if date.precision == "month":
        last = calendar.monthrange(date.value.year, date.value.month)[1]
        return date.value, date.value.replace(day=last)
    return date.value, date.value


def refers_to(texts: tuple[str, ...]) -> str:
    """Which text refers to an event, as the timeline shows it: an author's surname, "both" or "neither"."""
    if not texts:
        return "neither"
    return surname(texts[0]) if len(texts) == 1 else "both"


def timeline_rows(start: str | None = None, end: str | None = None) -> list[dict]:
    """The events that overlap the window from `start` to `end` (YYYY, YYYY-MM or YYYY-MM-DD; inclusive)."""
    first, last = _window(start, end)
    latest_publication = max(publication_span(text.date)[1] for text in load_corpus())
    return [
        {
            "event": event.label + (" (after both texts)" if event.start > latest_publication else ""),
            "start": event.start.isoformat(),
            "end": (event.revealed or event.end).isoformat(),
            "dates": event.dates,
            "referred_to_by": refers_to(event.texts),
            "check": event.check,
            "note": event.note or "",
        }
        for event in load_timeline()
        if event.end >= first and event.start <= last
    ]


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


def timeline(start: str | None = "2017", end: str | None = None) -> alt.LayerChart:
    """The events the texts refer to, on a time axis, with both publication dates marked.

    `start` and `end` (e.g. "2018-04", "2019-01") narrow it to the events in that window. It starts
    in 2017 by default, because one 2007 event would squeeze the rest; the subtitle names what a
    window leaves out before its start. `start=None` shows every event.
    """
    enable_offline()
    rows = timeline_rows(start, end)
    if not rows:
        raise ValueError(f"timeline(): no events between {start or 'the first'} and {end or 'the last'}")
    first, last = _window(start, end)
    earlier = [f"{e.label} ({e.dates})" for e in load_timeline() if e.end < first]
    subtitle = ["Dashed: when each text came out. Colour and shape: which text refers to it or calls for it"]
    if earlier:
        subtitle.append("Earlier, not shown: " + "; ".join(earlier))
    publications = [
        {
            "text": text.id,
            "label": f"{surname(text.id)} ({text.date})",
            "start": s.isoformat(),
            "end": e.isoformat(),
        }
        for text in load_corpus()
        for s, e in [publication_span(text.date)]
        if e >= first and s <= last
    ]
    domain = [min(r["start"] for r in rows + publications), max(r["end"] for r in rows + publications)]
    x = alt.X("start:T", title=None, scale=alt.Scale(type="utc", domain=domain, nice=True),
              axis=alt.Axis(format="%b %Y", labelAngle=0))  # fmt: skip
    legend_below = alt.Legend(orient="bottom", direction="vertical")  # keeps the chart narrow
    refers = alt.Scale(
        domain=[surname(t) for t in AUTHOR_COLOURS] + ["both", "neither"],
        range=[*AUTHOR_COLOURS.values(), BOTH_TEXTS_COLOUR, NEITHER_TEXT_COLOUR],
    )
    events = alt.Chart(alt.Data(values=rows)).encode(
        x=x, y=alt.Y("event:N", sort=None, title=None, axis=alt.Axis(labelLimit=360))
    )
    spans = events.mark_rule(strokeWidth=3).encode(
        x2="end:T", color=alt.Color("referred_to_by:N", scale=refers, legend=None)
    )
    points = events.mark_point(filled=True, size=80, opacity=1).encode(
        color=alt.Color("referred_to_by:N", scale=refers, title="which text", legend=legend_below),
        shape=alt.Shape(
            "referred_to_by:N",
            scale=alt.Scale(domain=refers.domain),
            title="which text",
            legend=legend_below,
        ),
        tooltip=["event:N", "dates:N", "referred_to_by:N", "check:N", "note:N"],
    )
    # A rect spanning each publication date: a line for a known day, a band for a month-only date.
    published = alt.Chart(alt.Data(values=publications)).mark_rect(fillOpacity=0.15, strokeDash=[4, 3])
    publication_colour = alt.Scale(domain=[p["label"] for p in publications],
                                   range=[AUTHOR_COLOURS[p["text"]] for p in publications])  # fmt: skip
    marks = published.encode(
        x=x, x2="end:T",
        stroke=alt.Stroke("label:N", scale=publication_colour, title="published", legend=legend_below),
        fill=alt.Fill("label:N", scale=publication_colour, title="published", legend=legend_below),
    )  # fmt: skip
    # Independent scales: the publication marks' fill would otherwise merge with the points' colour.
    return (
        alt.layer(marks, spans, points)
        .resolve_scale(color="independent", fill="independent", stroke="independent", shape="independent")
        .properties(
            title=alt.TitleParams(
                "What happened around the two texts",
                subtitle=subtitle,
            ),
            description=(
                f"Timeline of {len(rows)} events from {rows[0]['dates']} to {rows[-1]['dates']}, one row "
                "each, with a dashed mark at each text's publication date. Each event's colour and shape say "
                "whether Trivedi, Cronin, both or neither refers to it or calls for it. Events after both "
                "texts say so."
            ),
            width=460,
            height=alt.Step(20),
        )
    )


# --- all charts and export --------------------------------------------------------------------


def all_charts() -> dict[str, alt.TopLevelMixin]:
    """Every chart of the kit, by file name (without extension)."""
    return {
        "stance_map": stance_map(),
        "actor_mentions": actor_mentions(),
        "actor_strip": actor_strip(),
        "timeline": timeline(),
        # The window lesson 3 uses: what happened between the two texts.
        "timeline_between_texts": timeline(start="2018-04", end="2019-01"),
    }


def export_charts(out: Path, fmt: str = "svg") -> list[Path]:
    """Save every chart as SVG or PNG into `out` (made if needed); return the files written."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use {' or '.join(EXPORT_FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, chart in all_charts().items():
        path = out / f"{name}.{fmt}"
        chart.save(path, format=fmt, **({"scale_factor": 2} if fmt == "png" else {}))
        written.append(path)
    return written
