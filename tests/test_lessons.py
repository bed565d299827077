"""The lesson helpers, the glossary and the self-check questions, tested without a kernel.

Also guards the boundary: nothing a student sees in the lessons names a graded recommendation or
a stance on an issue graded in Assignment 2.
"""

import json
import re
from pathlib import Path

import pytest
import yaml

from peninsula import lessons
from peninsula.codebook import load_codebook
from peninsula.grader.course import Course
from peninsula.texts import load_corpus

ROOT = Path(__file__).resolve().parents[1]
KEY = Course(ROOT).key_file  # the key of this repository's course
FACTS = Path("/work/shared/reference/facts.md")
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
R_ID = re.compile(r"\bR\d{2}\b")


def facts_glossary_terms(text: str) -> list[str]:
    """The terms listed under facts.md's glossary heading, one per ';' outside parentheses."""
    section = text.split("## Glossary terms students will meet", 1)[1].strip().split("\n\n", 1)[0]
    items, depth, current = [], 0, ""
    for char in section:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ";" and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    terms = []
    for item in items:
        bare = re.sub(r"\([^)]*\)", "", item).strip().rstrip(".").strip()
        terms += [part.strip() for part in bare.split(" and ")]
    return terms


# --- Glossary -------------------------------------------------------------------------------


@pytest.mark.skipif(not FACTS.exists(), reason="the shared facts file is not on this machine")
def test_glossary_covers_every_term_in_the_facts_list():
    terms = facts_glossary_terms(FACTS.read_text(encoding="utf-8"))
    assert len(terms) >= 15, terms
    for term in terms:
        lessons.lookup_term(term)  # raises UnknownTermError, naming the term, if it is missing


def test_every_glossary_entry_has_a_definition_and_a_unique_name():
    raw = yaml.safe_load(lessons.GLOSSARY_FILE.read_text(encoding="utf-8"))["terms"]
    assert all(str(entry.get("definition", "")).strip() for entry in raw)
    names = [n.lower() for entry in lessons.load_glossary() for n in entry.names]
    assert len(names) == len(set(names)), "a term or alias is listed twice"


@pytest.mark.parametrize("entry", lessons.load_glossary(), ids=lambda e: e.term)
def test_every_text_form_occurs_in_the_texts(entry):
    for form in entry.text_forms:
        pattern = re.compile(r"(?<!\w)" + re.escape(form), re.IGNORECASE)
        assert any(pattern.search(p.text) for p in load_corpus().paragraphs()), form


def test_glossary_shows_definitions_and_where_a_term_occurs():
    shown = lessons.glossary("Maximum Pressure", "the abductees issue").data
    assert "**maximum pressure**" in shown and "T2, T18" in shown
    assert "**abductees issue**" in shown
    assert "Neither text uses this term by name" in lessons.glossary("CVID").data


def test_an_unknown_term_is_refused_with_close_matches():
    with pytest.raises(lessons.UnknownTermError, match="Did you mean: maximum pressure"):
        lessons.glossary("maximum presure")


# --- Paragraphs, worked examples, codebook, positions ---------------------------------------


def test_show_paragraphs_shows_each_paragraph_with_its_id_and_source():
    shown = lessons.show_paragraphs("T13", "C18").data
    assert "<b>[T13]</b>" in shown and "<b>[C18]</b>" in shown
    assert "Atman Trivedi, April 2018" in shown and "Patrick M. Cronin, 14 January 2019" in shown
    with pytest.raises(KeyError, match="ids run from T1 to T19"):
        lessons.show_paragraphs("T20")


def test_worked_example_highlights_its_quote_and_names_actors_and_targets():
    shown = lessons.show_worked_example("W02").data
    assert "<mark>they should be conveyed to not just the White House but also Congress</mark>" in shown
    assert "North Korea (DPRK)" in shown and "US Congress (CONGRESS)" in shown
    assert "before a second Trump–Kim summit" in shown and "Passive voice" in shown
    with pytest.raises(KeyError, match="W01, W02"):
        lessons.show_worked_example("W99")


def test_codebook_and_issue_tables_show_every_code_rule_and_issue():
    codebook = load_codebook()
    shown = lessons.show_codebook().data + lessons.show_issues().data
    for actor in codebook.actors.values():
        assert f'<td style="text-align: left;">{actor.code}</td>' in shown
    for rule in codebook.rules:
        assert rule.title in shown
    for issue in codebook.issues.values():
        assert lessons.html.escape(issue.name) in shown


def test_positions_are_shown_for_taught_issues_only():
    taught = lessons.show_positions("sanctions_pressure").data
    assert (
        "Atman Trivedi" in taught
        and "Patrick M. Cronin" in taught
        and "calibrated sanctions relief" in taught
    )
    graded = lessons.show_positions("china_role").data
    assert "graded in Assignment 2" in graded and "stance" not in graded
    with pytest.raises(KeyError, match="alliance_coordination"):
        lessons.show_positions("trade")


# --- Self-checks ----------------------------------------------------------------------------


def all_questions() -> list[lessons.Question]:
    return [q for questions in lessons.load_self_checks().values() for q in questions]


def test_every_question_has_one_correct_choice_and_feedback_on_every_choice():
    raw = yaml.safe_load(lessons.SELF_CHECKS_FILE.read_text(encoding="utf-8"))["lessons"]
    for lesson, questions in raw.items():
        assert 3 <= len(questions) <= 5, lesson
        for question in questions:
            assert sum(bool(c.get("correct")) for c in question["choices"]) == 1, question["id"]
            assert all(str(c.get("feedback", "")).strip() for c in question["choices"]), question["id"]


def test_the_right_answer_is_not_always_in_the_same_place():
    places = {next(i for i, c in enumerate(q.choices) if c.correct) for q in all_questions()}
    assert len(places) >= 3


def test_check_answer_says_correct_or_not_yet_and_why():
    question = lessons.lesson_questions("reading_cronin")[0]
    right = next(i for i, c in enumerate(question.choices) if c.correct)
    wrong = (right + 1) % len(question.choices)
    assert lessons.check_answer(question, right) == (True, "Correct. " + question.choices[right].feedback)
    correct, message = lessons.check_answer(question, "ABCD"[wrong])
    assert not correct and message == "Not yet. " + question.choices[wrong].feedback
    assert lessons.check_answer(question, question.choices[right].text)[0]
    assert lessons.check_answer(question, None) == (False, "Choose an answer first.")
    with pytest.raises(ValueError, match="has 4 choices"):
        lessons.check_answer(question, 7)


def test_a_malformed_question_is_reported_with_its_lesson_and_id(tmp_path):
    bad = tmp_path / "self_checks.yaml"
    bad.write_text(
        "lessons:\n  demo:\n    - id: q1\n      prompt: P?\n      choices:\n"
        "        - {text: a, correct: true, feedback: f}\n        - {text: b, correct: true, feedback: f}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"lesson 'demo', question 'q1': needs exactly one"):
        lessons.load_self_checks(bad)


def test_self_check_widget_gives_immediate_feedback():
    box = lessons.self_check("start_here")
    assert len(box.children) == len(lessons.lesson_questions("start_here"))
    question = lessons.lesson_questions("start_here")[0]
    _, answer, button, feedback = box.children[0].children
    button.click()
    assert "Choose an answer first" in feedback.value
    answer.index = next(i for i, c in enumerate(question.choices) if c.correct)
    button.click()
    assert "Correct." in feedback.value
    with pytest.raises(KeyError, match="start_here"):
        lessons.self_check("lesson_9")


def test_every_lesson_notebook_has_a_self_check_and_every_self_check_a_notebook():
    called = set()
    for path in NOTEBOOKS:
        source = "\n".join(
            "".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
        )
        called |= set(re.findall(r'self_check\("(\w+)"\)', source))
    assert called == set(lessons.load_self_checks())


# --- The boundary ---------------------------------------------------------------------------


def markdown_cells() -> list[tuple[str, str]]:
    """(where, text) for every markdown cell of every lesson notebook."""
    cells = []
    for path in NOTEBOOKS:
        for index, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            if cell["cell_type"] == "markdown":
                cells.append((f"{path.name} cell {index}", "".join(cell["source"])))
    return cells


def self_check_texts() -> list[tuple[str, str]]:
    return [
        (q.id, " ".join([q.prompt, *(c.text for c in q.choices), *(c.feedback for c in q.choices)]))
        for q in all_questions()
    ]


def graded_issues() -> list:
    taught = set(lessons.taught_issues())
    return [issue for issue in load_codebook().issues.values() if issue.id not in taught]


def test_the_lessons_teach_five_issues_and_leave_five_to_assignment_2():
    assert len(lessons.taught_issues()) == 5 and len(graded_issues()) == 5


def test_no_lesson_text_or_self_check_names_a_graded_recommendation():
    for where, text in markdown_cells() + self_check_texts():
        assert not R_ID.search(text), f"{where} mentions a graded recommendation id"


def test_notebooks_never_read_the_answer_key():
    for path in NOTEBOOKS:
        source = path.read_text(encoding="utf-8")
        for name in ("answer_key", "load_key_positions", "load_answer_key"):
            assert name not in source, f"{path.name} uses {name}"


def test_self_checks_do_not_ask_about_graded_issues():
    for where, text in self_check_texts():
        for issue in graded_issues():
            for name in (issue.id, issue.name):
                assert name.lower() not in text.lower(), f"self-check {where} mentions {issue.name!r}"


def test_no_lesson_cell_pairs_a_graded_issue_with_a_stance():
    stance_words = [str(label) for label in load_codebook().stances.values()]
    stance_words += ["strongly for", "strongly against", "leans toward", "leans against", "mixed or neutral"]
    for where, text in markdown_cells():
        lowered = text.lower()
        named = [i.name for i in graded_issues() if i.name.lower() in lowered or i.id in lowered]
        if named:
            said = [w for w in stance_words if w in lowered]
            assert not said, f"{where} names {named} next to stance words {said}"


def shingles(text: str, size: int = 6) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


@pytest.mark.skipif(not KEY.exists(), reason="only the instructor's copy has the answer key")
def test_no_lesson_text_repeats_the_answer_keys_wording():
    """No run of six words from a graded summary or rationale appears in a lesson or self-check.

    Runs that the texts themselves contain are allowed: quoting the texts reveals nothing. The
    message names only where the match is, never the key's words.
    """
    from peninsula.grader.key import load_answer_key, load_key_positions

    in_texts = set().union(*(shingles(p.text) for p in load_corpus().paragraphs()))
    key_runs = (
        set().union(
            *(shingles(p.summary) for p in load_key_positions(KEY).values()),
            *(shingles(r.note or "") | shingles(r.action) for r in load_answer_key(KEY)),
        )
        - in_texts
    )
    for where, text in markdown_cells() + self_check_texts():
        repeats = not shingles(text).isdisjoint(key_runs)  # a bool, so a failure shows no key words
        assert not repeats, f"{where} repeats wording from the answer key"


# --- Lesson 5: reliability ------------------------------------------------------------------


def test_lesson_5_ends_with_two_students_double_coding_eight_units():
    from peninsula import reliability

    sources = ["".join(c["source"]) for c in json.loads((ROOT / "notebooks" / "05_reliability.ipynb").read_text())["cells"]]
    exercise = next(s for s in sources if "compare_coders(" in s)
    namespace: dict = {}
    exec(exercise.replace("reliability.compare_coders(coder_a, coder_b)", ""), namespace)
    assert len(namespace["coder_a"]) == len(namespace["coder_b"]) == 8
    assert "Type both coders' codes" in reliability.compare_coders(namespace["coder_a"], namespace["coder_b"]).data
    filled_a = dict.fromkeys(namespace["coder_a"], "summit_diplomacy") | {"C5": "other", "C6": "other"}
    filled_b = dict.fromkeys(namespace["coder_b"], "summit_diplomacy") | {"C5": "other", "C7": "Other "}
    shown = reliability.compare_coders(filled_a, filled_b).data
    # 6 of 8 units agree; codes: 12 summit, 4 other -> chance (12*11 + 4*3) / (16*15) = 0.6; alpha = (0.75 - 0.6) / 0.4
    assert "Percent agreement 0.75" in shown and "chance agreement 0.60" in shown and "α 0.38" in shown
    assert shown.count(">DIFFERENT<") == 2


def test_lesson_5_reads_the_class_export_when_it_is_there_and_the_demo_panel_otherwise(tmp_path, monkeypatch):
    from peninsula import reliability

    monkeypatch.delenv(reliability.PANEL_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert reliability.find_panel_file() == reliability.DEMO_PANEL_FILE
    assert reliability.load_panel().title.startswith("Demo class")
    lessons_folder = tmp_path / "notebooks"
    lessons_folder.mkdir()
    (tmp_path / reliability.CLASS_PANEL_FILE).write_text(reliability.DEMO_PANEL_FILE.read_text().replace(
        "title: 'Demo class: who_must_act'", "title: Our class"), encoding="utf-8")
    monkeypatch.chdir(lessons_folder)  # the export beside the lessons' folder is found from inside it
    assert reliability.load_panel().title == "Our class"
