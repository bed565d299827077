"""The timeline chart: the events the texts refer to, look ahead to or call for, with both
publication dates marked (the events themselves come from `peninsula.timeline`)."""

from __future__ import annotations

import datetime as dt
import textwrap

from peninsula.charts.palette import (
    AUTHOR_COLOURS,
    BOTH_TEXTS_COLOUR,
    NEITHER_TEXT_COLOUR,
    WHICH_SHAPES,
    authors,
    surname,
)
from peninsula.texts import load_corpus
from peninsula.timeline import (
    PLURAL_VERBS,
    RELATIONS,
    Event,
    load_timeline,
    parse_when,
    publication_span,
    publication_windows,
)
from peninsula.vega import Chart, scale, table_html, tooltip, top_level

SUBTITLE_WIDTH = 90  # characters per subtitle line: Vega does not wrap titles
NAMED_EARLIER = 2  # a timeline's subtitle names up to this many events before its window, or counts them
#: Characters per line of a timeline label: two short lines keep the whole chart inside a notebook's
#: width, so it never scrolls sideways (a scrolling output cannot be reached from the keyboard).
LABEL_WIDTH = 52
LINE_BREAKS = "split(datum.label, '\\n')"  # an axis label as lines


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
    which = [*authors(), "both", "neither"]
    colours = scale(which, [*AUTHOR_COLOURS.values(), BOTH_TEXTS_COLOUR, NEITHER_TEXT_COLOUR])
    label = "which text (see the subtitle)"
    y = {
        "field": "label_lines",
        "type": "nominal",
        "sort": None,
        "title": None,
        "axis": {"labelLimit": 0, "labelExpr": LINE_BREAKS, "labelLineHeight": 12},
    }
    publication_colours = scale(
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
                "scale": scale(which, WHICH_SHAPES),
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
