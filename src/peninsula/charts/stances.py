"""The stance map: where each author stands on each issue, from the student-safe positions."""

from __future__ import annotations

from collections.abc import Collection

from peninsula.charts.palette import AUTHOR_COLOURS, AUTHOR_SHAPES, authors, surname
from peninsula.codebook import load_codebook, stance_label
from peninsula.positions import load_positions
from peninsula.vega import OKABE_ITO, Chart, scale, table_html, tooltip, top_level

GRADED = "hidden (graded)"  # the stance map's column for stances Assignment 2 grades
NOT_REVEALED = "not revealed yet"  # in the comparer, until the student reveals the kit's reading


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
    names = authors()
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
            "yOffset": {"field": "author", "type": "nominal", "scale": {"domain": names}},
            "color": {
                "field": "author",
                "type": "nominal",
                "title": "author",
                "scale": scale(names, AUTHOR_COLOURS.values()),
            },
            "shape": {
                "field": "author",
                "type": "nominal",
                "title": "author",
                "scale": scale(names, AUTHOR_SHAPES),
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
        ["issue", *names],
        [[issue, *(stances[a] for a in names)] for issue, stances in by_issue.items()],
    )
    return Chart(spec, table)
