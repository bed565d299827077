"""`peninsula check`: validate the texts, codebook, positions, worked examples, answer key and the
assignments registry beside it (every section of the key an assignment reads is checked).

Every problem names the file and the item, so a typo in a data file is quick to find. Every data
file is also checked for keys its reader does not know: a misspelt field would otherwise be ignored
in silence, and an unquoted comma inside `{paragraph: T3, quote: it, too, ...}` splits a quote into
stray keys.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from peninsula.codebook import CODEBOOK_FILE, NOT_ADDRESSED, Codebook, load_codebook
from peninsula.grader.registry import RegistryError, assignments_beside, load_assignments
from peninsula.paths import PACKAGE_DATA
from peninsula.positions import POSITIONS_FILE, read_position_records
from peninsula.recommendations import FIELDS, WORKED_EXAMPLES_FILE, read_records
from peninsula.texts import TEXT_PREFIXES, Corpus, TextFormatError, load_corpus
from peninsula.timeline import EVENT_FIELDS, PUBLICATION_WINDOW, load_timeline, publication_windows
from peninsula.yaml_files import read_yaml

REQUIRED_FIELDS = {"id", "text", "paragraph", "quote", "action", "actors", "issue", "explicit", "autograde"}
OPTIONAL_FIELDS = {"worked_example", "note_instructor_only"}  # the debrief leaves such a note out
# A quote must be long enough to show which reading it anchors: "it" or "For the moment" is verbatim
# in its paragraph, yet says nothing about the claim it is cited for.
MIN_QUOTE_WORDS = 3
MIN_QUOTE_CHARACTERS = 15


@dataclass(frozen=True)
class Problem:
    file: Path
    item: str
    message: str

    def __str__(self) -> str:
        return f"{self.file.name}: {self.item}: {self.message}"


@dataclass(frozen=True)
class DataFiles:
    codebook: Path = CODEBOOK_FILE
    positions: Path = POSITIONS_FILE
    worked_examples: Path = WORKED_EXAMPLES_FILE
    answer_key: Path | None = None  # the course's key; None (or no such file): not an instructor's copy
    timeline: Path = PACKAGE_DATA / "timeline.yaml"
    glossary: Path = PACKAGE_DATA / "glossary.yaml"
    self_checks: Path = PACKAGE_DATA / "self_checks.yaml"

    @property
    def key(self) -> Path | None:
        return self.answer_key if self.answer_key and self.answer_key.exists() else None


def check_all(files: DataFiles = DataFiles(), corpus: Corpus | None = None) -> list[Problem]:
    """Run every check and return the problems found (an empty list means all is well)."""
    try:
        corpus = corpus or load_corpus()
    except (TextFormatError, FileNotFoundError) as error:
        return [Problem(Path(getattr(error, "path", "source_texts")), "texts", str(error))]
    try:
        codebook = load_codebook(files.codebook)
    except (yaml.YAMLError, KeyError, TypeError, AttributeError, ValueError) as error:
        return [Problem(files.codebook, "codebook", f"cannot be read: {error}")]
    problems = check_keys(files) + check_codebook(codebook) + check_lesson_data(files)
    recommendation_sources = [(files.worked_examples, "recommendations")]
    if files.key:
        problems += check_registry(files.key)
        sections = key_sections(files.key).items()
        recommendation_sources += [(files.key, s) for s, family in sections if family == "recommendations"]
    problems += check_recommendations(recommendation_sources, corpus, codebook)
    position_files = [files.positions, *([files.key] if files.key else [])]
    problems += check_positions(position_files, corpus, codebook)
    if files.key:
        problems += check_assignment_items(files.key, corpus)
    return problems


# Assignment 2's item families: which fields each item needs, and its anchor.
ASSIGNMENT_SECTIONS = {
    "attributions": ("statement", "author", "paragraph", "quote"),
    "plan_b": ("action", "condition", "paragraph", "quote"),
    "evidence": ("claim", "accepted"),
}


# --- Known keys ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Each:
    """A list, or a mapping keyed by ids (actor codes, issues, lessons), whose every value has `shape`."""

    shape: object


CHOICE_FIELDS = ("text", "correct", "feedback")
ANY = None  # a value whose inside is not a record (a list of strings, a stance, a text)
EVIDENCE = Each({"paragraph": ANY, "quote": ANY})
POSITIONS = Each(Each({"stance": ANY, "accepted": ANY, "summary": ANY, "evidence": EVIDENCE}))
RECOMMENDATIONS = Each(dict.fromkeys((*FIELDS, *OPTIONAL_FIELDS)))
# The keys each file's reader knows, by file name; anything else is a typo or a broken flow mapping.
KNOWN_KEYS: dict[str, dict] = {
    "codebook.yaml": {
        "actors": Each({"name": ANY, "colour": ANY, "covers": ANY, "aliases": ANY}),
        "issues": Each({"name": ANY, "proposition": ANY, "keywords": ANY}),
        "stances": ANY,
        "rules": Each({"title": ANY, "text": ANY}),
    },
    "positions.yaml": {"positions": POSITIONS},
    "worked_examples.yaml": {"recommendations": RECOMMENDATIONS},
    "answer_key.yaml": {
        "recommendations": RECOMMENDATIONS,
        "positions": POSITIONS,
        "attributions": Each(dict.fromkeys(("id", *ASSIGNMENT_SECTIONS["attributions"]))),
        "plan_b": Each(dict.fromkeys(("id", *ASSIGNMENT_SECTIONS["plan_b"]))),
        "evidence": Each(dict.fromkeys(("id", *ASSIGNMENT_SECTIONS["evidence"]))),
    },  # and each further section the registry names, in the shape of its family's
    "timeline.yaml": {
        "events": Each(dict.fromkeys(EVENT_FIELDS)),
        "publication_windows": Each(PUBLICATION_WINDOW),
    },
    "glossary.yaml": {"terms": Each({"term": ANY, "aliases": ANY, "definition": ANY, "text_forms": ANY})},
    "self_checks.yaml": {
        "lessons": Each(Each({"id": ANY, "prompt": ANY, "choices": Each(dict.fromkeys(CHOICE_FIELDS))})),
    },
}


#: The key's own sections, by the item family (peninsula.grader.registry.FAMILIES) each one holds.
KEY_SECTIONS = {"recommendations": "recommendations", "positions": "stances", "attributions": "attributions",
                "plan_b": "plan_b", "evidence": "evidence"}


def key_sections(key: Path) -> dict[str, str]:
    """Each section of the key with graded items or positions, and its item family: the key's own,
    and those the course's assignments read (the registry beside the key)."""
    try:
        registry = load_assignments(assignments_beside(key))
    except RegistryError:
        registry = {}  # check_registry reports it
    return KEY_SECTIONS | {part.section: part.family for a in registry.values() for part in a.parts}


def check_registry(key: Path) -> list[Problem]:
    """The assignments registry beside the key, if it cannot be read."""
    try:
        load_assignments(assignments_beside(key))
    except RegistryError as error:
        registry = assignments_beside(key)
        return [Problem(registry, "file", str(error).removeprefix(f"{registry}: "))]
    return []


def _key_shape(key: Path) -> dict:
    own = KNOWN_KEYS["answer_key.yaml"]
    family_shapes = {family: own[section] for section, family in KEY_SECTIONS.items()}
    return own | {section: family_shapes[family] for section, family in key_sections(key).items()}


def check_keys(files: DataFiles) -> list[Problem]:
    """Keys that no reader knows, in every data file, each named with its file and item."""
    paths = [files.codebook, files.positions, files.worked_examples, files.timeline, files.glossary,
             files.self_checks, *([files.key] if files.key else [])]
    problems = []
    for path in paths:
        try:
            data = read_yaml(path)
        except (OSError, yaml.YAMLError):
            continue  # the file's own check reports that it cannot be read
        # A key may have any name.
        shape = _key_shape(path) if path == files.key else KNOWN_KEYS.get(path.name) or _key_shape(path)
        problems += [Problem(path, item, message) for item, message in unknown_keys(data, shape)]
    return problems


def unknown_keys(data: object, shape: object, where: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(item, message) for every key in `data` that `shape` does not list, at any depth. The item is
    the path to it ("positions/china_role/trivedi/evidence/#1"), or from a record's id ("R08")."""
    if isinstance(shape, Each):
        if isinstance(data, dict):
            values = [(str(key), value) for key, value in data.items()]
        elif isinstance(data, list):
            values = [(_list_label(index, value), value) for index, value in enumerate(data)]
        else:
            values = []
        return [
            problem
            for label, value in values
            for problem in unknown_keys(value, shape.shape, _inside(where, label, value))
        ]
    if not isinstance(shape, dict) or not isinstance(data, dict):
        return []
    problems = []
    unknown = [key for key in data if key not in shape]
    if unknown:
        hint = ""
        if any(data[key] is None for key in unknown):
            hint = " (a value with a comma inside {...} must be quoted, or it splits into keys)"
        names = ", ".join(map(str, unknown))
        problems.append(("/".join(where) or "file", f"unknown field(s): {names}{hint}"))
    for key, value in data.items():
        if key in shape:
            problems += unknown_keys(value, shape[key], (*where, str(key)))
    return problems


def _list_label(index: int, value: object) -> str:
    return value["id"] if isinstance(value, dict) and isinstance(value.get("id"), str) else f"#{index + 1}"


def _inside(where: tuple[str, ...], label: str, value: object) -> tuple[str, ...]:
    """A record with an id is named by it, after its section's name ("R08", "start_here/run-cell")."""
    if isinstance(value, dict) and value.get("id") == label:
        return (*where[1:], label)
    return (*where, label)


def check_codebook(codebook: Codebook) -> list[Problem]:
    owners: dict[str, set[str]] = {}
    for actor in codebook.actors.values():
        for alias in (actor.code, actor.name, *actor.aliases):
            owners.setdefault(alias.lower(), set()).add(actor.code)
    return [
        Problem(codebook.path, f"alias {alias!r}", f"belongs to several actors: {', '.join(sorted(codes))}")
        for alias, codes in owners.items()
        if len(codes) > 1
    ]


def check_lesson_data(files: DataFiles) -> list[Problem]:
    """The timeline, glossary and self-checks: their loaders validate them and name the entry."""
    from peninsula.lessons import load_glossary, load_self_checks

    problems = []
    for path, load in [(files.timeline, load_timeline), (files.timeline, publication_windows),
                       (files.glossary, load_glossary), (files.self_checks, load_self_checks)]:
        try:
            load(path)
        except (yaml.YAMLError, KeyError, TypeError, AttributeError, ValueError) as error:
            problems.append(Problem(path, "file", str(error).removeprefix(f"{path}: ")))
    return problems


def check_recommendations(sources: list[tuple[Path, str]], corpus: Corpus,
                          codebook: Codebook) -> list[Problem]:
    """The recommendations in each (file, section) of `sources`."""
    problems: list[Problem] = []
    first_seen: dict[str, Path] = {}
    quotes: dict[tuple[str, str], str] = {}
    for path, section in sources:
        for index, record in enumerate(read_records(path, section)):
            item = f"item #{index + 1}"
            if isinstance(record, dict):
                item = str(record.get("id", item))

            def report(message: str, path: Path = path, item: str = item) -> None:
                problems.append(Problem(path, item, message))

            if not isinstance(record, dict):
                report("must be a mapping of field: value")
                continue
            if item in first_seen:
                report(f"duplicate id (also in {first_seen[item].name})")
            first_seen.setdefault(item, path)
            check_recommendation(record, corpus, codebook, report)
            anchor = (str(record.get("paragraph")), str(record.get("quote")))
            if anchor in quotes:
                report(f"same paragraph and quote as {quotes[anchor]}")
            quotes.setdefault(anchor, item)
    return problems


def check_recommendation(record: dict, corpus: Corpus, codebook: Codebook, report) -> None:
    missing = sorted(REQUIRED_FIELDS - record.keys())
    if missing:  # unknown fields are reported by check_keys, for every data file alike
        report(f"missing field(s): {', '.join(missing)}")
        return
    if record["text"] not in TEXT_PREFIXES:
        report(f"text {record['text']!r} is not one of {', '.join(TEXT_PREFIXES)}")
        return
    check_anchor(record["text"], record["paragraph"], record["quote"], corpus, report)
    actor_sets = {"actors": record["actors"], "targets": record.get("targets") or []}
    accepted = record.get("accepted") or []
    if not isinstance(accepted, list) or not all(isinstance(s, list) for s in accepted):
        report("accepted must be a list of actor lists, e.g. [[US, ROK]]")
        accepted = []
    for position, actor_set in enumerate(accepted, 1):
        actor_sets[f"accepted set {position}"] = actor_set
    for field, actor_set in actor_sets.items():
        if not isinstance(actor_set, list):
            report(f"{field} must be a list of actor codes")
            continue
        for code in actor_set:
            if code not in codebook.actors:
                report(f"{field}: {code!r} is not an actor code ({', '.join(codebook.actors)})")
    if not record["actors"]:
        report("actors is empty")
    full_credit = [frozenset(record["actors"])] + [frozenset(s) for s in accepted]
    if len(set(full_credit)) < len(full_credit):
        report("an accepted set repeats the actors or another accepted set")
    if record["issue"] not in codebook.issues:
        report(f"issue {record['issue']!r} is not in the codebook")
    for flag in ("explicit", "autograde"):
        if not isinstance(record[flag], bool):
            report(f"{flag} must be true or false, not {record[flag]!r}")
    if record["autograde"] is False and not record.get("note"):
        report("autograde is false, so a note must say why the item is left to discussion")
    if record.get("worked_example") and record["autograde"] is not False:
        report("a worked example is shown in lessons, so it must have autograde: false")


def check_anchor(text_id: str, paragraph_id, quote, corpus: Corpus, report) -> None:
    """The paragraph exists in that text and contains the quote verbatim."""
    try:
        paragraph = corpus[text_id].paragraph(str(paragraph_id))
    except KeyError as error:
        report(error.args[0])
        return
    if not isinstance(quote, str) or not quote.strip():
        report("quote is empty")
    elif quote not in paragraph.text:
        report(f"quote is not verbatim in {paragraph_id}: {quote!r}")
    elif len(quote.split()) < MIN_QUOTE_WORDS or len(quote.strip()) < MIN_QUOTE_CHARACTERS:
        report(
            f"quote {quote!r} in {paragraph_id} is too short to anchor a reading "
            f"(at least {MIN_QUOTE_WORDS} words and {MIN_QUOTE_CHARACTERS} characters)"
        )


def check_assignment_items(path: Path, corpus: Corpus) -> list[Problem]:
    from peninsula.answers import PLAN_BRANCHES

    problems: list[Problem] = []
    seen: set[str] = set()
    for section, family in key_sections(path).items():
        fields = ASSIGNMENT_SECTIONS.get(family, ())
        for index, record in enumerate(read_records(path, section) if fields else ()):
            item = str(record.get("id", f"{section} #{index + 1}"))

            def report(message: str, item: str = item) -> None:
                problems.append(Problem(path, item, message))

            if item in seen:
                report("duplicate id")
            seen.add(item)
            missing = [f for f in fields if not record.get(f)]
            if missing:
                report(f"missing field(s): {', '.join(missing)}")
                continue
            if family == "attributions" and record["author"] not in TEXT_PREFIXES:
                report(f"author {record['author']!r} is not one of {', '.join(TEXT_PREFIXES)}")
                continue
            if family == "plan_b" and record["condition"] not in PLAN_BRANCHES:
                report(f"condition {record['condition']!r} is not one of {', '.join(PLAN_BRANCHES)}")
            if "quote" in fields:
                text_id = record["author"] if family == "attributions" else "cronin"
                check_anchor(text_id, record["paragraph"], record["quote"], corpus, report)
            for paragraph_id in record.get("accepted") or []:
                try:
                    corpus.paragraph(str(paragraph_id))
                except KeyError as error:
                    report(f"accepted: {error.args[0]}")
    return problems


def check_positions(paths: list[Path], corpus: Corpus, codebook: Codebook) -> list[Problem]:
    problems: list[Problem] = []
    where: Counter[tuple[str, str]] = Counter()
    for path in paths:
        for issue, by_text in read_position_records(path).items():
            for text_id, record in (by_text or {}).items():
                item = f"{issue}/{text_id}"

                def report(message: str, path: Path = path, item: str = item) -> None:
                    problems.append(Problem(path, item, message))

                where[(issue, text_id)] += 1
                if issue not in codebook.issues:
                    report("issue is not in the codebook")
                if text_id not in TEXT_PREFIXES:
                    report(f"text {text_id!r} is not one of {', '.join(TEXT_PREFIXES)}")
                    continue
                check_position(record, text_id, corpus, codebook, report)
    for issue in codebook.issues:
        for text_id in TEXT_PREFIXES:
            if where[(issue, text_id)] > 1:
                problems.append(Problem(paths[0], f"{issue}/{text_id}", "position recorded more than once"))
            elif not where[(issue, text_id)] and len(paths) > 1:
                problems.append(Problem(paths[0], f"{issue}/{text_id}", "no position recorded"))
    return problems


def check_position(record: dict, text_id: str, corpus: Corpus, codebook: Codebook, report) -> None:
    stance = record.get("stance")
    if stance not in codebook.stances:
        report(f"stance {stance!r} must be one of {', '.join(map(str, codebook.stances))}")
    for alternative in record.get("accepted") or []:
        if alternative == stance or alternative not in codebook.stances:
            report(f"accepted stance {alternative!r} must be a different valid stance")
    if not str(record.get("summary") or "").strip():
        report("summary is empty")
    evidence = record.get("evidence") or []
    if stance != NOT_ADDRESSED and not evidence:
        report("an addressed issue needs at least one evidence quote")
    for quote in evidence:
        check_anchor(text_id, quote.get("paragraph"), quote.get("quote"), corpus, report)


def report_text(problems: list[Problem], files: DataFiles) -> str:
    """A readable report for the command line."""
    checked = ["source texts"] + [path.name for path in (files.codebook, files.positions,
               files.worked_examples, files.timeline, files.glossary, files.self_checks)]
    checked.append(files.key.name if files.key else "no answer key (not an instructor's copy)")
    lines = [f"Checked: {', '.join(checked)}."]
    if not problems:
        lines.append("All good: every quote is verbatim, every id, code and issue exists.")
    else:
        lines.append(f"{len(problems)} problem(s):")
        lines += [f"  - {problem}" for problem in problems]
    return "\n".join(lines)
