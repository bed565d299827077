"""The class as a panel of coders: how far the students' codings agree with each other.

Every submission of an assignment is one student's independent coding of the same units, so the
class can be read the way content analysts read a panel of coders. This module gives
Krippendorff's α (level of measurement "nominal", through the `krippendorff` package, whose own
default is "interval") for the whole assignment and for each item, each with a 95% bootstrap
interval, and the percent agreement beside it, so the gap that chance explains is visible.

Units. A recommendation item (R) is answered with a *set* of actors, and α needs one code per
coder and unit. The kit makes each (item, actor) pair one yes/no unit: "did this student say this
actor must act?". A set distance such as MASI would keep one unit per item, but it is not nominal,
it counts "US" against "US, South Korea" as a partial match by a rule students would have to take
on trust, and it cannot be double-coded by hand in the lesson. Yes/no units are nominal, decompose
exactly what the grader's partial credit rewards (each actor added or missed), and each one is a
decision a student can check. Items of other kinds (an author, a stance, a plan branch, a
paragraph) are one nominal unit each, coded with the normalised answer. A blank or unreadable
answer is no code at all, never a disagreement.

Intervals. The overall interval resamples items with replacement (an item's six actor units stay
together: they come from one reading of one quote); an item's interval resamples students, the
only thing that varies within one item. A student drawn twice counts as two coders who agree,
which lifts a resampled α a little (about one pair in N); the point estimates are unaffected.

Instructor-only: the chart of items where the class agrees on an answer the key does not credit
reads the key. The codings themselves leave this module only through `peninsula.grader.codings`.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from dataclasses import dataclass

from peninsula import reliability
from peninsula.answers import Answer
from peninsula.codebook import load_codebook
from peninsula.grader.class_data import ClassData
from peninsula.grader.key import Item
from peninsula.grader.scoring import item_credit
from peninsula.reliability import Panel, Unit

RESAMPLES = 1000
#: An item is worth a second look when more than this share of the class gave one answer the key
#: does not give full credit: a shared trap, or a slip in the key.
CONVERGED = 0.5
#: α compares coders with each other: with fewer there is nothing to compare.
MIN_CODERS = 2


@dataclass(frozen=True)
class ItemAgreement:
    item: str
    where: str
    coders: int
    alpha: float
    low: float
    high: float
    percent: float
    plurality: str  # the answer most students gave, as students would write it
    plurality_share: float
    plurality_credit: float
    mean_credit: float

    @property
    def converged_off_key(self) -> bool:
        return self.plurality_share > CONVERGED and self.plurality_credit < 1


@dataclass(frozen=True)
class ClassAgreement:
    assignment: str
    coders: int
    units: int
    alpha: float
    low: float
    high: float
    percent: float
    chance: float
    items: list[ItemAgreement]
    resamples: int


def item_units(item: Item, answers: list[Answer | None]) -> list[Unit]:
    """The units one item contributes, from every student's normalised answer (None: no code)."""
    coded = [a for a in answers if a is not None]
    uncoded = len(answers) - len(coded)
    if item.id[0] == "R":
        return [
            Unit(f"{item.id} {actor}", actor, dict(Counter(int(actor in a) for a in coded)), uncoded)
            for actor in load_codebook().actors
        ]
    return [Unit(item.id, item.part, dict(Counter(_code(a) for a in coded)), uncoded)]


def _code(answer: Answer) -> str | int:
    return answer if isinstance(answer, int | str) else ", ".join(sorted(answer))


def class_panel(data: ClassData) -> Panel:
    """Every unit of the assignment, coded by every graded student (ids name the item and actor)."""
    students = [s for s, answers in data.answers.items() if any(v is not None for v in answers.values())]
    units = tuple(
        u for item in data.items for u in item_units(item, [data.answers[s][item.id] for s in students])
    )
    return Panel(f"{data.assignment}, {len(students)} graded submissions", units, len(students))


def class_agreement(data: ClassData, resamples: int = RESAMPLES, seed: int = 0) -> ClassAgreement:
    import numpy as np

    panel = class_panel(data)
    if panel.coders < MIN_CODERS:
        nan = math.nan
        return ClassAgreement(data.assignment, panel.coders, len(panel.units), nan, nan, nan, nan, nan, [], 0)
    students = [s for s, answers in data.answers.items() if any(v is not None for v in answers.values())]
    by_item = {item.id: [u for u in panel.units if u.id.split(" ")[0] == item.id] for item in data.items}
    matrices = [reliability.value_counts(units, panel.codes) for units in by_item.values()]
    rng = np.random.default_rng(seed)
    overall = [
        reliability.alpha_from_counts(
            np.vstack([matrices[i] for i in rng.integers(0, len(matrices), len(matrices))])
        )
        for _ in range(resamples)
    ]
    low, high = _interval(overall)
    items = [_item_agreement(item, data, students, panel.codes, resamples, rng) for item in data.items]
    return ClassAgreement(
        data.assignment,
        panel.coders,
        len(panel.units),
        reliability.alpha(panel),
        low,
        high,
        reliability.percent_agreement(panel),
        reliability.chance_agreement(panel),
        items,
        resamples,
    )


def _item_agreement(
    item: Item, data: ClassData, students: list[str], codes: tuple, resamples: int, rng
) -> ItemAgreement:
    import numpy as np

    answers = [data.answers[s][item.id] for s in students]
    panel = Panel(item.id, tuple(item_units(item, answers)), len(students))
    # One students × units × codes array of 0/1, so a resample of students is a sum over rows.
    onehot = np.array(
        [[[c == code for code in codes] for c in _student_codes(item, a)] for a in answers], float
    )
    replicates = [
        reliability.alpha_from_counts(onehot[rng.integers(0, len(students), len(students))].sum(axis=0))
        for _ in range(resamples)
    ]
    low, high = _interval(replicates)
    given = Counter(a for a in answers if a is not None)
    plurality, count = given.most_common(1)[0] if given else (None, 0)
    credits = [item_credit(item, a) for a in answers]
    return ItemAgreement(
        item.id,
        item.where or item.prompt,
        sum(a is not None for a in answers),
        reliability.alpha(panel),
        low,
        high,
        reliability.percent_agreement(panel),
        _shown(plurality),
        count / len(answers) if answers else 0.0,
        item_credit(item, plurality),
        sum(credits) / len(credits) if credits else 0.0,
    )


def _student_codes(item: Item, answer: Answer | None) -> list[str | int | None]:
    """One student's code on each of the item's units (None: no code)."""
    if item.id[0] == "R":
        return [None if answer is None else int(actor in answer) for actor in load_codebook().actors]
    return [None if answer is None else _code(answer)]


def _shown(answer: Answer | None) -> str:
    if answer is None:
        return "(no usable answer)"
    if isinstance(answer, frozenset):
        actors = load_codebook().actors
        return ", ".join(actors[code].name for code in sorted(answer))
    return str(answer)


def _interval(replicates: list[float]) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of the defined replicates (NaN if none is defined)."""
    defined = sorted(r for r in replicates if not math.isnan(r))
    if not defined:
        return math.nan, math.nan
    pick = lambda q: defined[min(len(defined) - 1, max(0, round(q * (len(defined) - 1))))]  # noqa: E731
    return pick(0.025), pick(0.975)


# ------------------------------------------------------------------ the report's section


def _f(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.2f}"


def agreement_charts(result: ClassAgreement) -> dict[str, object]:
    """Two Altair charts: items where the class converges on an answer the key does not credit,
    and each item's α with its interval (the lowest are the units the class reads differently)."""
    from peninsula import vega

    if result.coders < MIN_CODERS:
        return {}  # no α to draw: summary_html says why
    vega.enable_offline()
    import altair as alt

    rows = [
        {
            "item": i.item,
            "where": i.where,
            "alpha": round(i.alpha, 3) if not math.isnan(i.alpha) else None,
            "low": _rounded(i.low),
            "high": _rounded(i.high),
            "percent": round(i.percent, 3),
            "share": round(i.plurality_share, 3),
            "answer": i.plurality,
            "mean_credit": round(i.mean_credit, 3),
            "look": "worth a second look" if i.converged_off_key else "other items",
        }
        for i in result.items
    ]
    look_colours = alt.Scale(
        domain=["worth a second look", "other items"],
        range=[vega.OKABE_ITO["vermillion"], vega.OKABE_ITO["sky blue"]],
    )
    points = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X(
            "share:Q",
            title="share of the class giving its most common answer",
            scale=alt.Scale(domain=[0, 1]),
        ),
        y=alt.Y("mean_credit:Q", title="mean credit against the key", scale=alt.Scale(domain=[0, 1])),
    )
    off_key = alt.layer(
        points.mark_point(filled=True, size=70).encode(
            color=alt.Color("look:N", title=None, scale=look_colours),
            tooltip=["item:N", "where:N", "answer:N", "share:Q", "mean_credit:Q"],
        ),
        points.transform_filter("datum.look == 'worth a second look'")
        .mark_text(align="left", dx=7, fontSize=11)
        .encode(text="item:N"),
        alt.Chart(alt.Data(values=[{"x": CONVERGED}]))
        .mark_rule(strokeDash=[4, 3], color="grey")
        .encode(x="x:Q"),
    ).properties(
        title="Where the class agrees with itself but not with the key",
        description="Scatter plot, one point per item: the share of students giving the item's most "
        "common answer against the item's mean credit. Labelled points: more than half the class gave "
        "one answer that the key does not fully credit (a shared trap, or a candidate key error).",
        width=420,
        height=300,
    )
    ordered = sorted((r for r in rows if r["alpha"] is not None), key=lambda r: r["alpha"])
    base = alt.Chart(alt.Data(values=ordered)).encode(
        y=alt.Y("item:N", sort=None, title=None),
        tooltip=["item:N", "where:N", "alpha:Q", "low:Q", "high:Q", "percent:Q"],
    )
    per_item = alt.layer(
        base.mark_rule(color=vega.OKABE_ITO["sky blue"]).encode(
            x=alt.X("low:Q", title="Krippendorff's α"), x2="high:Q"
        ),
        base.mark_point(filled=True, color=vega.OKABE_ITO["blue"]).encode(x="alpha:Q"),
        alt.Chart(alt.Data(values=[{"x": round(result.alpha, 3)}]))
        .mark_rule(strokeDash=[4, 3], color="grey")
        .encode(x="x:Q"),
    ).properties(
        title="Where the class disagrees with itself: α per item, least agreement first",
        description="Dot plot of each item's Krippendorff's alpha with its 95% bootstrap interval, "
        "sorted from the lowest; the dashed line is the whole assignment's alpha. Items at the top "
        "are units the class read in different ways: worth a discussion.",
        width=420,
        height=max(200, 14 * len(ordered)),
    )
    return {"agrees_off_key": off_key, "alpha_per_item": per_item}


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 3)


def summary_html(result: ClassAgreement) -> str:
    """The overall figures, the method in two sentences, and the items worth a look, as HTML."""
    if result.coders < MIN_CODERS:
        graded = f"{result.coders} graded submission{'' if result.coders == 1 else 's'}"
        return (
            f"<p>Krippendorff's α needs at least {MIN_CODERS} coders: it compares the students' codings "
            f"with each other, and this class has {graded} with a usable answer. The agreement figures "
            "and charts appear here once two or more students are graded.</p>"
        )
    look = [i for i in result.items if i.converged_off_key]
    lowest = sorted((i for i in result.items if not math.isnan(i.alpha)), key=lambda i: i.alpha)[:5]
    rows = "".join(
        f"<tr><td>{i.item}</td><td>{html.escape(i.where)}</td><td>{html.escape(i.plurality)}</td>"
        f"<td>{i.plurality_share:.0%}</td><td>{i.mean_credit:.2f}</td></tr>"
        for i in look
    )
    table = (
        (
            "<table border='1' cellpadding='4'><tr><th>item</th><th>paragraph</th><th>most common answer</th>"
            f"<th>share</th><th>mean credit</th></tr>{rows}</table>"
        )
        if look
        else "<p>None.</p>"
    )
    return (
        f"<p>The class as a panel of {result.coders} coders over {result.units} units: "
        f"<b>Krippendorff's α = {_f(result.alpha)}</b> (95% bootstrap interval {_f(result.low)} to "
        f"{_f(result.high)}, {result.resamples} resamples of the items); percent agreement "
        f"{_f(result.percent)}, where chance alone would give {_f(result.chance)}.</p>"
        "<p>How it is measured: each recommendation item counts as one yes/no unit per actor (did the "
        "student name this actor?), other items as one unit coded with the answer; α is nominal and a blank "
        "answer is no code. Item intervals resample students.</p>"
        f"<p>Least agreement: {', '.join(f'{i.item} (α {_f(i.alpha)})' for i in lowest)}.</p>"
        f"<h3>Items where more than half the class gave one answer the key does not fully credit</h3>{table}"
    )
