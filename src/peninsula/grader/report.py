"""`peninsula report`: how the class did, for the instructor's debrief.

Scores come from the gradebook. Per-item figures re-read each graded notebook's `answers` and score
them with the same functions the hidden tests use, so the two always agree. Instructor-only: it
reads the answer key.
"""

from __future__ import annotations

import csv
import html
import json
import math
import statistics
from collections import Counter
from pathlib import Path

from peninsula.grader.class_data import ClassData, load_class
from peninsula.grader.course import Course, PipelineError
from peninsula.grader.scoring import item_credit
from peninsula.grader.statuses import FAILED, GRADED, MISSING, NEEDS_MANUAL

NO_ACTOR = "(none)"


def skipped_html(skipped: dict[str, str]) -> str:
    """The submissions left out of the figures, each with its reason (ids escaped: a student chose them)."""
    if not skipped:
        return ""
    rows = "".join(f"<li>{html.escape(s)}: {html.escape(r)}</li>" for s, r in sorted(skipped.items()))
    return f"<p>Left out of the per-item figures ({len(skipped)}):</p><ul>{rows}</ul>"


def script_json(value: object) -> str:
    """JSON that cannot end the <script> element it sits in, whatever text it holds."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def item_difficulty(data: ClassData) -> list[dict]:
    """Mean credit per item (1 = everyone right), with its quote or prompt."""
    rows = []
    for item in data.items:
        credits = [item_credit(item, answers[item.id]) for answers in data.answers.values()]
        mean = sum(credits) / len(credits) if credits else 0.0
        rows.append({"item": item.id, "part": item.part, "mean_credit": round(mean, 3),
                     "where": item.where or "", "prompt": item.prompt})
    return rows


def actor_confusion(data: ClassData) -> list[dict]:
    """For recommendation items: how often students chose each actor where the key has each actor.

    Every (key actor, chosen actor) pair of one answer counts once; an empty answer counts as (none).
    """
    counts: Counter[tuple[str, str]] = Counter()
    for item in data.items:
        if item.id[0] != "R":
            continue
        key = item.full_credit[0]
        for answers in data.answers.values():
            chosen = answers[item.id] or frozenset({NO_ACTOR})
            for expected in key:
                for actor in chosen:
                    counts[(expected, actor)] += 1
    return [{"key_actor": k, "chosen_actor": c, "count": n} for (k, c), n in sorted(counts.items())]


def report_charts(data: ClassData) -> dict[str, object]:
    """The report's Altair charts: score distribution, item difficulty, actor confusion."""
    from peninsula import vega
    from peninsula.charts.palette import AUTHOR_COLOURS

    vega.enable_offline()
    import altair as alt

    scores = [{"student": s, "score": v} for s, v in sorted(data.scores.items())]
    difficulty = item_difficulty(data)
    distribution = (
        alt.Chart(alt.Data(values=scores)).mark_bar(color=AUTHOR_COLOURS["trivedi"])
        .encode(x=alt.X("score:Q", bin=score_bins(data.max_score), title="score"),
                y=alt.Y("count():Q", title="students", axis=alt.Axis(values=student_ticks(data), format="d")))
        .properties(title=f"Score distribution ({len(scores)} scored submissions, out of {data.max_score:g})",
                    description="Histogram of total scores from the gradebook.", width=420, height=200)
    )
    items = (
        alt.Chart(alt.Data(values=difficulty)).mark_bar(color=AUTHOR_COLOURS["cronin"])
        .encode(x=alt.X("item:N", sort=None, title="item"), y=alt.Y("mean_credit:Q", title="mean credit",
                scale=alt.Scale(domain=[0, 1])), tooltip=["item:N", "where:N", "prompt:N", "mean_credit:Q"])
        .properties(title="How hard each item was (mean credit, 1 = all right)", width=620, height=200,
                    description="Bar chart of the mean credit students earned on each item.")
    )
    result = {"score_distribution": distribution, "item_difficulty": items}
    confusion = actor_confusion(data)
    if confusion:
        result["actor_confusion"] = (
            alt.Chart(alt.Data(values=confusion)).mark_rect()
            .encode(x=alt.X("chosen_actor:N", title="actor students chose"),
                    y=alt.Y("key_actor:N", title="actor in the key"),
                    color=alt.Color("count:Q", scale=alt.Scale(scheme="viridis"), title="answers"),
                    tooltip=["key_actor:N", "chosen_actor:N", "count:Q"])
            .properties(title="Actor confusion: the key's actor against the actors students chose",
                        description="Heat map counting, over all students and recommendation items, each "
                        "pair of an actor in the key and an actor the student chose.", width=300, height=240)
        )
    return result


def bin_step(max_score: float) -> int:
    """Whole points per bar, for about ten bars: a range a reader can say aloud ("20 to 24")."""
    return max(1, math.ceil(max_score / 10))


def score_bins(max_score: float):
    import altair as alt

    return alt.Bin(step=bin_step(max_score), extent=[0, math.ceil(max_score)])


def student_ticks(data: ClassData) -> list[int]:
    """Whole numbers for the histogram's count axis (Vega would otherwise tick 0.5, 1, 1.5 ...)."""
    step = bin_step(data.max_score)
    tallest = max(Counter(int(score // step) for score in data.scores.values()).values())
    return list(range(0, tallest + 1, math.ceil(tallest / 5)))


def status_counts(course: Course, assignment: str) -> Counter[str] | None:
    """Students per status in the grades CSV `peninsula grade` writes (None before it has run)."""
    grades = course.folder("exports", f"{assignment}-grades.csv")
    if not grades.exists():
        return None
    with grades.open(encoding="utf-8", newline="") as handle:
        return Counter(row["status"] for row in csv.DictReader(handle))


def overview_html(data: ClassData, statuses: Counter[str] | None) -> str:
    """The report's first lines, for a busy instructor: who is graded, the median, what to discuss."""
    if statuses is None:
        counts = f"{len(data.scores)} submissions in the gradebook (`peninsula grade` gives each status)"
    else:
        counts = (f"{statuses[GRADED]} graded, {statuses[NEEDS_MANUAL]} pending (waiting for manual "
                  f"grading), {statuses[FAILED]} failed and {statuses[MISSING]} missing, of "
                  f"{sum(statuses.values())} students")
    median = statistics.median(data.scores.values())
    discuss = "".join(
        f"<li><b>{r['item']}</b>{_quoted(r)} (mean credit {r['mean_credit']:.2f})</li>"
        for r in most_missed(data, 3)
    )
    return (
        "<section class='summary' aria-labelledby='in-short'><h2 id='in-short'>In short</h2>"
        f"<p>{counts}.</p><p>Median score: <b>{round(median, 2):g} of {data.max_score:g}</b> "
        f"({len(data.scores)} scored submissions).</p>"
        f"<p>Three items to discuss in class, the most missed first:</p><ol>{discuss}</ol></section>"
    )


def _quoted(row: dict) -> str:
    """", T6: “quote”" for a recommendation, ": prompt" for an item without a paragraph."""
    if row["where"]:
        return f", {html.escape(row['where'])}: “{html.escape(row['prompt'])}”"
    return f": {html.escape(row['prompt'])}"


def most_missed(data: ClassData, count: int = 8) -> list[dict]:
    return sorted(item_difficulty(data), key=lambda row: row["mean_credit"])[:count]


def missed_table_html(data: ClassData) -> str:
    """The most-missed items as an HTML table, with their paragraph and quote (or prompt)."""
    rows = "".join(
        f"<tr><td>{r['item']}</td><td>{r['mean_credit']:.2f}</td><td>{html.escape(r['where'])}</td>"
        f"<td>{html.escape(r['prompt'])}</td></tr>"
        for r in most_missed(data)
    )
    columns = ("item", "mean credit", "paragraph", "quote or prompt")
    head = "".join(f"<th scope='col'>{column}</th>" for column in columns)
    return f"<table><tr>{head}</tr>{rows}</table>"


def write_report(course: Course, assignment: str) -> Path:
    """exports/<assignment>-report.html: the charts, with Vega inlined once so the page opens offline,
    and the most-missed items with their quotes, ready for a debrief."""
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    from peninsula.grader.agreement import agreement_charts, class_agreement, summary_html
    from peninsula.grader.feedback_page import STYLESHEET
    from peninsula.grader.regrades import requests_html
    from peninsula.vega import EMBED_OPTIONS

    data = load_class(course, assignment)
    if not data.scores:
        raise PipelineError(f"no graded submissions of {assignment} yet; run `peninsula grade {assignment}`")

    def embed(charts: dict[str, object]) -> str:
        return "".join(
            f"<div id='{name}'></div>"
            f"<script type='module'>vegaEmbed('#{name}', {script_json(chart.to_dict())}, "
            f"{script_json(EMBED_OPTIONS)});</script>"
            for name, chart in charts.items()
        )

    embeds = embed(report_charts(data))
    agreement = class_agreement(data)
    mean = sum(data.scores.values()) / len(data.scores)
    bundle = vl_convert.javascript_bundle(vl_version=vl_version_for_vl_convert())
    title = html.escape(assignment)
    target = course.folder("exports", f"{assignment}-report.html")
    target.parent.mkdir(exist_ok=True)
    target.write_text(
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}: class report"
        f"</title><style>{STYLESHEET.read_text(encoding='utf-8')}</style>"
        f"<script type='module'>{bundle}</script></head><body><main>"
        f"<h1>{title}: how the class did</h1>{overview_html(data, status_counts(course, assignment))}"
        f"<h2>Scores and items</h2>"
        f"<p>{len(data.scores)} scored submissions; mean score {mean:.2f} of {data.max_score:g}.</p>"
        f"{skipped_html(data.skipped)}"
        f"{embeds}<h2>The class as a panel of coders</h2>{summary_html(agreement)}"
        f"{embed(agreement_charts(agreement))}"
        f"<h2>Most-missed items, for the debrief</h2>{missed_table_html(data)}"
        f"{requests_html(course, assignment)}</main></body></html>",  # regrade requests per item
        encoding="utf-8",
    )
    return target
