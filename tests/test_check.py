"""`peninsula check`: the shipped data passes, and each kind of problem is caught and located."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from peninsula.codebook import CODEBOOK_FILE
from peninsula.grader.check import DataFiles, check_all
from peninsula.grader.course import Course
from peninsula.positions import POSITIONS_FILE
from peninsula.recommendations import WORKED_EXAMPLES_FILE

PENINSULA = Path(sys.executable).parent / "peninsula"
COURSE = Course(Path(__file__).parents[1])
KEY = COURSE.key_file  # the key of this repository's course


def test_shipped_data_passes_the_real_command():
    result = subprocess.run([PENINSULA, "check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "answer_key.yaml" in result.stdout
    assert "All good" in result.stdout


@pytest.fixture
def data_copy(tmp_path) -> DataFiles:
    """Writable copies of every data file, so a test can break one."""
    for source in (CODEBOOK_FILE, POSITIONS_FILE, WORKED_EXAMPLES_FILE, KEY, COURSE.assignments_file):
        shutil.copy(source, tmp_path / source.name)
    return DataFiles(
        codebook=tmp_path / CODEBOOK_FILE.name,
        positions=tmp_path / POSITIONS_FILE.name,
        worked_examples=tmp_path / WORKED_EXAMPLES_FILE.name,
        answer_key=tmp_path / KEY.name,
    )


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def recommendation(data: dict, item_id: str) -> dict:
    return next(r for r in data["recommendations"] if r["id"] == item_id)


def set_field(item_id, field, value):
    return lambda data: recommendation(data, item_id).__setitem__(field, value)


def delete_field(item_id, field):
    return lambda data: recommendation(data, item_id).pop(field)


def duplicate_first_id(data):
    data["recommendations"][1]["id"] = data["recommendations"][0]["id"]


def set_position(issue, text_id, field, value):
    return lambda data: data["positions"][issue][text_id].__setitem__(field, value)


KEY_BREAKS = [
    pytest.param(delete_field("R08", "actors"), "R08", "missing field(s): actors", id="schema-missing"),
    pytest.param(set_field("R08", "actor", ["ROK"]), "R08", "unknown field(s): actor", id="schema-unknown"),
    pytest.param(set_field("R08", "explicit", "yes"), "R08", "explicit must be true or false", id="schema-type"),
    pytest.param(
        set_field("R08", "quote", "Moon will need to ensure the North’s nuclear programs"),
        "R08", "quote is not verbatim in T13", id="quote-not-verbatim",
    ),
    pytest.param(set_field("R08", "paragraph", "T40"), "R08", "has no paragraph 'T40'", id="unknown-paragraph"),
    pytest.param(set_field("R08", "paragraph", "C13"), "R08", "Trivedi has no paragraph 'C13'", id="wrong-text"),
    pytest.param(set_field("R08", "actors", ["SEOUL"]), "R08", "'SEOUL' is not an actor code", id="actor-code"),
    pytest.param(set_field("R08", "targets", ["NK"]), "R08", "targets: 'NK' is not an actor code", id="target"),
    pytest.param(set_field("R08", "issue", "nukes"), "R08", "issue 'nukes' is not in the codebook", id="issue"),
    pytest.param(duplicate_first_id, "R01", "duplicate id", id="duplicate-id"),
    pytest.param(set_field("R09", "accepted", [["DPRK", "ROK"]]), "R09", "accepted set repeats", id="accepted"),
    pytest.param(set_field("R01", "note", None), "R01", "a note must say why", id="autograde-false-no-note"),
    pytest.param(set_field("R02", "text", "kissinger"), "R02", "text 'kissinger' is not one of", id="text-id"),
]


@pytest.mark.parametrize(("change", "item", "phrase"), KEY_BREAKS)
def test_broken_answer_key_is_reported_with_file_and_item(data_copy, change, item, phrase):
    edit_yaml(data_copy.key, change)
    problems = [str(p) for p in check_all(data_copy)]
    assert any(p.startswith(f"answer_key.yaml: {item}: ") and phrase in p for p in problems), problems


def set_section(section, index, field, value):
    return lambda data: data[section][index].__setitem__(field, value)


@pytest.mark.parametrize(
    ("change", "item", "phrase"),
    [
        (set_section("attributions", 0, "quote", "obsesses over trade surpluses"), "A01", "quote is not verbatim in T6"),
        (set_section("attributions", 0, "author", "kim"), "A01", "author 'kim' is not one of"),
        (set_section("plan_b", 0, "condition", "maybe"), "P01", "condition 'maybe' is not one of"),
        (set_section("plan_b", 0, "paragraph", "C99"), "P01", "has no paragraph 'C99'"),
        (set_section("evidence", 0, "accepted", ["T6", "X1"]), "E01", "accepted: 'X1' is not a paragraph id"),
        (set_section("evidence", 0, "claim", ""), "E01", "missing field(s): claim"),
    ],
)
def test_broken_assignment_2_items_are_reported(data_copy, change, item, phrase):
    edit_yaml(data_copy.key, change)
    problems = [str(p) for p in check_all(data_copy)]
    assert any(p.startswith(f"answer_key.yaml: {item}: ") and phrase in p for p in problems), problems


def test_worked_example_must_not_be_autograded(data_copy):
    edit_yaml(data_copy.worked_examples, set_field("W01", "autograde", True))
    assert "worked_examples.yaml: W01: a worked example is shown in lessons, so it must have autograde: false" in [
        str(p) for p in check_all(data_copy)
    ]


def test_a_section_the_registry_names_is_checked_and_a_broken_registry_reported(data_copy):
    registry = data_copy.key.with_name(COURSE.assignments_file.name)

    def add_assignment(data):
        part = {"id": "p", "title": "p", "instructions": "p", "family": "recommendations", "section": "extra"}
        layout = [{"cell": kind} for kind in ("setup", "answers", "format_check", "hidden")]
        data["assignments"].append({"id": "a3", "title": "A3", "preamble": "#", "parts": [part], "layout": layout})

    def add_section(data):
        data["extra"] = [{**recommendation(data, "R02"), "id": "R90", "quote": "not in the text at all"}]

    edit_yaml(registry, add_assignment)
    edit_yaml(data_copy.key, add_section)
    problems = [str(p) for p in check_all(data_copy)]
    assert any(p.startswith("answer_key.yaml: R90: quote is not verbatim in T2") for p in problems), problems
    assert not any("unknown field(s): extra" in p for p in problems)
    edit_yaml(registry, lambda data: data["assignments"][-1]["parts"][0].__setitem__("family", "essays"))
    assert any("assignments.yaml: file: assignment 'a3', part 'p': family 'essays' is not one of" in p
               for p in map(str, check_all(data_copy)))


def test_quote_in_both_key_and_worked_examples_is_reported(data_copy):
    edit_yaml(data_copy.key, set_field("R27", "quote", "they should be conveyed to not just the White House"))
    edit_yaml(data_copy.worked_examples, set_field("W02", "quote", "they should be conveyed to not just the White House"))
    assert any("R27: same paragraph and quote as W02" in str(p) for p in check_all(data_copy))


POSITION_BREAKS = [
    pytest.param(
        "positions", set_position("summit_diplomacy", "cronin", "stance", 3),
        "summit_diplomacy/cronin", "stance 3 must be one of", id="stance",
    ),
    pytest.param(
        "positions", set_position("summit_diplomacy", "cronin", "evidence", []),
        "summit_diplomacy/cronin", "needs at least one evidence quote", id="no-evidence",
    ),
    pytest.param(
        "positions", set_position("summit_diplomacy", "trivedi", "evidence", [{"paragraph": "T12", "quote": "nope"}]),
        "summit_diplomacy/trivedi", "quote is not verbatim in T12", id="evidence-quote",
    ),
    pytest.param(
        "key", lambda d: d["positions"].__setitem__("summit_diplomacy", {"cronin": d["positions"]["china_role"]["cronin"]}),
        "summit_diplomacy/cronin", "position recorded more than once", id="duplicate-position",
    ),
    pytest.param(
        "key", lambda d: d["positions"].pop("china_role"), "china_role/trivedi", "no position recorded",
        id="missing-position",
    ),
    pytest.param(
        "key", set_position("china_role", "cronin", "accepted", [-1]), "china_role/cronin",
        "accepted stance -1 must be a different valid stance", id="accepted-stance",
    ),
]


@pytest.mark.parametrize(("which", "change", "item", "phrase"), POSITION_BREAKS)
def test_broken_positions_are_reported_with_file_and_item(data_copy, which, change, item, phrase):
    edit_yaml(data_copy.positions if which == "positions" else data_copy.key, change)
    problems = [str(p) for p in check_all(data_copy)]
    assert any(f": {item}: " in p and phrase in p for p in problems), problems


def test_alias_claimed_by_two_actors_is_reported(data_copy):
    edit_yaml(data_copy.codebook, lambda d: d["actors"]["CHINA"]["aliases"].append("Seoul"))
    assert "codebook.yaml: alias 'seoul': belongs to several actors: CHINA, ROK" in [
        str(p) for p in check_all(data_copy)
    ]


@pytest.mark.parametrize(
    ("field", "break_it", "phrase"),
    [
        ("timeline", lambda d: d["events"][0].update(check="maybe"), "check must be one of"),
        ("glossary", lambda d: d["terms"][0].pop("definition"), "needs a term and a definition"),
        ("self_checks", lambda d: d["lessons"]["start_here"][0]["choices"][0].update(correct=True), "exactly one"),
    ],
)
def test_broken_lesson_data_is_reported(tmp_path, field, break_it, phrase):
    source = getattr(DataFiles(), field)
    broken = tmp_path / source.name
    shutil.copy(source, broken)
    edit_yaml(broken, break_it)
    problems = [str(p) for p in check_all(DataFiles(**{field: broken}))]
    assert any(p.startswith(f"{source.name}: file: ") and phrase in p for p in problems), problems


def test_command_exits_non_zero_and_names_the_problem(tmp_path):
    texts = tmp_path / "texts"
    shutil.copytree(Path(__file__).parents[1] / "source_texts", texts)
    broken = texts / "cronin.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("[C7]", "[C6]"), encoding="utf-8")
    result = subprocess.run(
        [PENINSULA, "check"], capture_output=True, text=True, env={"PENINSULA_TEXTS": str(texts), "PATH": ""}
    )
    assert result.returncode == 1
    assert "cronin.md:" in result.stdout and "duplicate paragraph id C6" in result.stdout


# --- Unknown keys and quotes too short to anchor a reading (issue 21) --------------------------


def test_a_flow_mapping_split_at_its_commas_is_refused_with_a_hint(data_copy):
    """The bug that lost Trivedi's T3 quote: unquoted commas inside {...} make stray keys."""
    text = data_copy.key.read_text(encoding="utf-8")
    data_copy.key.write_text(
        text.replace('{paragraph: T3, quote: "it, too, would embrace decoupling"}',
                     "{paragraph: T3, quote: it, too, would embrace decoupling}"),
        encoding="utf-8",
    )
    problems = [str(p) for p in check_all(data_copy)]
    assert any(
        p.startswith("answer_key.yaml: positions/china_role/trivedi/evidence/#1: unknown field(s): ")
        and "must be quoted" in p
        for p in problems
    ), problems
    assert "answer_key.yaml: china_role/trivedi: quote 'it' in T3 is too short to anchor a reading" in " ".join(problems)


@pytest.mark.parametrize(
    ("quote", "refused"),
    [("For the moment", True), ("it, too", True), ("calibrated sanctions relief", False), ("dial up sanctions", False)],
)
def test_a_quote_needs_three_words_and_fifteen_characters(data_copy, quote, refused):
    paragraph = "C3" if quote == "For the moment" else "T3" if quote == "it, too" else "C16" if "relief" in quote else "C17"
    edit_yaml(data_copy.key, set_field("R28", "paragraph", paragraph))
    edit_yaml(data_copy.key, set_field("R28", "quote", quote))
    edit_yaml(data_copy.key, set_field("R28", "text", "trivedi" if paragraph == "T3" else "cronin"))
    problems = [str(p) for p in check_all(data_copy) if p.item == "R28"]
    assert any("too short to anchor a reading" in p for p in problems) == refused, problems


@pytest.mark.parametrize(
    ("which", "break_it", "item"),
    [
        ("positions", lambda d: d["positions"]["summit_diplomacy"]["cronin"].update(stnace=1), "positions/summit_diplomacy/cronin"),
        ("codebook", lambda d: d["actors"]["US"].update(colur="#000000"), "actors/US"),
        ("key", lambda d: d["plan_b"][0].update(branch="success"), "P01"),
        ("key", lambda d: d.update(stances={}), "file"),
    ],
)
def test_unknown_keys_are_refused_in_every_data_file(data_copy, which, break_it, item):
    path = {"positions": data_copy.positions, "codebook": data_copy.codebook, "key": data_copy.key}[which]
    edit_yaml(path, break_it)
    problems = [str(p) for p in check_all(data_copy)]
    assert any(p.startswith(f"{path.name}: {item}: unknown field(s): ") for p in problems), problems


@pytest.mark.parametrize(
    ("field", "break_it", "item", "phrase"),
    [
        ("self_checks", lambda d: d["lessons"]["start_here"][0]["choices"][0].update(right=True), "start_here/run-cell/choices/#1", "unknown field(s): right"),
        ("glossary", lambda d: d["terms"][0].update(defintion="x"), "terms/#1", "unknown field(s): defintion"),
        ("timeline", lambda d: d["publication_windows"]["trivedi"].update(end="2018-05-02"), "file", "must be a span inside"),
    ],
)
def test_lesson_data_refuses_unknown_keys_and_a_window_outside_the_date(tmp_path, field, break_it, item, phrase):
    source = getattr(DataFiles(), field)
    broken = tmp_path / source.name
    shutil.copy(source, broken)
    edit_yaml(broken, break_it)
    problems = [str(p) for p in check_all(DataFiles(**{field: broken}))]
    assert any(p.startswith(f"{source.name}: {item}: ") and phrase in p for p in problems), problems
