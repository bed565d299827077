"""Actor charts: how often each text mentions each actor, and where in the text."""

from __future__ import annotations

from collections.abc import Sequence

from peninsula.charts.palette import actor_scale, authors, surname
from peninsula.codebook import load_codebook
from peninsula.texts import load_corpus
from peninsula.vega import Chart, table_html, tooltip, top_level


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
            "color": {"field": "actor", "type": "nominal", "scale": actor_scale(), "legend": None},
            "row": {"field": "author", "type": "nominal", "title": None, "sort": authors()},
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
    names = authors()
    cells = {(r["actor"], r["author"]): f"{r['per_1000_words']} ({r['mentions']})" for r in rows}
    actors = list(dict.fromkeys(r["actor"] for r in rows))
    table = table_html(
        "Mentions per 1,000 words, with the count in brackets",
        ["actor", *names],
        [[actor, *(cells[actor, a] for a in names)] for actor in actors],
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
    names, actors = authors(), [a.name for a in load_codebook().actors.values()]
    where: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        paragraphs = where.setdefault((row["actor"], row["author"]), [])
        if row["paragraph"] not in paragraphs:
            paragraphs.append(row["paragraph"])
    table = table_html(
        "The paragraphs where each text mentions each actor",
        ["actor", *names],
        [[actor, *(paragraph_ranges(where.get((actor, a), [])) for a in names)] for actor in actors],
    )
    return Chart(spec, table)
