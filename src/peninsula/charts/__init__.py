"""The kit's charts: author stances, actor mentions, where actors appear, and the timeline.

Each is a Vega-Lite 5 spec built as plain data (`peninsula.vega`) from the texts, the codebook, the
student-safe positions and the timeline's events; nothing is typed here. Each uses the Okabe–Ito
palette with a second cue besides colour and shows a table of its data beside it.
`peninsula export-charts` saves them all as SVG or PNG for handouts.
"""

from __future__ import annotations

from pathlib import Path

from peninsula import reliability
from peninsula.charts.actors import actor_mentions, actor_strip
from peninsula.charts.events import timeline
from peninsula.charts.stances import stance_map
from peninsula.vega import Chart

__all__ = ["actor_mentions", "actor_strip", "all_charts", "export_charts", "stance_map", "timeline"]

EXPORT_FORMATS = ("svg", "png")


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
