"""The codebook: actor codes and their aliases, the issue taxonomy, stances, and coding rules.

Also derives, from the texts themselves, which actors each paragraph mentions.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from peninsula.paths import PACKAGE_DATA
from peninsula.texts import Commentary
from peninsula.yaml_files import read_yaml

CODEBOOK_FILE = PACKAGE_DATA / "codebook.yaml"
NOT_ADDRESSED = "not addressed"
HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


@dataclass(frozen=True)
class Actor:
    code: str
    name: str
    covers: str
    aliases: tuple[str, ...]
    colour: str  # "#RRGGBB" from the Okabe–Ito palette; the reader and every chart use it


@dataclass(frozen=True)
class Issue:
    id: str
    name: str
    proposition: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    title: str
    text: str


@dataclass(frozen=True)
class Mention:
    code: str
    start: int
    end: int


def normalise_name(name: str) -> str:
    """Fold what a student may type: case, dots ("U.S."), extra spaces, a leading "the"."""
    folded = " ".join(name.replace(".", "").replace("’", "'").lower().split())
    return folded.removeprefix("the ")


@dataclass(frozen=True)
class Codebook:
    actors: dict[str, Actor]
    issues: dict[str, Issue]
    stances: dict[int | str, str]
    rules: tuple[Rule, ...]
    path: Path

    @functools.cached_property
    def _alias_index(self) -> dict[str, str]:
        index = {}
        for actor in self.actors.values():
            for alias in (actor.code, actor.name, *actor.aliases):
                index[normalise_name(alias)] = actor.code
        return index

    def resolve_actor(self, name: str) -> str | None:
        """The actor code a typed name stands for, or None if it is not recognised."""
        return self._alias_index.get(normalise_name(name))

    def suggest_actor(self, name: str) -> Actor | None:
        """The actor whose name or alias is closest to a mistyped name, if any is close."""
        close = difflib.get_close_matches(normalise_name(name), self._alias_index, n=1, cutoff=0.6)
        return self.actors[self._alias_index[close[0]]] if close else None

    @functools.cached_property
    def _alias_owner(self) -> dict[str, str]:
        """Each alias as it may be written -> its actor. An alias that starts with "the" may also
        start a sentence: "The South" is "the South"."""
        owner = {}
        for actor in self.actors.values():
            for alias in actor.aliases:
                owner[alias] = actor.code
                if alias.startswith("the "):
                    owner["The" + alias[3:]] = actor.code
        return owner

    @functools.cached_property
    def _mention_pattern(self) -> re.Pattern[str]:
        # A lookahead finds an alias at every position, even inside a longer one ("the North" and
        # "North Korean" in "the North Korean threat"); `mentions` then keeps the longest. Whole words.
        aliases = sorted(self._alias_owner, key=len, reverse=True)
        return re.compile(r"(?<!\w)(?=(" + "|".join(map(re.escape, aliases)) + r")(?!\w))")

    def mentions(self, text: str) -> list[Mention]:
        """Actor mentions in a passage, found by matching aliases exactly as written (case-sensitive).
        Where two overlap, the longer wins: "North Korean" in "the North Korean threat", not "the North"."""
        found = sorted(((m.start(1), m.end(1)) for m in self._mention_pattern.finditer(text)),
                       key=lambda span: (span[0] - span[1], span[0]))
        kept: list[tuple[int, int]] = []
        for start, end in found:
            if all(end <= s or start >= e for s, e in kept):
                kept.append((start, end))
        return [Mention(self._alias_owner[text[s:e]], s, e) for s, e in sorted(kept)]

    def mention_counts(self, text: Commentary) -> Counter[str]:
        """How often each actor is mentioned in a whole commentary."""
        return Counter(m.code for p in text.paragraphs for m in self.mentions(p.text))

    def issues_in(self, text: str) -> list[str]:
        """Issue ids whose keywords occur in a passage (case-insensitive, word starts)."""
        lowered = text.lower()
        return [
            issue.id
            for issue in self.issues.values()
            if any(re.search(r"(?<!\w)" + re.escape(k.lower()), lowered) for k in issue.keywords)
        ]


@functools.cache
def load_codebook(path: Path = CODEBOOK_FILE) -> Codebook:
    data = read_yaml(path)
    actors = {
        code: Actor(code, a["name"], a["covers"].strip(), tuple(a["aliases"]), _colour(path, code, a))
        for code, a in data["actors"].items()
    }
    issues = {
        issue_id: Issue(issue_id, i["name"], i["proposition"], tuple(i["keywords"]))
        for issue_id, i in data["issues"].items()
    }
    rules = tuple(Rule(r["title"], r["text"]) for r in data["rules"])
    return Codebook(actors, issues, dict(data["stances"]), rules, path)


def _colour(path: Path, code: str, actor: dict) -> str:
    colour = str(actor.get("colour", ""))
    if not HEX_COLOUR.fullmatch(colour):
        raise ValueError(f'{path}: actor {code}: colour must be a hex colour like "#0072B2", not {colour!r}')
    return colour


def stance_label(stance: int | str) -> str:
    """A stance as charts and menus show it: "-2" … "+2" as signed numbers, or the words."""
    if isinstance(stance, int):
        return f"{stance:+d}" if stance else "0"
    return stance


def stance_text(stance: int | str) -> str:
    """A stance with its meaning from the codebook, e.g. "+1: leans toward the proposition"."""
    return f"{stance_label(stance)}: {load_codebook().stances[stance]}"
