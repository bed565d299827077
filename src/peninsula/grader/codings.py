"""What leaves the course folder for Lesson 5: the class's codings.

**`peninsula export-codings`** writes the class as a panel of coders (`peninsula.reliability`'s
file format) that students may see. It holds no names, no student ids and no item ids: every unit
is one actor decision on one item (or one answer to a non-actor item), the units are shuffled and
numbered afresh at every export, and each keeps only how many students gave each code, so no
student's row exists to trace. Nothing from the key is in it: no answers, no credit, no verdicts
(less than each student's feedback already returned). The file is screened with
`peninsula.grader.leaks` before it is written.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

from peninsula.grader.agreement import class_panel
from peninsula.grader.class_data import ClassData, load_class
from peninsula.grader.course import Course, PipelineError
from peninsula.grader.leaks import leaks_in_text
from peninsula.reliability import CLASS_PANEL_FILE, Panel, panel_yaml

#: Fewer coders than this and the counts would let students work out each other's answers.
MIN_CODERS = 5
CODINGS_HEADER = """\
A class panel of codings for Lesson 5 ("How reliable is our coding?"), written by
`peninsula export-codings`. Each unit is one decision: for a recommendation, whether an actor
must act (1) or not (0); for other items, the answer given. "counts" says how many students gave
each code and "uncoded" how many gave no usable answer. There are no names, no student ids and no
item ids: units are shuffled and numbered afresh at every export, and no student's row exists.
Put this file next to the lessons as class_codings.yaml; Lesson 5 finds it there."""


def anonymous_panel(data: ClassData, rng: random.Random, title: str, note: str = "") -> Panel:
    """The class panel with its units shuffled and renumbered, so nothing ties a unit to an item."""
    panel = class_panel(data)
    if panel.coders < MIN_CODERS:
        raise PipelineError(
            f"only {panel.coders} submission(s) with readable answers; an export needs at least "
            f"{MIN_CODERS}, so that no student's answers can be worked out from it"
        )
    units = list(panel.units)
    rng.shuffle(units)
    numbered = tuple(replace(unit, id=f"u{n:03d}") for n, unit in enumerate(units, 1))
    return Panel(title, numbered, panel.coders, note)


def write_codings(course: Course, data: ClassData, target: Path, rng: random.Random, title: str,
                  note: str = "") -> Path:
    """Write the anonymous panel, refusing if the leak screen finds anything from the key in it."""
    text = panel_yaml(anonymous_panel(data, rng, title, note), CODINGS_HEADER)
    found = leaks_in_text(text, key_file=course.key_file)
    if found:
        raise PipelineError(f"the codings export would hold answer key material; not written: {found}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def export_codings(course: Course, assignment: str, out: Path | None = None) -> tuple[Path, dict[str, str]]:
    """The graded class's codings, shuffled with the system's randomness (so not reproducible); returns
    the file and the submissions left out because their answers could not be read, with the reason."""
    target = out or course.folder("exports", CLASS_PANEL_FILE)
    data = load_class(course, assignment)
    written = write_codings(course, data, target, random.SystemRandom(), f"Our class: {assignment}")
    return written, data.skipped


def write_demo_panel(course: Course, assignment: str, target: Path, seed: int, size: int) -> Path:
    """The demo class's codings, read from submitted/, as the synthetic panel the kit ships."""
    from peninsula.grader.integrity import submitted_class

    command = f"peninsula demo-class {assignment} --students {size} --seed {seed}"
    note = f"Synthetic students made by `{command}`, not a real class."
    return write_codings(course, submitted_class(course, assignment), target, random.Random(seed),
                         f"Demo class: {assignment}", note)
