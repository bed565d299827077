"""CSV cells that a spreadsheet shows as text and never runs as a formula (OWASP, "CSV Injection").

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets (`=HYPERLINK(...)` in a student id sends whoever clicks it away).
OWASP's guidance: prefix such a cell with a single quote, which the spreadsheet shows as text;
the csv module then quotes any cell holding the separator or a quote. A plain number (a score such
as `-1.5`) and a lone `-` (Moodle's "no grade") are left as they are: a spreadsheet reads them as a
number or text, never as a formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?|-")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(values: Iterable[object]) -> list[str]:
    return [safe_cell(value) for value in values]
