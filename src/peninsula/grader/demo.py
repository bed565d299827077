"""`peninsula demo-class`: a synthetic class in submitted/, to rehearse the whole cycle before term.

Students answer from the release notebook, each with their own accuracy: right, partly right,
wrong, misspelt, or blank. A few submissions are broken the ways real ones break, and a few
students on the roster submit nothing. In a class of `PLANTED_FROM` or more, three things are
planted for the class analytics to find: a shared trap (one item most students answer with the
same partial answer), a student who copied most of another's answers, and a student who handed
in another's notebook file unchanged. Instructor-only: it reads the answer key.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, replace
from pathlib import Path

from peninsula.answers import ANSWER_CELL_ID, PLAN_BRANCHES, STANCE_VALUES, authors
from peninsula.codebook import NOT_ADDRESSED, load_codebook
from peninsula.grader.course import Course, PipelineError
from peninsula.grader.key import Item, load_items

#: Ways a real submission breaks, and what the demo does to the notebook to imitate each.
BROKEN_KINDS = ("invalid JSON", "deleted cells", "renamed notebook", "infinite loop", "stderr noise",
                "edited tests")
MISSING_EVERY = 15  # one roster student in this many never submits
#: The two answer-cell formats: plain lines (today's release) and the dictionary of earlier releases.
ANSWER_FORMATS = ("plain lines", "dictionary")
DICTIONARY_EVERY = 4  # one student in this many still types the dictionary (work begun before)
PLANTED_FROM = 20  # class size from which the trap and the two copies are planted
TRAPPED_SHARE = 0.7  # share of the class that falls into the shared trap
COPIED_ITEMS = 0.9  # share of the source's answers the copier takes over (the rest are their own)
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
    copies: str | None = None  # whose answers this student copied (most of them)
    hands_in: str | None = None  # whose notebook file this student handed in, byte for byte
    answer_format: str = ANSWER_FORMATS[0]


def plan_class(size: int, seed: int = 0, answer_format: str | None = None) -> list[DemoStudent]:
    """Who is in the class: accuracies spread over a realistic range, one of each broken kind
    (when the class is large enough), and a few students who never submit. Every student types
    `answer_format`; by default most type plain lines and one in `DICTIONARY_EVERY` the dictionary."""
    rng = random.Random(seed)
    students = []
    for number in range(1, size + 1):
        broken = BROKEN_KINDS[number - 1] if number <= len(BROKEN_KINDS) and size >= 12 else None
        submits = number % MISSING_EVERY != 0
        accuracy = min(0.98, max(0.2, rng.gauss(0.7, 0.15)))
        typed = answer_format or ANSWER_FORMATS[number % DICTIONARY_EVERY == 2]
        student_id = f"demo{number:03d}"
        students.append(DemoStudent(student_id, round(accuracy, 2), broken, submits, answer_format=typed))
    return _plant_copies(students, seed) if size >= PLANTED_FROM else students


def _plant_copies(students: list[DemoStudent], seed: int) -> list[DemoStudent]:
    """Pick, with their own random stream (so no other student changes), a weaker student whose
    answers are copied, a copier, and a pair where one hands in the other's file."""
    rng = random.Random(f"{seed}:copies")
    regular = [s for s in students if s.submits and not s.broken]
    weaker = [s for s in regular if s.accuracy <= 0.65] or regular
    source = rng.choice(weaker)
    copier, file_source, file_copier = rng.sample([s for s in regular if s is not source], 3)
    planted = {copier.student_id: replace(copier, copies=source.student_id),
               file_copier.student_id: replace(file_copier, hands_in=file_source.student_id)}
    return [planted.get(s.student_id, s) for s in students]


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
    """Type each answer after its id on the answer cell's plain `ID:` lines."""
    for item_id, value in answers.items():
        line = f"{item_id}: {value}"
        source = re.sub(rf"^{item_id}:[ \t]*$", lambda _match, typed=line: typed, source, flags=re.MULTILINE)
    return source


def dictionary_cell(answers: dict[str, object]) -> str:
    """The answers as the dictionary that releases before the plain lines asked for."""
    lines = [f"    {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},\n" for k, v in answers.items()]
    return "answers = {\n" + "".join(lines) + "}\n"


def answer_cell_source(released: str, answers: dict[str, object], answer_format: str) -> str:
    """The answer cell a student hands in, typed in `answer_format`."""
    if answer_format == "dictionary":
        return dictionary_cell(answers)
    return fill_answers(released, answers)


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


def make_demo_class(course: Course, assignment: str, size: int, seed: int = 0,
                    answer_format: str | None = None) -> list[DemoStudent]:
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
    items = load_items(assignment, key_file=course.key_file)
    rng = random.Random(seed)
    students = plan_class(size, seed, answer_format)
    with api.gradebook as gradebook:
        for student in students:
            number = int(student.student_id[4:])
            gradebook.update_or_create_student(
                student.student_id, first_name="Demo", last_name=f"Student {number}"
            )
    answers = {s.student_id: {item.id: answer_for(item, s.accuracy, rng) for item in items}
               for s in students if s.submits}
    if len(students) >= PLANTED_FROM:
        _plant_answers(answers, students, items, seed)
    written: dict[str, dict[str, str]] = {}
    # A student who hands in another's file is written after everyone else, so that file exists.
    for index in sorted(range(len(students)), key=lambda i: students[i].hands_in is not None):
        student = students[index]
        if not student.submits:
            continue
        folder = course.folder("submitted", student.student_id, assignment)
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.ipynb"):
            old.unlink()
        written[student.student_id] = {}
        for name in notebooks:
            if student.hands_in:
                (folder / name).write_text(written[student.hands_in][name], encoding="utf-8")
                continue
            notebook = json.loads((released / name).read_text(encoding="utf-8"))
            for cell in notebook["cells"]:
                flags = cell["metadata"].get("nbgrader", {})
                if flags.get("grade_id") == ANSWER_CELL_ID:
                    cell["source"] = answer_cell_source(
                        "".join(cell["source"]), answers[student.student_id], student.answer_format
                    )
                elif flags.get("solution") and flags.get("grade"):  # a hand-graded written answer
                    cell["source"] = WRITTEN_ANSWER
            content = break_notebook(notebook, student.broken) if student.broken else notebook
            renamed = student.broken == "renamed notebook"
            target = folder / (name.replace(".ipynb", "_final.ipynb") if renamed else name)
            text = content if isinstance(content, str) else json.dumps(content, indent=1)
            target.write_text(text, encoding="utf-8")
            written[student.student_id][name] = text
        stamp = TIMESTAMP.format(day=1 + index % 28, minute=index % 60)
        (folder / "timestamp.txt").write_text(stamp, encoding="utf-8")
    return students


def trap_item(items: list[Item]) -> Item:
    """The item of the shared trap: the first with several actors in its key (else the first)."""
    return next((i for i in items if i.id[0] == "R" and len(i.full_credit[0]) > 1), items[0])


def _plant_answers(answers: dict[str, dict[str, object]], students: list[DemoStudent], items: list[Item],
                   seed: int) -> None:
    """Most of the class gives the trap item the same partial answer; a copier takes over most of
    the source's answers. A separate random stream, so the other answers stay as they were."""
    rng = random.Random(f"{seed}:planted")
    codebook = load_codebook()
    trap = trap_item(items)
    if trap.id[0] == "R":
        partial = ", ".join(codebook.actors[c].name for c in sorted(trap.full_credit[0])[:-1])
        for student_answers in answers.values():
            if rng.random() < TRAPPED_SHARE:
                student_answers[trap.id] = partial
    for student in students:
        if student.copies and student.submits:
            own = answers[student.student_id]
            answers[student.student_id] = {
                item_id: value if rng.random() < COPIED_ITEMS else own[item_id]
                for item_id, value in answers[student.copies].items()
            }


def describe(students: list[DemoStudent], assignment: str, root: Path) -> str:
    broken = [f"{s.student_id} ({s.broken})" for s in students if s.broken and s.submits]
    missing = [s.student_id for s in students if not s.submits]
    dictionary = [s.student_id for s in students if s.submits and s.answer_format == "dictionary"]
    return "\n".join([
        f"Wrote {sum(s.submits for s in students)} submissions of {assignment} to {root / 'submitted'}.",
        f"Broken on purpose: {', '.join(broken) or 'none'}.",
        f"On the roster but never submitted: {', '.join(missing) or 'none'}.",
        f"Typed the answers as the earlier dictionary, not plain lines: {', '.join(dictionary) or 'none'}.",
        *[f"Planted for `peninsula integrity`: {s.student_id} copied most of {s.copies}'s answers."
          for s in students if s.copies],
        *[f"Planted for `peninsula integrity`: {s.student_id} handed in {s.hands_in}'s notebook file "
          "unchanged." for s in students if s.hands_in],
        f"Next: peninsula grade {assignment}",
    ])
