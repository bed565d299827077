"""The codebook: actor codes and aliases, issues, rules, and mentions derived from the texts."""

import pytest

from peninsula.codebook import load_codebook

ACTOR_CODES = ["US", "CONGRESS", "ROK", "JAPAN", "DPRK", "CHINA"]


@pytest.fixture(scope="module")
def codebook():
    return load_codebook()


def test_six_actor_codes_each_with_a_name_and_aliases(codebook):
    assert list(codebook.actors) == ACTOR_CODES
    for actor in codebook.actors.values():
        assert actor.name and actor.covers and actor.aliases


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("South Korea", "ROK"), ("SEOUL", "ROK"), ("moon", "ROK"), ("the Blue House", "ROK"),
        ("Pyongyang", "DPRK"), ("kim", "DPRK"), ("Trump", "US"), ("white house", "US"), ("U.S.", "US"),
        ("  the   US ", "US"), ("us", "US"), ("Congress", "CONGRESS"), ("Abe", "JAPAN"), ("beijing", "CHINA"),
        ("rok", "ROK"), ("North Korea", "DPRK"),
    ],
)
def test_any_alias_resolves_in_any_case(codebook, typed, code):
    assert codebook.resolve_actor(typed) == code


def test_typos_are_not_resolved_but_suggested(codebook):
    assert codebook.resolve_actor("Soth Korea") is None
    assert codebook.suggest_actor("Soth Korea").name == "South Korea"
    assert codebook.suggest_actor("Japn").code == "JAPAN"
    assert codebook.suggest_actor("zzzz") is None


def test_ten_issues_each_with_a_proposition(codebook):
    assert len(codebook.issues) == 10
    for issue in codebook.issues.values():
        assert issue.name and issue.proposition.endswith(".") and issue.keywords


def test_stance_scale_and_rules_for_students(codebook):
    assert set(codebook.stances) == {-2, -1, 0, 1, 2, "not addressed"}
    titles = " ".join(rule.title for rule in codebook.rules).lower()
    for topic in ("recommendation", "actor", "passive", "condition"):
        assert topic in titles


def test_mentions_are_found_in_the_text_by_alias(codebook, corpus):
    t8 = corpus.paragraph("T8").text
    found = {(m.code, t8[m.start : m.end]) for m in codebook.mentions(t8)}
    assert {("JAPAN", "Japan"), ("JAPAN", "Prime Minister Abe"), ("US", "Trump"), ("DPRK", "the North")} <= found


def test_longest_alias_wins(codebook):
    text = "North Korean officials met South Korean envoys."
    assert [(m.code, text[m.start : m.end]) for m in codebook.mentions(text)] == [
        ("DPRK", "North Korean"), ("ROK", "South Korean"),
    ]


def test_mention_counts_are_derived_from_the_paragraphs(codebook, corpus):
    for text in corpus:
        counts = codebook.mention_counts(text)
        per_paragraph = sum(len(codebook.mentions(p.text)) for p in text.paragraphs)
        assert sum(counts.values()) == per_paragraph
        assert counts["US"] > 0 and counts["DPRK"] > 0 and counts["ROK"] > 0


def test_issue_keywords_tag_paragraphs(codebook, corpus):
    assert "abductees_hostages" in codebook.issues_in(corpus.paragraph("T14").text)
    assert "china_role" in codebook.issues_in(corpus.paragraph("C8").text)
