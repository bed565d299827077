"""The grading logic on its own: parsing, the friendly format check, the partial-credit rule and
the hidden-test entry point (which reads the real answer key, as it does when nbgrader runs it)."""

import pytest

import peninsula.grading as grading
from peninsula.grading import (
    Item,
    format_problems,
    hidden_test,
    item_credit,
    load_items,
    model_answers,
    parse,
)

ACTORS = Item("R90", "trivedi", "a quote", "T1", (frozenset({"US", "ROK"}), frozenset({"US"})))
TRIO = Item("R91", "trivedi", "a quote", "T1", (frozenset({"US", "ROK", "JAPAN"}),))
STANCE = Item("S90", "stances", "Trivedi · an issue", None, (1, 2))
SILENT = Item("S91", "stances", "Cronin · an issue", None, ("not addressed",))
EVIDENCE = Item("E90", "evidence", "a claim", None, ("C5", "C7"))


@pytest.mark.parametrize(
    ("item", "raw", "credit"),
    [
        (TRIO, "US, South Korea, Japan", 1.0),  # exact
        (TRIO, "japan and seoul and the white house", 1.0),  # aliases, any case, "and"
        (TRIO, ["Tokyo", "U.S.", "Moon"], 1.0),  # a list works too
        (TRIO, "US, South Korea", 2 / 3),  # |A∩S| / |A∪S|
        (TRIO, "US", 1 / 3),
        (TRIO, "US, China", 1 / 4),
        (TRIO, "North Korea", 0.0),
        (ACTORS, "US", 1.0),  # an accepted set earns full credit
        (ACTORS, "US, Japan", 0.5),  # the best over the full-credit sets
        (ACTORS, "Soth Korea", 0.0),  # nothing recognised
        (ACTORS, "US, Soth Korea", 1.0),  # graded on what is recognised
        (STANCE, 1, 1.0),
        (STANCE, "+2", 1.0),  # an accepted stance
        (STANCE, 0, 0.5),  # one step off the key's stance
        (STANCE, "-1", 0.0),
        (STANCE, "not addressed", 0.0),
        (SILENT, "Not Addressed", 1.0),
        (SILENT, 0, 0.0),  # no half credit next to "not addressed"
        (EVIDENCE, "c7", 1.0),  # any supporting paragraph
        (EVIDENCE, "[C5]", 1.0),
        (EVIDENCE, "C6", 0.0),
    ],
)
def test_partial_credit_rule(item, raw, credit):
    assert item_credit(item, parse(item.id, raw)[0]) == pytest.approx(credit)


def test_typos_get_a_suggestion_and_name_the_item():
    problems = format_problems({"R07": "Soth Korea", "A01": "Trivdi", "P01": "sucess"}, ["R07", "A01", "P01"])
    assert problems == [
        "R07: 'Soth Korea' is not an actor name; did you mean South Korea?",
        "A01: 'Trivdi' is not one of the authors; did you mean Trivedi?",
        'P01: \'sucess\' is not one of "success", "unproductive", "neither"; did you mean success?',
    ]


def test_format_check_reports_missing_extra_empty_and_wrong_types():
    answers = {"R02": "", "R03": 5, "R04": ["US", 7], "R99": "US", 12: "US", "S01": 2.5, "E01": "C19"}
    problems = format_problems(answers, ["R02", "R03", "R04", "R05", "S01", "E01"])
    assert "R02: no answer yet" in problems
    assert "R05: missing; put its line back in the answer cell" in problems
    assert "R99: not an item in this assignment; delete this line" in problems
    assert "12: not an item in this assignment; delete this line" in problems
    assert 'R03: 5 (a number) is not a list of names; type them in quotes: "US, Japan"' in problems
    assert any(p.startswith("R04: ['US', 7] (a list) is not a list of names") for p in problems)
    assert 'S01: 2.5 (a number) is not a stance; give a whole number from -2 to 2, or "not addressed"' in problems
    assert "E01: 'C19' is not a paragraph; they run C1 to C18" in problems
    assert format_problems(None, ["R02"]) == ["No `answers` found: run the answer cell first (and fix any error it shows)."]
    assert format_problems([1], ["R02"])[0].startswith("`answers` should be the dictionary from the answer cell")


def test_format_check_prints_problems_to_stderr_and_never_judges(capsys):
    items = load_items("who_must_act")
    expected = " ".join(item.id for item in items)
    grading.check_format(expected, {item.id: "North Korea" for item in items})  # mostly wrong, well formed
    out, err = capsys.readouterr()
    assert err == "" and out.startswith("Format OK: all 35 answers")
    answers = {item.id: "US" for item in items} | {"R08": "Soth Korea"}
    grading.check_format(expected, answers)
    out, err = capsys.readouterr()
    assert out == "" and "R08: 'Soth Korea' is not an actor name; did you mean South Korea?" in err
    assert "correct" not in err


class Sneaky(int):
    """An answer that claims to equal anything."""

    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


class SneakyText(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


JUNK = [object(), b"US", float("nan"), 1e308, -3, {"US": 1}, [None], Sneaky(1), SneakyText("C5"), print, ...]


@pytest.mark.parametrize("kind", ["R90", "A90", "S90", "P90", "E90"])
def test_junk_answers_never_raise_and_earn_nothing(kind):
    item = Item(kind, "x", "prompt", None, (frozenset({"US"}),) if kind[0] == "R" else ("C5", 1, "trivedi", "neither"))
    for raw in JUNK:
        answer, problems = parse(kind, raw)
        assert problems, raw
        assert item_credit(item, answer) == 0.0, raw


def run_hidden_test(namespace: dict, part: str = "trivedi", points: float = 17, assignment: str = "who_must_act"):
    """Run the hidden cell's call the way a notebook does: with the student's globals."""
    namespace = {"hidden_test": hidden_test, **namespace}
    exec(f"score = hidden_test({assignment!r}, {part!r}, points={points})", namespace)
    return namespace["score"]


@pytest.mark.parametrize("assignment", list(grading.PARTS))
def test_model_answers_earn_full_marks_in_every_part(assignment, capsys):
    answers = model_answers(assignment)
    for part in grading.PARTS[assignment]:
        points = len(load_items(assignment, part))
        assert run_hidden_test({"answers": answers}, part, points, assignment) == points
    out, err = capsys.readouterr()
    assert err == "" and "not correct" not in out


def test_hidden_test_prints_verdicts_never_answers(capsys):
    answers = {"R08": "Soth Korea", "R12": "north korea", "R13": "US, Japan", "R02": "China"}
    assert run_hidden_test({"answers": answers}) == round(1 + 2 / 3, 2)
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert "R08: not correct ('Soth Korea' is not an actor name; did you mean South Korea?)" in lines
    assert {"R12: correct", "R13: partly correct", "R02: not correct", "R03: no answer"} <= set(lines)
    assert lines[-1] == "Score for this part: 1.67 of 17"


def test_hidden_test_scales_and_clamps_to_the_cells_points(capsys):
    answers = model_answers("who_must_act")
    assert run_hidden_test({"answers": answers}, points=2) == 2.0
    assert run_hidden_test({"answers": answers}, points=0) == 0.0


@pytest.mark.parametrize(
    "namespace",
    [
        {},  # the answer cell raised before defining `answers`
        {"answers": "US"},
        {"answers": None},
        {"answers": {"R02": Sneaky(1), "R03": SneakyText("US")}},
    ],
)
def test_hidden_test_gives_zero_with_a_message_for_broken_answers(namespace, capsys):
    assert run_hidden_test(namespace) == 0.0
    out, err = capsys.readouterr()
    assert err == "" and out.strip()


def test_a_mapping_that_raises_costs_its_owner_zero_not_the_batch(capsys):
    class Exploding(dict):
        def get(self, key, default=None):
            raise RuntimeError("boom")

    assert run_hidden_test({"answers": Exploding()}) == 0.0
    out, err = capsys.readouterr()
    assert err == "" and "could not be read (RuntimeError)" in out


def test_redefined_builtins_and_helpers_in_the_notebook_change_nothing(capsys):
    answers = {"R12": "DPRK"}
    honest = run_hidden_test({"answers": answers})
    rebound = {
        "answers": answers,
        "print": None,
        "float": str,
        "round": lambda *a: 99,
        "min": max,
        "globals": None,
        "check_format": lambda *a, **k: None,
        "score_part": lambda *a: (17, []),
        "_peninsula_grading": None,
    }
    assert run_hidden_test(rebound) == honest == 1.0


def test_without_the_key_the_hidden_test_says_so_and_scores_zero(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(grading, "answer_key_file", lambda: tmp_path / "absent.yaml")
    assert run_hidden_test({"answers": {"R02": "US"}}) == 0.0
    out, err = capsys.readouterr()
    assert err == "" and "only where the answer key is" in out


def test_a_broken_key_costs_a_message_not_an_error(tmp_path, monkeypatch, capsys):
    broken = tmp_path / "answer_key.yaml"
    broken.write_text("recommendations: [{id: R02}]\n", encoding="utf-8")
    monkeypatch.setattr(grading, "answer_key_file", lambda: broken)
    assert run_hidden_test({"answers": {"R02": "US"}}) == 0.0
    out, err = capsys.readouterr()
    assert err == "" and "could not be read (KeyError)" in out


def test_items_and_model_answers_agree_with_the_key():
    items = load_items("who_must_act")
    assert len(items) == 35 and {i.part for i in items} == {"trivedi", "cronin"}
    for assignment in grading.PARTS:
        for item in load_items(assignment):
            assert parse(item.id, model_answers(assignment)[item.id])[0] in item.full_credit
    with pytest.raises(KeyError, match="not an assignment"):
        load_items("ps9")


def test_assignment_2_key_sections_are_anchored_and_well_formed():
    """peninsula check anchors every attribution and plan item; here: the items cover each part."""
    from peninsula.check import check_assignment_items
    from peninsula.paths import answer_key_file
    from peninsula.texts import load_corpus

    assert check_assignment_items(answer_key_file(), load_corpus()) == []
    ids = [item.id for item in load_items("comparing_positions")]
    assert len(ids) == len(set(ids)) and {i[0] for i in ids} == {"A", "S", "P", "E"}
