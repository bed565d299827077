"""Plain HTML tables for lesson output: headers a screen reader can announce, text aligned left."""

from __future__ import annotations

import html
from collections.abc import Sequence

LEFT = 'style="text-align: left;"'  # JupyterLab right-aligns table cells, which suits numbers, not prose


def html_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A table with one column header per column; every cell is escaped."""
    head = "".join(f'<th scope="col" {LEFT}>{html.escape(h)}</th>' for h in header)
    cells = ("".join(f"<td {LEFT}>{html.escape(str(cell))}</td>" for cell in row) for row in rows)
    body = "".join(f"<tr>{row}</tr>" for row in cells)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
