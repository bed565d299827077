"""The lessons' interactive widgets, as the lesson notebooks call them: `widgets.reader("trivedi")`
and `widgets.comparer("summit_diplomacy")`.

The paragraphs' HTML is built by pure functions (`peninsula.passage_html`), so tests check it
directly; the widget classes (`peninsula.reader`, `peninsula.comparer`) only wire controls to it.
"""

from __future__ import annotations

from peninsula.comparer import Comparer
from peninsula.reader import Reader


def reader(text_id: str = "trivedi") -> Reader:
    """The paragraph reader, opened on `text_id` ("trivedi" or "cronin")."""
    return Reader(text_id)


def comparer(issue: str | None = None) -> Comparer:
    """The position comparer, opened on `issue` (an issue id; default: the codebook's first issue)."""
    return Comparer(issue)
