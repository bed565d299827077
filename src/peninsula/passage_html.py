"""Paragraphs as HTML for the lessons' widgets: each actor's mentions in its colour and code, what a
search found outlined, evidence quotes marked. Pure functions, so tests check the HTML directly."""

from __future__ import annotations

import html
from collections.abc import Sequence

from peninsula.codebook import Actor, load_codebook
from peninsula.texts import Paragraph

QUOTE_COLOUR = "#F0E442"  # Okabe–Ito yellow: evidence quotes, never an actor's colour
#: What the reader's search found: yellow with a black outline, so it shows on an actor's colour too.
SEARCH_OUTLINE = "outline:2px solid #000000;outline-offset:1px"
#: Typographic quotes folded to plain ones, so a typed search finds "we’re" as "we're".
QUOTE_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


def fold(text: str) -> str:
    return text.translate(QUOTE_FOLD).casefold()


def readable_text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with a "#RRGGBB" background (WCAG luminance)."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(background[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#FFFFFF"


def actor_style(actor: Actor) -> str:
    colour = actor.colour
    return f"background:{colour};color:{readable_text_colour(colour)};padding:0 2px;border-radius:3px"


def actor_mark(words: str, actor: Actor, searched: bool = False) -> str:
    """`words` highlighted in the actor's colour and followed by its code, so colour is never the only cue.
    A mention the search found also gets the search's outline."""
    style = actor_style(actor) + (f";{SEARCH_OUTLINE}" if searched else "")
    found = ' class="search-hit"' if searched else ""
    return (
        f'<mark data-actor="{actor.code}"{found} title="{html.escape(actor.name)}" style="{style}">'
        f'{html.escape(words)}<sup style="font-size:65%;margin-left:2px">{actor.code}</sup></mark>'
    )


def search_spans(text: str, phrase: str) -> list[tuple[int, int]]:
    """Where `phrase` occurs in `text`, matched as the reader's search matches (any case, plain quotes)."""
    wanted, folded = fold(phrase.strip()), fold(text)
    if not wanted or len(folded) != len(text):  # a letter whose case folds to two: no places to show
        return []
    spans, start = [], folded.find(wanted)
    while start >= 0:
        spans.append((start, start + len(wanted)))
        start = folded.find(wanted, start + len(wanted))
    return spans


def _with_search(text: str, start: int, end: int, spans: Sequence[tuple[int, int]]) -> str:
    """text[start:end] as HTML, the parts inside a search span marked."""
    parts, done = [], start
    for hit_start, hit_end in spans:
        hit_start, hit_end = max(hit_start, done), min(hit_end, end)
        if hit_end > hit_start:
            parts += [html.escape(text[done:hit_start]), search_mark(text[hit_start:hit_end])]
            done = hit_end
    parts.append(html.escape(text[done:end]))
    return "".join(parts)


def search_mark(words: str) -> str:
    return f'<mark class="search-hit" style="background:{QUOTE_COLOUR};color:#000000;{SEARCH_OUTLINE}">' \
           f"{html.escape(words)}</mark>"


def highlight_mentions(text: str, phrase: str = "") -> str:
    """The passage as HTML, every actor mention wrapped in a <mark> in that actor's colour, and every
    place `phrase` occurs marked for the search."""
    codebook = load_codebook()
    spans = search_spans(text, phrase) if phrase else []
    parts, done = [], 0
    for mention in codebook.mentions(text):
        parts.append(_with_search(text, done, mention.start, spans))
        searched = any(start < mention.end and end > mention.start for start, end in spans)
        parts.append(actor_mark(text[mention.start : mention.end], codebook.actors[mention.code], searched))
        done = mention.end
    parts.append(_with_search(text, done, len(text), spans))
    return "".join(parts)


def quote_mark(quote: str) -> str:
    style = f"background:{QUOTE_COLOUR};color:#000000"
    return f'<mark class="evidence" style="{style}">{html.escape(quote)}</mark>'


def mark_quotes(paragraph: Paragraph, quotes: Sequence[str]) -> str:
    """The paragraph's text as HTML with each quote marked; overlapping quotes share one mark."""
    text, spans = paragraph.text, []
    for quote in quotes:
        start = text.find(quote)
        if start < 0:
            raise ValueError(f"paragraph {paragraph.id} does not contain the quote {quote!r}")
        spans.append((start, start + len(quote)))
    parts, done = [], 0
    for start, end in sorted(spans):
        start = max(start, done)
        if end > start:
            parts += [html.escape(text[done:start]), quote_mark(text[start:end])]
            done = end
    parts.append(html.escape(text[done:]))
    return "".join(parts)


def paragraph_html(paragraph: Paragraph, quote: str | Sequence[str] | None = None, phrase: str = "") -> str:
    """One paragraph with its id: actor mentions (and a searched phrase) highlighted, or, if given,
    the quote(s) instead."""
    if quote is None:
        body = highlight_mentions(paragraph.text, phrase)
    else:
        body = mark_quotes(paragraph, [quote] if isinstance(quote, str) else quote)
    return f'<p data-paragraph="{paragraph.id}"><b>[{paragraph.id}]</b> {body}</p>'


def legend_html() -> str:
    """Each actor's colour with its code and name beside it."""
    items = "".join(
        f'<span role="listitem" style="margin-right:12px;white-space:nowrap">'
        f'<mark style="{actor_style(actor)}">{actor.code}</mark> {html.escape(actor.name)}</span>'
        for actor in load_codebook().actors.values()
    )
    return f'<div role="list" aria-label="Actor colours" class="actor-legend"><b>Actors:</b> {items}</div>'
