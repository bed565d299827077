"""The kit's own colours, shapes and names for the two texts and the actors, shared by its charts."""

from __future__ import annotations

from peninsula.codebook import load_codebook
from peninsula.texts import load_corpus
from peninsula.vega import OKABE_ITO, scale

#: The two authors' colours in every chart that compares them.
AUTHOR_COLOURS = {"trivedi": OKABE_ITO["blue"], "cronin": OKABE_ITO["vermillion"]}
AUTHOR_SHAPES = ("circle", "square")
BOTH_TEXTS_COLOUR = OKABE_ITO["bluish green"]
NEITHER_TEXT_COLOUR = OKABE_ITO["black"]
WHICH_SHAPES = ("circle", "square", "diamond", "triangle-up")  # Trivedi, Cronin, both, neither


def surname(text_id: str) -> str:
    """How the charts name a text: its author's surname ("Trivedi", "Cronin")."""
    return load_corpus()[text_id].surname


def authors() -> list[str]:
    return [surname(text_id) for text_id in AUTHOR_COLOURS]


def actor_scale() -> dict:
    actors = load_codebook().actors.values()
    return scale([a.name for a in actors], [a.colour for a in actors])
