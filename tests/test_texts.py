"""The texts loader: contents, lookups, error messages for broken files, $PENINSULA_TEXTS, the CLI."""

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from peninsula.paths import TEXTS_ENV, texts_dir
from peninsula.texts import TextFormatError, load_corpus

ROOT = Path(__file__).resolve().parents[1]


# --- contents -------------------------------------------------------------------------------------


def test_both_texts_load_with_sequential_paragraph_ids(corpus):
    assert [text.id for text in corpus] == ["trivedi", "cronin"]
    assert [p.id for p in corpus["trivedi"].paragraphs] == [f"T{n}" for n in range(1, 20)]
    assert [p.id for p in corpus["cronin"].paragraphs] == [f"C{n}" for n in range(1, 19)]


def test_paragraph_line_points_at_its_id_in_the_file(corpus):
    for text in corpus:
        lines = text.path.read_text(encoding="utf-8").split("\n")
        for p in text.paragraphs:
            assert lines[p.line - 1] == f"[{p.id}] {p.text}"


def test_trivedi_metadata(corpus):
    trivedi = corpus["trivedi"]
    assert trivedi.author == "Atman Trivedi"
    assert "Will the White House stand by South Korea and Japan?" in trivedi.title
    assert trivedi.subtitle is None
    assert (trivedi.series, trivedi.number) == ("PacNet", 28)
    assert trivedi.outlet.startswith("Pacific Forum")
    assert (trivedi.date.precision, trivedi.date.iso) == ("month", "2018-04")
    assert str(trivedi.date) == "April 2018"
    assert "PacNet #28" in trivedi.citation


def test_cronin_metadata(corpus):
    cronin = corpus["cronin"]
    assert cronin.author == "Patrick M. Cronin"
    assert cronin.title == "Give Peace With North Korea a Chance, but Remember Plan B"
    assert cronin.subtitle == "Diplomacy is working—for now."
    assert (cronin.series, cronin.number) == (None, None)
    assert cronin.outlet == "Foreign Policy"
    assert cronin.date.value == dt.date(2019, 1, 14)
    assert (cronin.date.precision, cronin.date.iso) == ("day", "2019-01-14")
    assert str(cronin.date) == "14 January 2019"


@pytest.mark.parametrize("text_id", ["trivedi", "cronin"])
def test_every_required_metadata_field_is_there(corpus, text_id):
    text = corpus[text_id]
    for field in ("id", "title", "author", "affiliation", "bio", "outlet", "url", "rights"):
        value = getattr(text, field)
        assert isinstance(value, str) and value.strip(), field
    for field in ("subtitle", "series", "number", "date_note"):  # present, may be None
        assert hasattr(text, field), field
    assert (text.series is None) == (text.number is None)
    assert text.date.precision in ("day", "month")
    assert text.url.startswith("https://")


# --- cleaning -------------------------------------------------------------------------------------


def test_curly_quotes_and_dashes_are_kept(corpus):
    trivedi, cronin = (" ".join(p.text for p in text.paragraphs) for text in corpus)
    for char in "’“”–":
        assert char in trivedi, char
    for char in "’“”—":
        assert char in cronin, char
    assert "the “maximum pressure” policy" in corpus.paragraph("T2").text


@pytest.mark.parametrize(
    "boilerplate",
    ["Twitter", "@", "More from Foreign Policy", "Click here", "[email", "PacNet commentaries and responses"],
)
def test_no_paragraph_contains_web_boilerplate(corpus, boilerplate):
    assert [p.id for p in corpus.paragraphs() if boilerplate in p.text] == []


def test_no_paragraph_contains_an_author_bio(corpus):
    for text in corpus:
        assert text.bio not in " ".join(p.text for p in text.paragraphs)
    assert not corpus.find_quote("is a managing director at Hills & Company")
    assert not corpus.find_quote("is the chair for Asia-Pacific security")


def test_cronin_duplicated_first_paragraph_appears_once(corpus):
    cronin = corpus["cronin"]
    first = cronin.paragraph("C1").text
    assert [p.id for p in cronin.paragraphs if p.text == first] == ["C1"]
    assert [m.paragraph.id for m in corpus.find_quote(first[:60])] == ["C1"]
    assert not any(p.text in (cronin.title, cronin.subtitle) for p in cronin.paragraphs)


# --- lookups --------------------------------------------------------------------------------------


def test_paragraph_lookups(corpus):
    assert corpus.paragraph("T13").text.startswith("While Washington is still abuzz")
    c13 = corpus["cronin"].paragraph("C13")
    assert (c13.id, c13.text_id, c13.number) == ("C13", "cronin", 13)
    assert str(c13).startswith("[C13] First, Trump and South Korean President Moon Jae-in")
    assert corpus.paragraph("C13") is c13


def test_find_quote_returns_the_paragraph_and_position(corpus):
    quote = "faux peace without real denuclearization"
    [match] = corpus.find_quote(quote)
    assert match.paragraph.id == "C1"
    assert match.paragraph.text[match.start : match.end] == quote
    assert [m.paragraph.id for m in corpus.find_quote("the “maximum pressure” policy")] == ["T2"]
    assert corpus.find_quote(quote, text_id="trivedi") == []
    assert corpus.find_quote("not a sentence in either text") == []


def key_error_message(lookup) -> str:
    with pytest.raises(KeyError) as caught:
        lookup()
    return caught.value.args[0]


def test_unknown_paragraph_id_raises_a_readable_key_error(corpus):
    message = key_error_message(lambda: corpus.paragraph("T99"))
    assert message == "Atman Trivedi has no paragraph 'T99'; ids run from T1 to T19"
    message = key_error_message(lambda: corpus["cronin"].paragraph("C0"))
    assert message == "Patrick M. Cronin has no paragraph 'C0'; ids run from C1 to C18"
    message = key_error_message(lambda: corpus.paragraph("X1"))
    assert message == "'X1' is not a paragraph id: ids start with T (Atman Trivedi) or C (Patrick M. Cronin)"


def test_unknown_text_id_raises_a_readable_key_error(corpus):
    message = key_error_message(lambda: corpus["bogus"])
    assert message == "unknown text id 'bogus'; use one of trivedi, cronin"
    assert key_error_message(lambda: corpus.find_quote("war", text_id="bogus")) == message


# --- malformed files ------------------------------------------------------------------------------


def drop(line):
    return None


def sub(old, new):
    return lambda line: line.replace(old, new, 1)


def put(new):
    return lambda line: new


# Each case edits the first line after line 1 that starts with `prefix`. The error must name the file
# and either that edited line ("edited") or line 1, where the metadata opens ("opening").
MALFORMED = [
    pytest.param("cronin.md", "url:", drop, "opening", "metadata field 'url' is missing", id="missing-field"),
    pytest.param(
        "trivedi.md", "affiliation:", sub("affiliation", "afiliation"), "edited",
        "unknown metadata field 'afiliation'; did you mean 'affiliation'?", id="typo-field",
    ),
    pytest.param(
        "trivedi.md", "author:", put("author: ''"), "edited", "metadata field 'author' is empty",
        id="empty-field",
    ),
    pytest.param(
        "cronin.md", "[C6]", sub("[C6]", "[C5]"), "edited", "duplicate paragraph id C5 (first on line",
        id="duplicate-id",
    ),
    pytest.param("trivedi.md", "[T7]", put("[T7]"), "edited", "paragraph T7 is empty", id="empty-paragraph"),
    pytest.param(
        "trivedi.md", "date:", put("date: 2018-13"), "edited",
        "bad date '2018-13': with date_precision 'month' write a real date as YYYY-MM", id="bad-month",
    ),
    pytest.param(
        "cronin.md", "date:", put("date: 2019-02-30"), "edited",
        "bad date '2019-02-30': with date_precision 'day' write a real date as YYYY-MM-DD",
        id="impossible-day-unquoted",
    ),
    pytest.param(
        "trivedi.md", "date:", put("date: 2018-04-20"), "edited",
        "bad date '2018-04-20': with date_precision 'month'", id="day-date-with-month-precision",
    ),
    pytest.param(
        "cronin.md", "date:", put("date: 2019-01"), "edited",
        "bad date '2019-01': with date_precision 'day' write a real date as YYYY-MM-DD",
        id="month-date-with-day-precision",
    ),
    pytest.param(
        "cronin.md", "date_precision:", put("date_precision: week"), "edited",
        "date_precision must be 'day' or 'month', not 'week'", id="bad-precision",
    ),
    pytest.param(
        "trivedi.md", "id:", put("id: trivedy"), "edited",
        "unknown text id 'trivedy'; the kit knows trivedi, cronin", id="unknown-text-id",
    ),
    pytest.param(
        "trivedi.md", "id:", put("id: cronin"), "edited", "id 'cronin' must match the file name",
        id="id-not-file-name",
    ),
    pytest.param(
        "cronin.md", "[C4]", sub("[C4] ", ""), "edited", "paragraph without an id: start it with [C4]",
        id="paragraph-without-id",
    ),
    pytest.param(
        "trivedi.md", "[T10]", sub("[T10]", "[T11]"), "edited",
        "paragraph id 'T11' is out of sequence: expected T10", id="out-of-sequence",
    ),
    pytest.param(
        "trivedi.md", "[T5]", sub("[T5]", "[C5]"), "edited",
        "paragraph id 'C5' must be T and a number",
        id="wrong-prefix",
    ),
    pytest.param(
        "cronin.md", "date_note:", put("date: 2019-01-15"), "edited",
        "metadata field 'date' appears twice (first on line", id="duplicate-field",
    ),
    pytest.param(
        "cronin.md", "---", drop, "opening", "the metadata block is never closed by a '---' line",
        id="unclosed-metadata",
    ),
    pytest.param(
        "trivedi.md", "author:", put("author: Atman: Trivedi"), "edited",
        "the metadata is not valid YAML: mapping values are not allowed here",
        id="invalid-yaml",
    ),
]


@pytest.mark.parametrize(("file", "prefix", "edit", "where", "phrase"), MALFORMED)
def test_malformed_file_names_file_line_and_problem(text_copy, file, prefix, edit, where, phrase):
    path = text_copy / file
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(i for i in range(1, len(lines)) if lines[i].startswith(prefix))
    new_line = edit(lines[index])
    if new_line is None:
        del lines[index]
    else:
        lines[index] = new_line
    path.write_text("\n".join(lines), encoding="utf-8")
    line = index + 1 if where == "edited" else 1

    with pytest.raises(TextFormatError) as caught:
        load_corpus(text_copy)

    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert phrase in message
    assert (caught.value.path, caught.value.line) == (path, line)


def test_missing_text_file_is_named(text_copy):
    (text_copy / "cronin.md").unlink()
    with pytest.raises(TextFormatError) as caught:
        load_corpus(text_copy)
    assert str(caught.value) == f"{text_copy / 'cronin.md'}: missing: the kit needs the text 'cronin' here"


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder of texts"):
        load_corpus(tmp_path / "nowhere")


# --- $PENINSULA_TEXTS -----------------------------------------------------------------------------


def test_env_var_points_the_loader_at_another_folder(corpus, text_copy, monkeypatch):
    path = text_copy / "trivedi.md"
    edited = path.read_text(encoding="utf-8").replace("[T1] In his", "[T1] EDITED In his")
    path.write_text(edited, encoding="utf-8")
    monkeypatch.setenv(TEXTS_ENV, str(text_copy))

    assert texts_dir() == text_copy
    copy = load_corpus()
    assert copy["trivedi"].path == path
    assert copy.paragraph("T1").text.startswith("EDITED In his Senate confirmation hearing")
    assert corpus.paragraph("T1").text.startswith("In his Senate confirmation hearing")


# --- the command line -----------------------------------------------------------------------------

PENINSULA = Path(sys.executable).parent / "peninsula"


def run(args, tmp_path, **env):
    """Run a real entry point from an unrelated folder, without the caller's $PENINSULA_TEXTS."""
    environ = {k: v for k, v in os.environ.items() if k != TEXTS_ENV} | env
    return subprocess.run(args, cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    "command", [[str(PENINSULA)], [sys.executable, "-m", "peninsula"]], ids=["script", "python-m"]
)
def test_help(command, tmp_path):
    result = run([*command, "--help"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "texts" in result.stdout


def test_cli_prints_one_text_with_paragraph_ids(tmp_path):
    result = run([str(PENINSULA), "texts", "cronin"], tmp_path, **{TEXTS_ENV: str(ROOT / "source_texts")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Patrick M. Cronin, “Give Peace With North Korea a Chance")
    assert "[C1] The Korean Peninsula is no longer on the brink of war" in result.stdout
    assert "[C18]" in result.stdout and "[T1]" not in result.stdout


def test_cli_lists_both_texts_found_next_to_the_lessons(tmp_path):
    """A student's folder (nbgitpuller, a hub's shared folder, an LMS download): the texts sit beside
    the lessons, and the kernel runs in the lessons' folder."""
    shutil.copytree(ROOT / "source_texts", tmp_path / "source_texts")
    (tmp_path / "notebooks").mkdir()
    result = run([sys.executable, "-m", "peninsula", "texts"], tmp_path / "notebooks")
    assert result.returncode == 0, result.stderr
    assert "19 paragraphs" in result.stdout and "18 paragraphs" in result.stdout


def test_without_texts_the_message_says_what_to_do(tmp_path):
    result = run([str(PENINSULA), "texts"], tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "The lesson texts were not found" in result.stderr and TEXTS_ENV in result.stderr


def test_cli_unknown_text_exits_2_with_a_message(tmp_path):
    result = run([str(PENINSULA), "texts", "bogus"], tmp_path, **{TEXTS_ENV: str(ROOT / "source_texts")})
    assert result.returncode == 2
    assert result.stdout == ""
    assert "peninsula texts: unknown text id 'bogus'; use one of trivedi, cronin" in result.stderr


def test_cli_broken_text_exits_2_naming_file_and_line(text_copy, tmp_path):
    path = text_copy / "cronin.md"
    path.write_text(path.read_text(encoding="utf-8").replace("[C3] ", ""), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").split("\n")
    line = next(n for n, text in enumerate(lines, start=1) if text.startswith("For the moment"))
    result = run([str(PENINSULA), "texts"], tmp_path, **{TEXTS_ENV: str(text_copy)})
    assert result.returncode == 2
    assert f"{path}:{line}: paragraph without an id" in result.stderr
    assert "Traceback" not in result.stderr
