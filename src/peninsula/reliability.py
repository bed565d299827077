"""How far a panel of coders agrees: percent agreement, the agreement chance alone would give, and
Krippendorff's α for nominal codes. Student-safe: it reads panels of codings, never the answer key.

A panel is a set of units, each coded by several coders. For each unit it keeps only how many
coders gave each code (and how many gave none): that is all nominal α needs, and it means a panel
file holds no coder's row, so no student can be traced in it.

Percent agreement and chance agreement are worked out here in plain Python, the way the lesson
explains them:

- percent agreement: compare every code given to a unit with the codes the *other* coders gave
  that unit, and average the share that match (units coded by one coder only are left out);
- chance agreement: the chance that two codes drawn at random from all those codes match;
- α = (percent agreement − chance agreement) / (1 − chance agreement): 1 when every coder agrees,
  0 when they agree no more than chance would make them, below 0 when they disagree systematically.

α is computed that way too, in plain Python, so a lesson needs no numpy and runs in the browser
(the course site's Pyodide kernel has no numpy). The tests check it against the `krippendorff`
package at the level of measurement "nominal" (codes are names, not numbers). The class report's
bootstrap intervals, on the grader side, resample matrices of counts with numpy and the
`krippendorff` package (`value_counts`, `alpha_from_counts`: both need the grader extra).
"""

from __future__ import annotations

import html
import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from IPython.display import HTML, Markdown

from peninsula import vega
from peninsula.paths import PACKAGE_DATA, nearest
from peninsula.tables import html_table
from peninsula.yaml_files import read_yaml

if TYPE_CHECKING:
    import numpy as np

    from peninsula.vega import Chart

Code = str | int

#: The synthetic panel the kit ships (`peninsula demo-class --panel` writes it).
DEMO_PANEL_FILE = PACKAGE_DATA / "demo_panel.yaml"
#: The file name Lesson 5 looks for next to the lessons: an instructor's `peninsula export-codings`.
CLASS_PANEL_FILE = "class_codings.yaml"
#: Set this to a panel file to use it instead.
PANEL_ENV = "PENINSULA_PANEL"


@dataclass(frozen=True)
class Unit:
    """One coded unit: how many coders gave each code, and how many left it uncoded."""

    id: str
    label: str
    counts: Mapping[Code, int]
    uncoded: int = 0

    @property
    def coded(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Panel:
    title: str
    units: tuple[Unit, ...]
    coders: int
    note: str = ""
    codes: tuple[Code, ...] = field(default=())  # every code in the panel, in a stable order

    def __post_init__(self) -> None:
        if not self.codes:
            seen = {code for unit in self.units for code in unit.counts}
            object.__setattr__(self, "codes", tuple(sorted(seen, key=lambda c: (str(type(c)), c))))

    def with_label(self, label: str) -> Panel:
        return Panel(f"{self.title}: {label}", tuple(u for u in self.units if u.label == label), self.coders)


def pairable(units: Iterable[Unit]) -> list[Unit]:
    """The units coded by at least two coders: only they can show agreement or disagreement."""
    return [unit for unit in units if unit.coded >= 2]


def percent_agreement(panel: Panel) -> float:
    """For every code, the share of the other coders of its unit who gave the same code, averaged."""
    units = pairable(panel.units)
    total = sum(unit.coded for unit in units)
    if not total:
        return math.nan
    agreeing = sum(n * (n - 1) / (unit.coded - 1) for unit in units for n in unit.counts.values())
    return agreeing / total


def chance_agreement(panel: Panel) -> float:
    """The chance that two codes drawn at random (without replacement) from all codes match."""
    totals = Counter()
    for unit in pairable(panel.units):
        totals.update(unit.counts)
    n = sum(totals.values())
    if n < 2:
        return math.nan
    return sum(c * (c - 1) for c in totals.values()) / (n * (n - 1))


def alpha(panel: Panel) -> float:
    """Krippendorff's α for nominal codes: (percent − chance) / (1 − chance); NaN where it is
    undefined (fewer than two pairable codes, or every code the same, so there is no disagreement
    for chance to explain)."""
    observed, chance = percent_agreement(panel), chance_agreement(panel)
    if math.isnan(observed) or math.isnan(chance) or chance == 1:
        return math.nan
    return (observed - chance) / (1 - chance)


def value_counts(units: Iterable[Unit], codes: tuple[Code, ...]) -> np.ndarray:
    """The units × codes matrix of counts that `krippendorff.alpha` takes as `value_counts`
    (grader side: it needs numpy)."""
    import numpy as np

    return np.array([[unit.counts.get(code, 0) for code in codes] for unit in units], dtype=float)


def alpha_from_counts(counts: np.ndarray) -> float:
    """Nominal α of a value-counts matrix, NaN where `alpha` is: the bootstrap's fast path on the
    grader side (it needs numpy and the `krippendorff` package)."""
    import krippendorff

    pairable_rows = counts[counts.sum(axis=1) >= 2]
    if pairable_rows.sum() < 2 or (pairable_rows.sum(axis=0) > 0).sum() < 2:
        return math.nan
    return float(krippendorff.alpha(value_counts=pairable_rows, level_of_measurement="nominal"))



def summary(panel: Panel) -> dict[str, float | int | str]:
    pairable_units = pairable(panel.units)
    return {
        "panel": panel.title,
        "coders": panel.coders,
        "units": len(panel.units),
        "codes given": sum(u.coded for u in pairable_units),
        "percent agreement": percent_agreement(panel),
        "chance agreement": chance_agreement(panel),
        "alpha": alpha(panel),
    }


def by_label(panel: Panel) -> list[dict[str, float | int | str]]:
    """`summary` for each label of the panel's units (for a class export: each actor)."""
    labels = dict.fromkeys(unit.label for unit in panel.units)
    return [{**summary(panel.with_label(label)), "label": label} for label in labels]


# ------------------------------------------------------------------ panels on disk


def from_codings(codings: Mapping[str, Mapping[str, Code | None]], title: str, label: str = "") -> Panel:
    """A panel from coder -> unit -> code (None, or a blank string, for no code)."""
    unit_ids = list(dict.fromkeys(u for by_unit in codings.values() for u in by_unit))
    units = []
    for unit_id in unit_ids:
        given = [by_unit.get(unit_id) for by_unit in codings.values()]
        codes = [c for c in given if c is not None and str(c).strip()]
        units.append(Unit(unit_id, label, dict(Counter(codes)), len(given) - len(codes)))
    return Panel(title, tuple(units), len(codings))


def load_panel(path: Path | str | None = None) -> Panel:
    """A panel file: `path`, else `$PENINSULA_PANEL`, else a `class_codings.yaml` in the working
    folder or a folder above it (an instructor's export), else the demo panel the kit ships."""
    path = Path(path) if path else find_panel_file()
    record = read_yaml(path)
    try:
        units = tuple(
            Unit(u["unit"], str(u.get("label", "")), dict(u["counts"]), int(u.get("uncoded", 0)))
            for u in record["units"]
        )
        return Panel(record["title"], units, int(record["coders"]), str(record.get("note", "")))
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: not a panel of codings ({error!r}); see {DEMO_PANEL_FILE.name}") from None


def find_panel_file(start: Path | None = None) -> Path:
    if os.environ.get(PANEL_ENV):
        return Path(os.environ[PANEL_ENV]).expanduser()
    return nearest(CLASS_PANEL_FILE, start, folder=False) or DEMO_PANEL_FILE


def _scalar(value: object) -> str:
    """One YAML scalar, quoted where YAML needs it (an empty label, "yes", "1:2" ...)."""
    return yaml.safe_dump(value, default_flow_style=True, width=1000).strip().removesuffix("...").strip()


def panel_yaml(panel: Panel, header: str) -> str:
    """The panel as YAML, one unit a line, under a comment `header`."""
    lines = [*(f"# {line}".rstrip() for line in header.splitlines()), ""]
    lines += [f"title: {_scalar(panel.title)}", f"coders: {panel.coders}"]
    if panel.note:
        lines.append(f"note: {_scalar(panel.note)}")
    lines.append("units:")
    for unit in panel.units:
        counts = ", ".join(f"{_scalar(code)}: {n}" for code, n in unit.counts.items())
        lines.append(
            f"  - {{unit: {_scalar(unit.id)}, label: {_scalar(unit.label)}, "
            f"counts: {{{counts}}}, uncoded: {unit.uncoded}}}"
        )
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ what the lesson shows


def _figure(value: float, places: int = 2) -> str:
    return "undefined" if math.isnan(value) else f"{value:.{places}f}"


def show_summary(panel: Panel) -> Markdown:
    """The panel's three figures, with how α is made from the other two."""
    s = summary(panel)
    observed, chance, a = (_figure(s[key], 3) for key in ("percent agreement", "chance agreement", "alpha"))
    note = f"\n\n*{panel.note}*" if panel.note else ""
    worked = (
        f"α = ({observed} − {chance}) / (1 − {chance}) = **{a}** (worked from the unrounded figures)"
        if not math.isnan(s["alpha"])
        else "α is undefined here: there is no variation in the codes for chance to explain."
    )
    return Markdown(
        f"**{panel.title}**: {s['coders']} coders, {s['units']} units, "
        f"{s['codes given']} codes given.{note}\n\n"
        f"| figure | value |\n| --- | --- |\n| percent agreement | {observed} |\n"
        f"| chance agreement | {chance} |\n| Krippendorff's α (nominal) | {a} |\n\n{worked}"
    )


def agreement_chart(panel: Panel) -> Chart:
    """Percent agreement against α for each label of the panel (for a class export: each actor).

    A plain Vega-Lite spec, as the other lesson charts are, so the lesson never imports Altair.
    """
    figures = (("percent agreement", "percent agreement"), ("Krippendorff's α", "alpha"))
    labels = by_label(panel)
    rows = [
        {"label": row["label"], "figure": figure, "value": round(float(row[key]), 3)}
        for row in labels
        for figure, key in figures
        if not math.isnan(row[key])
    ]
    colours = [vega.OKABE_ITO["sky blue"], vega.OKABE_ITO["vermillion"]]
    spec = vega.top_level(
        f"{panel.title}: percent agreement and α",
        "Grouped bars: for each group of units, the percent agreement and Krippendorff's alpha. "
        "Where the two bars differ most, chance explains most of the agreement.",
        data={"values": rows},
        mark={"type": "bar"},
        encoding={
            "y": {"field": "label", "type": "nominal", "title": None, "sort": None},
            "yOffset": {"field": "figure", "type": "nominal"},
            "x": {
                "field": "value",
                "type": "quantitative",
                "title": "agreement",
                "scale": {"domain": [min(0, *(r["value"] for r in rows)), 1]},
            },
            "color": {"field": "figure", "type": "nominal", "title": None, "scale": {"range": colours}},
            "tooltip": vega.tooltip("label:N", "figure:N", "value:Q"),
        },
        width=420,
        height=260,
    )
    table = vega.table_html(
        "Percent agreement and α for each group of units",
        ["group", *(figure for figure, _ in figures)],
        [[row["label"], *(_figure(row[key]) for _, key in figures)] for row in labels],
    )
    return vega.Chart(spec, table)


def compare_coders(coder_a: Mapping[str, str], coder_b: Mapping[str, str]) -> HTML:
    """The double-coding exercise: both coders' codes side by side, then their three figures.

    Codes are compared after folding case and spaces, so "Summit_diplomacy " matches "summit_diplomacy".
    """
    fold = {
        name: {u: " ".join(str(c).lower().split()) for u, c in codes.items()}
        for name, codes in (("coder A", coder_a), ("coder B", coder_b))
    }
    units = list(dict.fromkeys([*coder_a, *coder_b]))
    rows, blank = [], []
    for unit in units:
        a, b = fold["coder A"].get(unit, ""), fold["coder B"].get(unit, "")
        if not a or not b:
            blank.append(unit)
        rows.append((unit, a, b, "" if not (a and b) else ("same" if a == b else "DIFFERENT")))
    table = html_table(("unit", "coder A", "coder B", "same or different"), rows)
    if len(blank) == len(units):
        return HTML(f"{table}<p>Type both coders' codes between the quotes, then run this cell again.</p>")
    panel = from_codings(
        {name: {u: c or None for u, c in codes.items()} for name, codes in fold.items()}, "Your double coding"
    )
    waiting = f"<p>Still blank for one of you: {', '.join(map(html.escape, blank))}.</p>" if blank else ""
    s = summary(panel)
    figures = (
        f"<p>Percent agreement {_figure(s['percent agreement'])}; chance agreement "
        f"{_figure(s['chance agreement'])}; <b>Krippendorff's α {_figure(s['alpha'])}</b> "
        f"(over the {s['codes given'] // 2} units you both coded).</p>"
    )
    return HTML(table + waiting + figures)


def show_by_label(panel: Panel) -> Markdown:
    """A table of the three figures for each label of the panel (for a class export: each actor)."""
    rows = [
        f"| {row['label']} | {row['units']} | {_figure(row['percent agreement'])} | "
        f"{_figure(row['chance agreement'])} | {_figure(row['alpha'])} |"
        for row in by_label(panel)
    ]
    head = "| units about | units | percent agreement | chance agreement | α |"
    return Markdown("\n".join([head, "| --- | --- | --- | --- | --- |", *rows]))
