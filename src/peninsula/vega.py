"""Vega-Lite building blocks the kit's charts share: the palette, the spec's top level and a chart
with the table of its data.

Specs are built as plain data, which JupyterLab's built-in renderer draws offline (no CDN, no Altair
import in a lesson's kernel); tests/test_charts.py checks every spec against the Vega-Lite schema.
Every chart has a title and a description that screen readers announce, and a table of its data.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from peninsula.tables import html_table

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

def scale(domain: list[str], values: Sequence[str]) -> dict:
    return {"domain": domain, "range": list(values)}


def tooltip(*fields: str) -> list[dict]:
    """Tooltip fields written as "name:N" or "name:Q"."""
    kinds = {"N": "nominal", "Q": "quantitative"}
    return [{"field": f.split(":")[0], "type": kinds[f.split(":")[1]]} for f in fields]


def top_level(title: str | dict, description: str, **rest: object) -> dict:
    """A top-level Vega-Lite spec: every kit chart has a title and a description for screen readers."""
    return {"$schema": SCHEMA, "title": title, "description": description, **rest}
