"""The reader and the comparer, driven from Python: set a control, then read what the widget shows."""

import re
from html import escape

import ipywidgets
import pytest

from peninsula import widgets
from peninsula.charts import stances
from peninsula.codebook import load_codebook
from peninsula.comparer import NO_READING, Comparer
from peninsula.passage_html import highlight_mentions, paragraph_html, readable_text_colour
from peninsula.positions import load_positions
from peninsula.reader import Reader
from peninsula.texts import Paragraph

PARAGRAPH_IDS = re.compile(r'data-paragraph="(\w+)"')
VEGA_LITE = "application/vnd.vegalite.v5+json"


def shown_ids(html: str) -> list[str]:
    return PARAGRAPH_IDS.findall(html)


@pytest.fixture
def reader(corpus) -> Reader:
    return widgets.reader()


@pytest.fixture
def comparer(corpus) -> Comparer:
    return widgets.comparer()


def graded_issues() -> list[str]:
    open_issues = {issue for issue, _ in load_positions()}
    return [issue for issue in load_codebook().issues if issue not in open_issues]


# --- pure HTML builders -----------------------------------------------------------------------


def test_mentions_are_marked_in_their_actor_colour_after_escaping(corpus):
    html = highlight_mentions("Tokyo & <b>Seoul</b>")
    japan, rok = load_codebook().actors["JAPAN"], load_codebook().actors["ROK"]
    assert html.startswith(f'<mark data-actor="JAPAN" title="Japan" style="background:{japan.colour};')
    assert ">Tokyo<sup" in html and "&amp; &lt;b&gt;" in html and "&lt;/b&gt;" in html
    assert f'data-actor="ROK" title="South Korea" style="background:{rok.colour};' in html
    assert "<b>" not in html


def test_paragraph_html_marks_a_quote_in_its_paragraph_or_says_it_is_missing(corpus):
    t2 = corpus.paragraph("T2")
    html = paragraph_html(t2, quote="we’re all in this together")
    assert html.startswith('<p data-paragraph="T2"><b>[T2]</b> Whether the White House')
    assert re.search(r'<mark class="evidence"[^>]*>we’re all in this together</mark>', html)
    two = paragraph_html(t2, ["White House", "we’re all", "all in this"])  # the last two overlap
    assert re.findall(r'<mark class="evidence"[^>]*>([^<]*)</mark>', two) == [
        "White House",
        "we’re all",
        " in this",
    ]
    with pytest.raises(ValueError, match="paragraph T2 does not contain the quote 'not there'"):
        paragraph_html(t2, quote="not there")
    made_up = Paragraph("T99", "trivedi", 99, "a < b", 1)
    assert paragraph_html(made_up) == '<p data-paragraph="T99"><b>[T99]</b> a &lt; b</p>'


def test_text_on_each_actor_colour_is_black_or_white_for_contrast():
    assert readable_text_colour("#0072B2") == "#FFFFFF"
    assert readable_text_colour("#F0E442") == "#000000"


# --- reader -----------------------------------------------------------------------------------


def test_reader_shows_every_paragraph_with_ids_and_a_legend(reader, corpus):
    assert shown_ids(reader.view.value) == [p.id for p in corpus["trivedi"].paragraphs]
    assert "19 of 19 paragraphs of Atman Trivedi match" in reader.view.value
    for actor in load_codebook().actors.values():
        assert re.search(
            rf"background:{actor.colour};[^>]*>{actor.code}</mark> {re.escape(actor.name)}<",
            reader.legend.value,
        )


def test_reader_actor_filter_lists_and_marks_only_paragraphs_mentioning_the_actor(reader, corpus):
    reader.actor_choice.value = "JAPAN"
    expected = [
        p.id for p in corpus["trivedi"].paragraphs if re.search(r"\b(Japan|Japanese|Tokyo|Abe)\b", p.text)
    ]
    assert shown_ids(reader.view.value) == expected
    paragraphs = reader.view.value.split("<p data-paragraph=")[1:]
    assert all('data-actor="JAPAN"' in p for p in paragraphs)
    reader.text_choice.value = "cronin"  # Cronin never names Japan
    assert shown_ids(reader.view.value) == []
    assert "0 of 18 paragraphs of Patrick M. Cronin match" in reader.view.value
    assert "No paragraph matches" in reader.view.value


def test_reader_marks_what_the_search_found(reader):
    reader.search.value = "summit"
    assert reader.view.value.count('class="search-hit"') >= 2
    assert re.search(r'<mark class="search-hit"[^>]*>[Ss]ummit</mark>', reader.view.value)
    reader.search.value = "the South"  # inside an actor's mark: the mark gets the search's outline
    assert re.search(r'<mark data-actor="ROK" class="search-hit"[^>]*>[Tt]he South<sup', reader.view.value)


def test_mentions_mark_the_longest_alias_and_the_start_of_a_sentence():
    html = highlight_mentions("The South faces the North Korean nuclear threat, as the South knows.")
    marked = re.findall(r'data-actor="(\w+)"[^>]*>([^<]+)<sup', html)
    assert marked == [("ROK", "The South"), ("DPRK", "North Korean"), ("ROK", "the South")]


def test_reader_search_ignores_case_and_curly_quotes(reader):
    reader.search.value = "WE'RE ALL"
    assert shown_ids(reader.view.value) == ["T2"]
    reader.search.value = "no such phrase anywhere"
    assert shown_ids(reader.view.value) == []


def test_reader_issue_filter_uses_the_codebook_keywords(reader, corpus):
    codebook = load_codebook()
    reader.text_choice.value = "cronin"
    reader.issue_choice.value = "sanctions_pressure"
    expected = [
        p.id for p in corpus["cronin"].paragraphs if "sanctions_pressure" in codebook.issues_in(p.text)
    ]
    assert shown_ids(reader.view.value) == expected
    assert all(pid.startswith("C") for pid in expected) and expected


def test_reader_rejects_an_unknown_text(corpus):
    with pytest.raises(KeyError, match="unknown text id 'kim'"):
        widgets.reader("kim")


# --- comparer ---------------------------------------------------------------------------------


def test_comparer_shows_the_issue_and_both_authors_before_any_reading(comparer, corpus):
    comparer.issue_choice.value = "summit_diplomacy"
    proposition = escape(load_codebook().issues["summit_diplomacy"].proposition)
    assert proposition in comparer.proposition.value
    for text_id, panel in comparer.panels.items():
        assert corpus[text_id].author in panel.value and proposition in panel.value
        assert "Kit's reading" not in panel.value
    assert list(comparer.issue_choice.options) == [(i.name, i.id) for i in load_codebook().issues.values()]


def test_revealing_an_open_issue_shows_stance_summary_and_marked_evidence(comparer, corpus):
    comparer.issue_choice.value = "summit_diplomacy"
    comparer.student_stances["trivedi"].value = 1
    comparer.reveal_button.click()
    for text_id, panel in comparer.panels.items():
        position = load_positions()[("summit_diplomacy", text_id)]
        assert "Kit's reading" in panel.value
        assert load_codebook().stances[position.stance] in panel.value
        assert escape(position.summary) in panel.value
        for evidence in position.evidence:
            assert f'<p data-paragraph="{evidence.paragraph}"><b>[{evidence.paragraph}]</b>' in panel.value
            assert f">{escape(evidence.quote)}</mark>" in panel.value
    assert "Your reading (+1: leans toward the proposition) matches" in comparer.panels["trivedi"].value
    assert "You did not record a reading first" in comparer.panels["cronin"].value
    comparer.student_stances["cronin"].value = -2  # changing a reading after the reveal updates the panel
    assert "Your reading was -2: strongly against the proposition." in comparer.panels["cronin"].value


def test_changing_issue_keeps_each_issues_readings_and_reveal(comparer):
    first = comparer.issue
    comparer.student_stances["cronin"].value = 2
    comparer.reveal()
    comparer.issue_choice.value = "denuclearization_steps"
    assert not comparer.revealed
    assert all(choice.value == NO_READING for choice in comparer.student_stances.values())
    assert all("Kit's reading" not in panel.value for panel in comparer.panels.values())
    comparer.student_stances["trivedi"].value = -1
    comparer.issue_choice.value = first  # back: the reading and the reveal are still there
    assert comparer.revealed and comparer.student_stances["cronin"].value == 2
    assert comparer.student_stances["trivedi"].value == NO_READING
    assert "Kit's reading" in comparer.panels["cronin"].value
    comparer.issue_choice.value = "denuclearization_steps"
    assert comparer.student_stances["trivedi"].value == -1


def test_each_reading_menu_has_a_row_of_its_own_so_long_stances_are_not_cut(comparer, corpus):
    rows = [child for child in comparer.children if isinstance(child, ipywidgets.Dropdown)]
    assert rows[1:] == list(comparer.student_stances.values())
    for text in corpus:
        menu = comparer.student_stances[text.id]
        assert menu.description == f"{text.surname} reads" and menu.layout.width == "95%"


@pytest.mark.parametrize("issue", graded_issues())
def test_revealing_a_graded_issue_shows_only_that_it_is_graded(comparer, issue):
    comparer.issue_choice.value = issue
    comparer.reveal_button.click()
    labels = [label for label in load_codebook().stances.values()]
    for panel in comparer.panels.values():
        assert "graded in Assignment 2" in panel.value
        assert "Kit's reading" not in panel.value and "Evidence" not in panel.value
        assert not any(label in panel.value for label in labels)


def test_the_stance_map_beside_the_comparer_follows_the_issue(comparer):
    def highlighted() -> list[dict]:
        (output,) = comparer.stance_map_output.outputs
        return output["data"][VEGA_LITE]["params"][0]["value"]

    assert highlighted() == [{"issue": comparer.issue_choice.value}]
    comparer.issue_choice.value = "china_role"
    assert highlighted() == [{"issue": "china_role"}]


def test_the_stance_map_shows_a_stance_only_after_its_reveal(comparer):
    def map_stances() -> dict[tuple[str, str], str]:
        (output,) = comparer.stance_map_output.outputs
        rows = output["data"][VEGA_LITE]["data"]["values"]
        return {(row["issue"], row["author"]): row["stance"] for row in rows}

    comparer.issue_choice.value = "sanctions_pressure"
    assert set(map_stances().values()) <= {stances.NOT_REVEALED, stances.GRADED}
    comparer.reveal()
    revealed = map_stances()
    assert revealed[("sanctions_pressure", "Trivedi")] not in (stances.NOT_REVEALED, stances.GRADED)
    assert revealed[("summit_diplomacy", "Trivedi")] == stances.NOT_REVEALED
    assert revealed[("china_role", "Cronin")] == stances.GRADED
