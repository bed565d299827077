"""`peninsula demo-class`: a synthetic class in submitted/, to rehearse the whole cycle before term.

Students answer from the release notebook, each with their own accuracy: right, partly right,
wrong, misspelt, or blank. A few submissions are broken the ways real ones break, and a few
students on the roster submit nothing. Instructor-only: it reads the answer key.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from peninsula.answers import PLAN_BRANCHES, STANCE_VALUES, authors
from peninsula.codebook import NOT_ADDRESSED, load_codebook
from peninsula.grader.course import Course, PipelineError
from peninsula.grader.key import Item, load_items

#: Ways a real submission breaks, and what the demo does to the notebook to imitate each.
BROKEN_KINDS = ("invalid JSON", "deleted cells", "renamed notebook", "infinite loop", "stderr noise",
                "edited tests")  # fmt: skip
MISSING_EVERY = 15  # one roster student in this many never submits
WRITTEN_ANSWER = (
    "I chose this item because its actor is hard to pin down. Reading the paragraph around it, I think "
    "the government that has to act is not the one named first in the sentence, because the sentence "
    "only describes what that country wants. (A demo answer, written by `peninsula demo-class`.)"
)
TIMESTAMP = "2026-09-{day:02d} 12:{minute:02d}:00.000000 UTC"


@dataclass(frozen=True)
class DemoStudent:
    student_id: str
    accuracy: float
    broken: str | None  # one of BROKEN_KINDS, or None
    submits: bool


def plan_class(size: int, seed: int = 0) -> list[DemoStudent]:
    """Who is in the class: accuracies spread over a realistic range, one of each broken kind
    (when the class is large enough), and a few students who never submit."""
    rng = random.Random(seed)
    students = []
    for number in range(1, size + 1):
        broken = BROKEN_KINDS[number - 1] if number <= len(BROKEN_KINDS) and size >= 12 else None
        submits = number % MISSING_EVERY != 0
        accuracy = min(0.98, max(0.2, rng.gauss(0.7, 0.15)))
        students.append(DemoStudent(f"demo{number:03d}", round(accuracy, 2), broken, submits))
    return students


def answer_for(item: Item, accuracy: float, rng: random.Random) -> object:
    """One student's answer to one item: right with probability `accuracy`, otherwise a plausible slip."""
    codebook = load_codebook()
    right = item.full_credit[0]
    roll = rng.random()
    kind = item.id[0]
    if roll < 0.03:
        return ""
    if kind == "R":
        names = [codebook.actors[c].name for c in sorted(right)]
        if roll < accuracy:
            return ", ".join(names)
        if roll < accuracy + (1 - accuracy) / 2:  # partly right: one actor too many or too few
            extra = rng.choice([c for c in codebook.actors if c not in right])
            partial = names[:-1] if len(names) > 1 else [*names, codebook.actors[extra].name]
            return ", ".join(partial)
        if rng.random() < 0.15:  # a typo the format check would have caught
            return names[0][:-1] + "x"
        return codebook.actors[rng.choice([c for c in codebook.actors if c not in right])].name
    if roll < accuracy:
        return authors().get(right, right) if kind == "A" else right
    if kind == "A":
        return next(name for key, name in authors().items() if key != right)
    if kind == "S":
        if right == NOT_ADDRESSED:
            return rng.choice(STANCE_VALUES)
        near = [s for s in (right - 1, right + 1) if s in STANCE_VALUES]
        return rng.choice(near)
    if kind == "P":
        return rng.choice([b for b in PLAN_BRANCHES if b != right])
    return rng.choice(["T1", "T9", "C2", "C11"])  # E: a paragraph that supports nothing


def fill_answers(source: str, answers: dict[str, object]) -> str:
    """Type each answer between the quotes after its id in the answer cell's source."""
    for item_id, value in answers.items():
        source = re.sub(rf'("{item_id}":\s*)""', lambda m, v=value: m.group(1) + json.dumps(v), source)
    return source


def break_notebook(notebook: dict, kind: str) -> dict | str:
    """Damage a filled-in notebook the way `kind` describes. A string return is raw file text."""
    cells = notebook["cells"]
    if kind == "deleted cells":
        notebook["cells"] = [c for c in cells if not c["metadata"].get("nbgrader", {}).get("grade")]
    elif kind == "infinite loop":
        cells.append(_code_cell("while True:  # waiting for inspiration\n    pass"))
    elif kind == "stderr noise":
        cells.insert(1, _code_cell('import sys\nprint("debugging my answers", file=sys.stderr)'))
    elif kind == "edited tests":
        for cell in cells:
            if cell["metadata"].get("nbgrader", {}).get("grade") and cell["cell_type"] == "code":
                cell["source"] = "full_marks = True\n"
    elif kind == "invalid JSON":
        return json.dumps(notebook)[: 2000]
    return notebook


def _code_cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def make_demo_class(course: Course, assignment: str, size: int, seed: int = 0) -> list[DemoStudent]:
    """Write the class into submitted/ and put every student on the gradebook's roster."""
    if size < 1:
        raise PipelineError("a demo class needs at least one student")
    notebooks = course.notebooks(assignment)
    released = course.folder("release", assignment)
    api = course.api()
    if not released.is_dir():
        generated = api.generate_assignment(assignment)
        if not generated["success"]:
            raise PipelineError(f"nbgrader generate_assignment failed:\n{generated.get('log', '')}")
    items = load_items(assignment)
    rng = random.Random(seed)
    students = plan_class(size, seed)
    with api.gradebook as gradebook:
        for student in students:
            number = int(student.student_id[4:])
            gradebook.update_or_create_student(
                student.student_id, first_name="Demo", last_name=f"Student {number}"
            )
    for index, student in enumerate(students):
        if not student.submits:
            continue
        folder = course.folder("submitted", student.student_id, assignment)
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.ipynb"):
            old.unlink()
        answers = {item.id: answer_for(item, student.accuracy, rng) for item in items}
        for name in notebooks:
            notebook = json.loads((released / name).read_text(encoding="utf-8"))
            for cell in notebook["cells"]:
                flags = cell["metadata"].get("nbgrader", {})
                if cell["cell_type"] == "code":
                    cell["source"] = fill_answers("".join(cell["source"]), answers)
                elif flags.get("solution") and flags.get("grade"):  # a hand-graded written answer
                    cell["source"] = WRITTEN_ANSWER
            content = break_notebook(notebook, student.broken) if student.broken else notebook
            renamed = student.broken == "renamed notebook"
            target = folder / (name.replace(".ipynb", "_final.ipynb") if renamed else name)
            text = content if isinstance(content, str) else json.dumps(content, indent=1)
            target.write_text(text, encoding="utf-8")
        stamp = TIMESTAMP.format(day=1 + index % 28, minute=index % 60)
        (folder / "timestamp.txt").write_text(stamp, encoding="utf-8")
    return students


def describe(students: list[DemoStudent], assignment: str, root: Path) -> str:
    broken = [f"{s.student_id} ({s.broken})" for s in students if s.broken and s.submits]
    missing = [s.student_id for s in students if not s.submits]
    return "\n".join([
        f"Wrote {sum(s.submits for s in students)} submissions of {assignment} to {root / 'submitted'}.",
        f"Broken on purpose: {', '.join(broken) or 'none'}.",
        f"On the roster but never submitted: {', '.join(missing) or 'none'}.",
        f"Next: peninsula grade {assignment}",
    ])  # fmt: skip
