"""The charts' Vega-Lite specs: valid against the schema, marks, encodings, accessibility text, palette,
and row counts checked against counts taken straight from the data files. One real
`peninsula export-charts` run."""

import datetime as dt
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import altair as alt
import pytest
import yaml
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v5.schema.core import load_schema

from peninsula import charts, timeline, vega
from peninsula.charts import actors, palette, stances
from peninsula.charts import events as events_chart
from peninsula.codebook import CODEBOOK_FILE, load_codebook
from peninsula.positions import load_positions

HEX = re.compile(r"#[0-9A-Fa-f]{6}")
CHART_NAMES = [
    "stance_map", "actor_mentions", "actor_strip", "timeline", "timeline_between_texts", "agreement_demo_panel"
]


def timeline_file_events() -> list[dict]:
    return yaml.safe_load(timeline.TIMELINE_FILE.read_text(encoding="utf-8"))["events"]


def layers(spec: dict) -> dict[str, dict]:
    """A spec's unit charts by mark type (a single chart is its own only layer)."""
    units = spec.get("layer", [spec])
    return {unit["mark"]["type"]: unit for unit in units}


def colours_in(node: object) -> list[str]:
    if isinstance(node, dict):
        return [c for value in node.values() for c in colours_in(value)]
    if isinstance(node, list):
        return [c for value in node for c in colours_in(value)]
    return [node] if isinstance(node, str) and HEX.fullmatch(node) else []


@pytest.fixture
def specs(corpus) -> dict[str, dict]:
    return {name: chart.to_dict() for name, chart in charts.all_charts().items()}


def test_every_spec_is_valid_vega_lite_5(specs):
    """The lessons skip the schema check, so it is done here, once, for every chart the kit draws."""
    schema = load_schema()
    for name, spec in specs.items():
        validate_jsonschema(spec, schema)  # raises, naming the first problem
        assert isinstance(charts.all_charts()[name].to_altair(), alt.TopLevelMixin), name


def test_every_chart_is_drawn_offline_with_a_table_beside_it(corpus):
    for name, chart in charts.all_charts().items():
        output = chart.display_data()
        assert set(output["data"]) == {vega.VEGA_LITE, "text/plain"}  # JupyterLab's own renderer: no CDN
        assert output["metadata"][vega.VEGA_LITE]["embed_options"]["actions"] is False, name
        assert chart.table.startswith('<details class="peninsula-chart-table"><summary>'), name
        assert chart.table.count("<tr>") > 3, name
    vega.enable_offline()  # Altair charts (the instructor's report) are drawn the same way
    assert alt.renderers.active == "mimetype"


def test_every_chart_is_titled_described_and_in_the_palette(specs):
    assert list(specs) == CHART_NAMES
    for name, spec in specs.items():
        title = spec["title"]["text"] if isinstance(spec["title"], dict) else spec["title"]
        assert title, name
        assert len(spec["description"]) > 80, name
        used = colours_in(spec)
        assert used, name
        assert set(used) <= set(vega.OKABE_ITO.values()), name


def test_actor_colours_are_okabe_ito_and_distinct():
    colours = [actor.colour for actor in load_codebook().actors.values()]
    assert set(colours) <= set(vega.OKABE_ITO.values())
    assert len(set(colours)) == len(colours)


def test_stance_map_has_a_row_per_issue_and_author_and_hides_graded_stances(specs):
    spec = specs["stance_map"]
    assert spec["mark"]["type"] == "point"
    encoding = spec["encoding"]
    assert (encoding["x"]["field"], encoding["x"]["type"]) == ("stance", "ordinal")
    assert (encoding["y"]["field"], encoding["y"]["type"]) == ("issue_name", "nominal")
    # Each mark sits on its true stance: the authors share an issue's row, one above the other.
    assert "xOffset" not in encoding and encoding["yOffset"]["field"] == "author"
    # The wordy stance labels wrap one word a line, so they never run into each other.
    assert encoding["x"]["axis"]["labelExpr"] == "split(datum.label, ' ')"
    assert encoding["color"]["field"] == encoding["shape"]["field"] == "author"
    assert encoding["color"]["scale"]["range"] == list(palette.AUTHOR_COLOURS.values())
    rows = spec["data"]["values"]
    issues = yaml.safe_load(CODEBOOK_FILE.read_text(encoding="utf-8"))["issues"]
    assert len(rows) == len(issues) * 2
    open_issues = {issue for issue, _ in load_positions()}
    for row in rows:
        if row["issue"] in open_issues:
            assert row["stance"] != stances.GRADED and row["summary"]
        else:
            assert (row["stance"], row["summary"]) == (stances.GRADED, "")
            assert row["meaning"] == "graded in Assignment 2"


def test_stance_map_highlights_the_chosen_issue(corpus):
    spec = charts.stance_map(highlight="summit_diplomacy").to_dict()
    assert spec["params"][0]["value"] == [{"issue": "summit_diplomacy"}]
    ring = spec["encoding"]["strokeWidth"]["condition"]
    assert ring["param"] == spec["params"][0]["name"] and ring["empty"] is False  # no issue chosen: no ring
    assert "opacity" not in spec["encoding"]  # the other issues keep their full colour and contrast
    assert "Summit diplomacy" in spec["title"]["subtitle"]
    with pytest.raises(KeyError, match=r"unknown issue 'summit'.*summit_diplomacy"):
        charts.stance_map(highlight="summit")


def test_actor_mentions_are_counts_per_1000_words(specs, corpus):
    spec = specs["actor_mentions"]
    assert spec["mark"]["type"] == "bar"
    encoding = spec["encoding"]
    assert (encoding["x"]["field"], encoding["x"]["type"]) == ("per_1000_words", "quantitative")
    assert (encoding["y"]["field"], encoding["color"]["field"], encoding["row"]["field"]) == (
        "actor",
        "actor",
        "author",
    )
    actors = load_codebook().actors.values()
    assert encoding["color"]["scale"]["range"] == [a.colour for a in actors]
    rows = spec["data"]["values"]
    assert len(rows) == len(corpus.texts) * len(actors)
    japan_in_trivedi = next(r for r in rows if r["author"] == "Trivedi" and r["actor"] == "Japan")
    words = len(" ".join(p.text for p in corpus["trivedi"].paragraphs).split())
    mentions = sum(
        len(re.findall(r"\b(?:Japan|Japanese|Tokyo|Abe)\b", p.text)) for p in corpus["trivedi"].paragraphs
    )
    assert japan_in_trivedi["mentions"] == mentions > 0
    assert japan_in_trivedi["per_1000_words"] == round(1000 * mentions / words, 1)


def test_actor_strip_has_one_tick_per_mention(specs, corpus):
    spec = specs["actor_strip"]
    assert spec["mark"]["type"] == "tick"
    encoding = spec["encoding"]
    assert (encoding["x"]["field"], encoding["x"]["type"]) == ("position", "quantitative")
    assert encoding["y"]["field"] == encoding["color"]["field"] == "actor"
    rows = spec["data"]["values"]
    codebook = load_codebook()
    assert len(rows) == sum(sum(codebook.mention_counts(text).values()) for text in corpus)
    assert all(0 <= row["position"] < 1 for row in rows)
    first_trivedi = next(row for row in rows if row["author"] == "Trivedi")
    assert first_trivedi["paragraph"] == "T1"


def test_timeline_has_every_event_and_marks_both_publications(specs, corpus):
    spec = specs["timeline"]
    units = layers(spec)
    assert set(units) == {"rect", "rule", "point"}
    points = units["point"]
    assert (points["encoding"]["y"]["field"], points["encoding"]["x"]["type"]) == ("label_lines", "temporal")
    assert points["encoding"]["color"]["field"] == points["encoding"]["shape"]["field"] == "which_text"
    assert points["encoding"]["y"]["axis"]["labelLimit"] == 0  # no label is cut off; long ones wrap
    assert points["encoding"]["y"]["axis"]["labelExpr"] == events_chart.LINE_BREAKS
    file_events = timeline_file_events()
    rows = spec["data"]["values"]
    # By default the axis starts in 2017; every earlier event is named in the subtitle instead.
    events = timeline.load_timeline()
    assert len(file_events) == len(events)
    shown = [e for e in events if e.end.year >= 2017]
    assert len(rows) == len(shown) < len(events)
    subtitle = " ".join(spec["title"]["subtitle"])
    assert all(e.label in subtitle for e in events if e.end.year < 2017)
    assert len(charts.timeline(start=None).to_dict()["data"]["values"]) == len(events)
    expected_refs = Counter(
        {(): "neither", ("trivedi",): "Trivedi", ("cronin",): "Cronin"}.get(tuple(e["texts"]), "both")
        for e, event in zip(file_events, events, strict=True)
        if event.end.year >= 2017
    )
    assert Counter(row["which_text"] for row in rows) == expected_refs
    assert [row["start"] for row in rows] == sorted(row["start"] for row in rows)
    after = [row["event"] for row in rows if "(after both texts" in row["event"]]
    latest = corpus["cronin"].date.iso
    assert len(after) == sum(1 for e in file_events if str(e.get("date", e.get("start"))) > latest) > 0
    publications = units["rect"]["data"]["values"]
    assert [(p["text"], p["start"], p["end"]) for p in publications] == [
        ("trivedi", "2018-04-17", "2018-04-26"),  # known only to the month: a band over its clues' days
        ("cronin", "2019-01-14", "2019-01-14"),  # a known day: a line
    ]
    pompeo = next(row for row in rows if "Pompeo" in row["event"] and "secret" in row["event"])
    assert pompeo["dates"] == "1 April 2018 (revealed 17 April 2018)"


def test_the_timeline_says_when_a_text_calls_for_or_looks_ahead_to_an_event(specs):
    rows = {row["start"]: row for row in specs["timeline"]["data"]["values"]}
    release = rows["2018-05-09"]  # after Trivedi's text; saying which paragraph wants it would answer Assignment 2
    assert "Trivedi" not in release["event"] + release["how"]
    assert rows["2018-04-27"]["event"].endswith("(Trivedi looks ahead to it)")
    assert rows["2019-02-27"]["event"].endswith("(after both texts; Cronin looks ahead to it)")
    assert rows["2017-05-10"]["how"] == "Trivedi refers to it"


def test_the_subtitle_names_earlier_events_without_doubled_brackets(specs):
    subtitle = " ".join(specs["timeline"]["title"]["subtitle"])
    assert "2–4 October 2007: Second inter-Korean summit (Moon is President Roh's chief of staff)." in subtitle
    assert ") (" not in subtitle
    assert all(len(line) <= events_chart.SUBTITLE_WIDTH for line in specs["timeline"]["title"]["subtitle"])


def test_dates_read_as_words():
    day = dt.date
    assert timeline.date_span(day(2018, 4, 17), day(2018, 4, 18)) == "17–18 April 2018"
    assert timeline.date_span(day(2018, 6, 30), day(2018, 7, 2)) == "30 June – 2 July 2018"
    assert timeline.date_span(day(2018, 12, 28), day(2019, 1, 2)) == "28 December 2018 – 2 January 2019"
    assert actors.paragraph_ranges(["T1", "T2", "T3", "T7", "C1"]) == "T1–T3, T7, C1"


def test_timeline_window_keeps_only_the_events_between_the_texts(specs):
    rows = specs["timeline_between_texts"]["data"]["values"]
    before = [e for e in timeline.load_timeline() if e.end < dt.date(2018, 4, 1)]
    assert f"Earlier, not shown: {len(before)} events, from 2–4 October 2007" in " ".join(
        specs["timeline_between_texts"]["title"]["subtitle"]
    )  # counted, not listed: a window's subtitle stays short
    in_window = [
        e for e in timeline_file_events() if "2018-04" <= str(e.get("date", e.get("start")))[:7] <= "2019-01"
    ]
    assert len(rows) == len(in_window)
    with pytest.raises(ValueError, match="start '2019' comes after end '2018'"):
        charts.timeline(start="2019", end="2018")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{date: 2018-13-01, label: x, texts: [], check: verified}", "bad date '2018-13-01'"),
        (
            "{date: 2018-01-01, label: x, texts: [kim], check: verified}",
            "texts must be a list of trivedi, cronin",
        ),
        ("{date: 2018-01-01, label: x, texts: [], check: maybe}", "check must be one of verified, partly"),
        ("{start: 2018-01-02, end: 2018-01-01, label: x, texts: [], check: verified}", "end must come after"),
        ("{date: 2018-01-01, lable: x, texts: [], check: verified}", "unknown field"),
        ("{date: 2018-01-01, label: x, texts: [trivedi], check: verified, relation: hints}", "relation must be"),
        ("{date: 2018-01-01, label: x, texts: [], check: verified, relation: calls for}", "a relation needs"),
    ],
)
def test_a_broken_timeline_entry_names_the_file_and_event(tmp_path, corpus, entry, message):
    path = tmp_path / "timeline.yaml"
    path.write_text(f"events:\n  - {entry}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        timeline.load_timeline(path)
    assert f"{path}: event 1" in str(error.value)


def test_export_charts_writes_one_svg_per_chart(tmp_path):
    command = Path(sys.executable).parent / "peninsula"
    result = subprocess.run(
        [command, "export-charts", "--format", "svg", "--out", tmp_path],
        capture_output=True, text=True, check=True, timeout=120,
    )
    written = sorted(tmp_path.glob("*.svg"))
    assert [path.stem for path in written] == sorted(CHART_NAMES)
    assert len(result.stdout.splitlines()) == len(CHART_NAMES)
    for path in written:
        assert f"wrote {path}" in result.stdout
        assert "<svg" in path.read_text(encoding="utf-8")
