"""The reader and the comparer respond to their controls in a real browser, through a real kernel."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from peninsula.codebook import load_codebook
from peninsula.texts import load_corpus

FIRST_ISSUE, OTHER_ISSUE = "sanctions_pressure", "summit_diplomacy"
ACTOR = "JAPAN"
CELLS = (f'from peninsula import widgets\nwidgets.comparer("{FIRST_ISSUE}")', 'widgets.reader("trivedi")')
# The text of each comparer panel: each author's panel starts with a heading naming the author.
PANEL_TEXTS = "cell => [...cell.querySelectorAll('.widget-html-content h3')].map(h => h.parentElement.innerText)"
MARKED_ACTORS = "cell => [...new Set([...cell.querySelectorAll('mark[data-actor]')].map(m => m.dataset.actor))]"


@pytest.fixture
def widget_cells(lab_page, lab):
    """The scratch notebook, run: (the comparer's cell, the reader's cell) as Playwright locators."""
    lab_page.open(lab.path(lab.scratch_notebook("widgets", *CELLS)))
    lab_page.run_all_and_wait()
    lab_page.assert_no_error_outputs()
    cells = lab_page.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell")
    comparer, reader = cells.nth(0), cells.nth(1)
    expect(comparer.locator(".widget-html-content h3")).to_have_count(2, timeout=30_000)
    expect(reader.locator("p[data-paragraph]").first).to_be_visible(timeout=30_000)
    yield comparer, reader
    lab_page.close_notebook()


def dropdown(cell, label: str):
    label = cell.page.locator("label.widget-label", has_text=label)  # `has` takes a locator relative to each match
    return cell.locator(".widget-dropdown", has=label).locator("select")


def test_choosing_an_issue_changes_both_authors_panels(lab_page, widget_cells):
    comparer, _reader = widget_cells
    issues, authors = load_codebook().issues, [text.author for text in load_corpus()]
    lab_page.screenshot("comparer-before")
    before = comparer.evaluate(PANEL_TEXTS)
    assert len(before) == 2
    for author, panel in zip(authors, before, strict=True):
        assert author in panel and issues[FIRST_ISSUE].proposition in panel

    dropdown(comparer, "Issue").select_option(label=issues[OTHER_ISSUE].name)
    panels = comparer.locator(".widget-html-content", has=comparer.page.locator("h3"))
    for index, author in enumerate(authors):
        expect(panels.nth(index)).to_contain_text(issues[OTHER_ISSUE].proposition, timeout=15_000)
        expect(panels.nth(index)).to_contain_text(author)
    lab_page.screenshot("comparer-after")
    assert all(issues[FIRST_ISSUE].proposition not in panel for panel in comparer.evaluate(PANEL_TEXTS))
    lab_page.assert_no_error_outputs()
    assert lab_page.outside_requests == []


def test_choosing_an_actor_changes_the_reader_highlighting(lab_page, widget_cells):
    _comparer, reader = widget_cells
    actor = load_codebook().actors[ACTOR]
    reader.scroll_into_view_if_needed()
    lab_page.screenshot("reader-before")
    paragraphs_before = reader.locator("p[data-paragraph]").count()
    actors_before = set(reader.evaluate(MARKED_ACTORS))
    assert len(actors_before) > 1, "the reader should highlight several actors before any filter"

    dropdown(reader, "Actor").select_option(label=f"{actor.name} ({actor.code})")
    shown = reader.locator("p[data-paragraph]")
    expect(shown).not_to_have_count(paragraphs_before, timeout=15_000)
    lab_page.screenshot("reader-after")
    actors_after = set(reader.evaluate(MARKED_ACTORS))
    assert actors_after != actors_before and ACTOR in actors_after
    assert 0 < shown.count() < paragraphs_before
    for index in range(shown.count()):  # every paragraph left names the chosen actor, highlighted
        expect(shown.nth(index).locator(f'mark[data-actor="{ACTOR}"]').first).to_be_visible()
    lab_page.assert_no_error_outputs()
    assert lab_page.outside_requests == []
