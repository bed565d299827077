"""Agreement between coders: the student-safe arithmetic on a hand-worked panel, and the class's α on
a real demo class (its submitted notebooks, read the way the grader reads them) against the
`krippendorff` package called directly."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import krippendorff
import numpy as np
import pytest

from peninsula import reliability
from peninsula.codebook import load_codebook
from peninsula.grader.agreement import agreement_charts, class_agreement, summary_html
from peninsula.grader.demo import trap_item
from peninsula.grader.integrity import submitted_class

ROOT = Path(__file__).parents[1]
BIN = Path(sys.executable).parent
A1 = "who_must_act"


def demo_course(folder: Path, students: int = 30) -> Path:
    """A copy of the course with a demo class in submitted/ (not graded: nothing here needs grades)."""
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    shutil.copytree(ROOT / "course", folder / "course")
    shutil.copytree(ROOT / "source_texts", folder / "source_texts")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run([BIN / "peninsula", "demo-class", A1, "--students", str(students), "--course", folder],
                   cwd=folder, env=env, check=True, capture_output=True, timeout=600)
    return folder


@pytest.fixture(scope="module")
def demo_class(tmp_path_factory):
    course = demo_course(tmp_path_factory.mktemp("agreement") / "course")
    from peninsula.grader.course import Course

    return submitted_class(Course(course), A1)


# --- the arithmetic, by hand -----------------------------------------------------------------


def hand_panel() -> reliability.Panel:
    """Three coders, four units; coder 3 left unit 2 blank and only coder 1 coded unit 4."""
    return reliability.from_codings(
        {
            "coder 1": {"u1": "a", "u2": "a", "u3": "b", "u4": "a"},
            "coder 2": {"u1": "a", "u2": "b", "u3": "b", "u4": None},
            "coder 3": {"u1": "a", "u2": None, "u3": "b", "u4": None},
        },
        "hand-worked",
    )


def test_alpha_matches_a_hand_worked_example():
    # Unit 4 has one code, so it cannot be compared: 8 pairable codes remain, 4 "a" and 4 "b".
    # Percent agreement: each code against the other codes of its unit, averaged over the 8 codes:
    #   u1: three a's, each agrees with both others -> 3; u2: a vs b -> 0; u3: three b's -> 3. 6/8 = 0.75.
    # Chance agreement: two of the 8 codes drawn at random match: (4*3 + 4*3) / (8*7) = 3/7.
    # alpha = (0.75 - 3/7) / (1 - 3/7) = (9/28) / (16/28) = 9/16 = 0.5625.
    panel = hand_panel()
    assert reliability.percent_agreement(panel) == pytest.approx(0.75)
    assert reliability.chance_agreement(panel) == pytest.approx(3 / 7)
    assert reliability.alpha(panel) == pytest.approx(9 / 16)


def test_alpha_is_chance_corrected_percent_agreement_and_the_package_agrees():
    panel = hand_panel()
    observed, chance = reliability.percent_agreement(panel), reliability.chance_agreement(panel)
    assert reliability.alpha(panel) == pytest.approx((observed - chance) / (1 - chance))
    data = [[0, 0, 1, 0], [0, 1, 1, np.nan], [0, np.nan, 1, np.nan]]  # the same panel, a=0 and b=1
    assert reliability.alpha(panel) == pytest.approx(krippendorff.alpha(data, level_of_measurement="nominal"))


def test_nominal_is_used_not_the_packages_interval_default():
    stances = reliability.from_codings(
        {"coder 1": {"u1": -2, "u2": 0, "u3": 2, "u4": 1}, "coder 2": {"u1": -1, "u2": 0, "u3": 2, "u4": -2}},
        "stances",
    )
    data = [[-2, 0, 2, 1], [-1, 0, 2, -2]]
    nominal = krippendorff.alpha(data, level_of_measurement="nominal")
    assert reliability.alpha(stances) == pytest.approx(nominal)
    assert not math.isclose(nominal, krippendorff.alpha(data))  # the package's default level differs


def test_alpha_is_undefined_without_variation_or_pairs():
    same = reliability.from_codings({"a": {"u1": "x", "u2": "x"}, "b": {"u1": "x", "u2": "x"}}, "same")
    alone = reliability.from_codings({"a": {"u1": "x", "u2": "y"}, "b": {"u1": None, "u2": None}}, "alone")
    assert math.isnan(reliability.alpha(same)) and math.isnan(reliability.alpha(alone))
    assert "undefined" in reliability.show_summary(same).data


def test_a_panel_survives_its_file_format(tmp_path):
    panel = reliability.from_codings({"a": {"u1": "yes", "u2": 1, "u3": ""}, "b": {"u1": "no", "u2": 1}}, "t: 1")
    path = tmp_path / "panel.yaml"
    path.write_text(reliability.panel_yaml(panel, "a header"), encoding="utf-8")
    loaded = reliability.load_panel(path)
    assert loaded.title == "t: 1" and loaded.coders == 2
    assert [(u.id, dict(u.counts), u.uncoded) for u in loaded.units] == [
        ("u1", {"yes": 1, "no": 1}, 0), ("u2", {1: 2}, 0), ("u3", {}, 2)
    ]
    path.write_text("title: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a panel of codings"):
        reliability.load_panel(path)


# --- the demo class --------------------------------------------------------------------------


def reliability_matrix(data) -> tuple[np.ndarray, list[str]]:
    """Students x units, built here from the answers without the kit's panel code: 1 if the student
    named the actor, 0 if not, NaN for no usable answer. Column names are "item actor"."""
    actors = list(load_codebook().actors)
    students = [s for s, a in data.answers.items() if any(v is not None for v in a.values())]
    columns = [f"{item.id} {actor}" for item in data.items for actor in actors]
    rows = [[np.nan if data.answers[s][item.id] is None else float(actor in data.answers[s][item.id])
             for item in data.items for actor in actors] for s in students]
    return np.array(rows), columns


def test_the_class_alpha_matches_the_krippendorff_package_on_the_demo_class(demo_class):
    result = class_agreement(demo_class, resamples=50)
    matrix, columns = reliability_matrix(demo_class)
    assert result.coders == matrix.shape[0] >= 25 and result.units == matrix.shape[1] == 6 * len(demo_class.items)
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert result.alpha == pytest.approx(expected)
    for item in result.items:
        mine = [i for i, c in enumerate(columns) if c.split(" ")[0] == item.item]
        assert item.alpha == pytest.approx(
            krippendorff.alpha(reliability_data=matrix[:, mine], level_of_measurement="nominal")
        ), item.item
    assert 0 < result.chance < result.percent < 1 and 0 < result.alpha < 1


def test_intervals_hold_the_estimates(demo_class):
    result = class_agreement(demo_class, resamples=200)
    assert result.low <= result.alpha <= result.high and result.high - result.low < 0.3
    for item in result.items:
        assert -1 <= item.low <= item.high <= 1, item.item
    assert class_agreement(demo_class, resamples=200).low == result.low  # seeded: the report is reproducible


def test_the_planted_shared_trap_is_the_item_worth_a_second_look(demo_class):
    result = class_agreement(demo_class, resamples=20)
    assert [i.item for i in result.items if i.converged_off_key] == [trap_item(demo_class.items).id]


def test_the_report_section_and_its_two_charts(demo_class):
    result = class_agreement(demo_class, resamples=20)
    charts = agreement_charts(result)
    assert set(charts) == {"agrees_off_key", "alpha_per_item"}
    specs = {name: chart.to_dict() for name, chart in charts.items()}
    assert "agrees with itself but not with the key" in specs["agrees_off_key"]["title"]
    assert "disagrees with itself" in specs["alpha_per_item"]["title"]
    page = summary_html(result)
    assert f"{result.alpha:.2f}" in page and "yes/no unit per actor" in page
    assert trap_item(demo_class.items).id in page


@pytest.mark.parametrize("size", [0, 1])
def test_a_class_of_one_is_told_alpha_needs_two_coders_with_no_empty_chart(demo_class, size):
    usable = [(s, a) for s, a in demo_class.answers.items() if any(v is not None for v in a.values())]
    one = type(demo_class)(A1, {}, 0.0, demo_class.items, dict(usable[:size]))
    result = class_agreement(one)
    assert result.coders == size and agreement_charts(result) == {}
    page = summary_html(result)
    assert "α needs at least 2 coders" in page
    assert f"{size} graded submission" in page
    assert "α = —" not in page and "Least agreement: ." not in page


def test_the_lessons_arithmetic_is_student_safe():
    code = "import sys, peninsula.reliability; print([m for m in sys.modules if m.startswith('peninsula.grader')])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]"
