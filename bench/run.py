"""`make bench`: the kit's performance figures, each against a floor measured in the same run.

Every figure comes from fresh processes (a new Python or a new kernel per repetition), timed with
time.perf_counter; a figure is the median of its repetitions. Ratios divide by a floor measured
a few seconds earlier on the same machine, so they hold on a busy machine where absolute seconds
do not. Writes bench/results.json (all raw timings) and bench/results.md (the table), and prints
the table. Run a part alone with `python bench/run.py imports` (parts: see PARTS).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
ASSIGNMENTS = ("who_must_act", "comparing_positions")
HEAVY = ("altair", "ipywidgets", "jsonschema", "nbgrader")
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
#: Recorded once, before the jsonschema cap (see README "Performance"): a clean clone no longer has
#: the slow import, so the "before" side cannot be measured live.
BEFORE_FIX = json.loads((BENCH / "before_fix.json").read_text(encoding="utf-8"))

IMPORT_REPEATS = 7
KERNEL_REPEATS = 3
LESSON_REPEATS = 5
AUTOGRADE_STUDENTS = 8  # per timed autograde call; the per-submission figure divides by K - 1
AUTOGRADE_ROUNDS = 3
WIDGET_INTERACTIONS = 200
# `peninsula grade` on a demo class: sequential against --jobs GRADE_JOBS (BENCH_CLASS_SIZE overrides).
GRADE_CLASS_SIZE = int(os.environ.get("BENCH_CLASS_SIZE", "300"))
GRADE_JOBS = 2
CLASS_FLOOR_SAMPLE = 20  # the class's nbclient floor: this many of its notebooks, scaled to all of them


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# ------------------------------------------------------------------ fresh Python processes


def import_seconds(module: str) -> float:
    """Seconds `import module` takes in a fresh interpreter (the interpreter's own start excluded)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return float(done.stdout)


def imports() -> dict:
    modules = ["peninsula", "peninsula.answers", "altair", "jsonschema", "ipywidgets"]
    runs = {m: [import_seconds(m) for _ in range(IMPORT_REPEATS)] for m in modules}
    return {m: {"median_s": median(times), "runs_s": times} for m, times in runs.items()}


# ------------------------------------------------------------------ fresh kernels


def notebook_client(notebook: nbformat.NotebookNode, folder: Path) -> NotebookClient:
    resources = {"metadata": {"path": str(folder)}}  # the kernel starts in the notebook's folder
    return NotebookClient(notebook, kernel_name="python3", timeout=300, resources=resources)  # errors raise


def run_all_seconds(path: Path) -> float:
    """Run All in a fresh kernel, kernel start included (what a student waits for)."""
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    notebook_client(notebook, path.parent).execute(stderr=subprocess.DEVNULL)  # hides the kernel's log
    return time.perf_counter() - start


def code_notebook(source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])


def cells_seconds(path: Path) -> tuple[float, list[str]]:
    """The notebook's own kernel work: every cell, timed after the kernel is up, and the heavy
    modules the kernel had loaded by the end."""
    notebook = nbformat.read(path, as_version=4)
    client = notebook_client(notebook, path.parent)
    loaded_heavy = f"[m for m in {HEAVY!r} if m in sys.modules]"
    probe = nbformat.v4.new_code_cell(f"import json, sys; print(json.dumps({loaded_heavy}))")
    cells = list(notebook.cells)
    notebook.cells.append(probe)
    with client.setup_kernel(stderr=subprocess.DEVNULL):
        start = time.perf_counter()
        for index, cell in enumerate(cells):
            client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        client.execute_cell(probe, len(cells))
    loaded = json.loads(probe.outputs[0]["text"])
    return seconds, loaded


def paired(runs: list[float], floor_runs: list[float]) -> dict:
    """Medians, and the ratio as the median of each run over the floor measured just before it: a
    burst of load from other work on the machine then slows both sides of one ratio."""
    return {
        "median_s": median(runs),
        "runs_s": runs,
        "floor_s": median(floor_runs),
        "floor_runs_s": floor_runs,
        "ratio": median([run / floor for run, floor in zip(runs, floor_runs, strict=True)]),
    }


def lessons() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        floor_path = Path(tmp) / "floor.ipynb"
        nbformat.write(code_notebook("import altair"), floor_path)
        results = {}
        for lesson in LESSONS:
            floor_runs, runs = [], []
            for _ in range(LESSON_REPEATS):
                floor_runs.append(run_all_seconds(floor_path))
                runs.append(run_all_seconds(lesson))
            # Which heavy modules the lesson's kernel loads (the floor loads altair): in one more run.
            loaded = cells_seconds(lesson)[1]
            results[lesson.stem] = paired(runs, floor_runs) | {"heavy_modules_loaded": loaded}
    return results


# ------------------------------------------------------------------ nbgrader autograde


def nbgrader(course: Path, *args: str) -> float:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    start = time.perf_counter()
    done = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed in {course}:\n{done.stderr[-2000:]}")
    return seconds


def submit(course: Path, assignment: str, students: list[str]) -> None:
    """Hand in the source notebook (full marks) as each student."""
    source = course / "course" / assignment / f"{assignment}.ipynb"
    for name in students:
        folder = course / "submitted" / name / assignment
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
        shutil.copy(source, folder / source.name)


#: The three ways an assignment can be graded: the course's setting (the kit's assignments: from
#: text, nothing runs), every notebook run in the sandbox (as an instructor's code-graded assignment
#: is), and run without the sandbox (to show the sandbox's own cost).
RUN_EVERY_NOTEBOOK = ["--ExecuteWhereNeeded.run_every_notebook=True"]
GRADING_WAYS = {
    "text": [],
    "sandbox": RUN_EVERY_NOTEBOOK,
    "no_sandbox": [*RUN_EVERY_NOTEBOOK, "--Execute.kernel_name=python3",
                   "--Execute.kernel_manager_class=jupyter_client.manager.AsyncKernelManager"],
}


def autograde_seconds(course: Path, assignment: str, group: str, count: int, *flags: str) -> float:
    """One `nbgrader autograde` over `count` newly handed-in students named `group`_0, `group`_1, ..."""
    submit(course, assignment, [f"{group}_{n}" for n in range(count)])
    seconds = nbgrader(course, "autograde", assignment, f"--student={group}_*", *flags)  # a glob: this group
    graded = list((course / "autograded").glob(f"{group}_*/{assignment}/{assignment}.ipynb"))
    if len(graded) != count:
        raise RuntimeError(f"autograde graded {len(graded)} of the {count} submissions of {group}")
    return seconds


def autograde() -> dict:
    """Per submission = (autograde of K new students - autograde of 1 new student) / (K - 1): the
    difference cancels nbgrader's fixed start-up (the app, the gradebook, the preprocessors). Measured
    each way in GRADING_WAYS, interleaved: from text (the course's setting), with every notebook run
    in the sandbox, and run without it; the sandbox's own cost is the ratio of the last two."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        shutil.copytree(ROOT / "course", course / "course")
        shutil.copytree(ROOT / "source_texts", course / "source_texts")
        for assignment in ASSIGNMENTS:
            nbgrader(course, "generate_assignment", assignment)
            source = course / "course" / assignment / f"{assignment}.ipynb"
            floor_runs, per_submission = [], {label: [] for label in GRADING_WAYS}
            for round_ in range(AUTOGRADE_ROUNDS):  # interleaved, so a burst of load hits every kind
                floor_runs.append(run_all_seconds(source))
                for label, flags in GRADING_WAYS.items():
                    alone = f"{assignment}{round_}{label}_alone"
                    one = autograde_seconds(course, assignment, alone, 1, *flags)
                    group, count = f"{assignment}{round_}{label}_class", AUTOGRADE_STUDENTS
                    many = autograde_seconds(course, assignment, group, count, *flags)
                    per_submission[label].append((many - one) / (count - 1))
            results[assignment] = {
                **paired(per_submission["text"], floor_runs),
                "sandbox": paired(per_submission["sandbox"], floor_runs),
                "no_sandbox_per_submission_s": per_submission["no_sandbox"],
                "sandbox_cost": paired(per_submission["sandbox"], per_submission["no_sandbox"]),
            }
    return results


def graded_kernel_work() -> dict:
    results = {}
    for assignment in ASSIGNMENTS:
        path = ROOT / "course" / assignment / f"{assignment}.ipynb"
        runs = [cells_seconds(path) for _ in range(KERNEL_REPEATS)]
        results[assignment] = {
            "median_s": median([seconds for seconds, _ in runs]),
            "runs_s": [seconds for seconds, _ in runs],
            "heavy_modules_loaded": runs[-1][1],
        }
    return results


def peninsula_seconds(course: Path, *args: str) -> float:
    start = time.perf_counter()
    command = [str(BIN / "peninsula"), *args, "--course", str(course)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"peninsula {' '.join(args)} failed in {course}:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def class_floor_seconds(submitted: Path, assignment: str) -> tuple[float, int]:
    """(seconds, notebooks): executing every readable notebook of the class in nbclient, one fresh
    kernel each, estimated as the median of an evenly spread sample of CLASS_FLOOR_SAMPLE of them
    times their number (the median, so the demo's infinite loop does not inflate the floor)."""
    notebooks = []
    for path in sorted(submitted.glob(f"*/{assignment}/{assignment}.ipynb")):
        try:
            notebooks.append((path, nbformat.read(path, as_version=4)))
        except Exception:  # a demo class's broken notebook, which nbclient cannot run either
            continue
    step = max(1, len(notebooks) // CLASS_FLOOR_SAMPLE)
    runs = []
    for path, notebook in notebooks[::step][:CLASS_FLOOR_SAMPLE]:
        resources = {"metadata": {"path": str(path.parent)}}
        client = NotebookClient(notebook, kernel_name="python3", timeout=30, allow_errors=True,
                                interrupt_on_timeout=True, resources=resources)
        start = time.perf_counter()
        client.execute(stderr=subprocess.DEVNULL)
        runs.append(time.perf_counter() - start)
    return median(runs) * len(notebooks), len(notebooks)


def parallel_grading() -> dict:
    """`peninsula grade` over one demo class, twice from the same start: sequential, then --jobs N.
    Floors: the sequential run, and executing every notebook of the class in nbclient; the grades
    must come out the same."""
    assignment = ASSIGNMENTS[0]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "class"
        base.mkdir()
        shutil.copy(ROOT / "nbgrader_config.py", base)
        shutil.copytree(ROOT / "course", base / "course")
        shutil.copytree(ROOT / "source_texts", base / "source_texts")
        peninsula_seconds(base, "demo-class", assignment, "--students", str(GRADE_CLASS_SIZE))
        floor_s, executable = class_floor_seconds(base / "submitted", assignment)
        runs = {}
        for label, extra in (("sequential", []), ("parallel", ["--jobs", str(GRADE_JOBS)])):
            course = shutil.copytree(base, Path(tmp) / label)
            runs[label] = peninsula_seconds(course, "grade", assignment, *extra)
        grades = [(Path(tmp) / label / "exports" / f"{assignment}-grades.csv").read_text() for label in runs]
    return {
        "students": GRADE_CLASS_SIZE, "jobs": GRADE_JOBS, "sequential_s": runs["sequential"],
        "parallel_s": runs["parallel"], "ratio": runs["parallel"] / runs["sequential"],
        "same_grades": grades[0] == grades[1], "nbclient_floor_s": floor_s, "nbclient_notebooks": executable,
        "ratio_to_nbclient": runs["parallel"] / floor_s,
    }


# ------------------------------------------------------------------ widgets, inside a real kernel

WIDGET_PROBE = """
import json, statistics, time
from peninsula.comparer import Comparer
from peninsula.reader import Reader

def timed(control, values, count):
    times = []
    for n in range(count):
        start = time.perf_counter()
        control.value = values[n % len(values)]
        times.append(time.perf_counter() - start)
    return times

reader = Reader("trivedi")
reader_times = []
for control in (reader.actor_choice, reader.issue_choice):
    values = [value for _label, value in control.options]
    reader_times += timed(control, values, COUNT // 4)
reader_times += timed(reader.search, ["Korea", "al", "summit", ""], COUNT // 4)
reader_times += timed(reader.text_choice, ["cronin", "trivedi"], COUNT // 4)
comparer = Comparer()
issues = [value for _label, value in comparer.issue_choice.options]
comparer_times = timed(comparer.issue_choice, issues, COUNT)
print(json.dumps({"reader": reader_times, "comparer": comparer_times}))
"""


def widgets() -> dict:
    notebook = code_notebook(WIDGET_PROBE.replace("COUNT", str(WIDGET_INTERACTIONS)))
    notebook_client(notebook, ROOT / "notebooks").execute(stderr=subprocess.DEVNULL)
    times = json.loads(next(o["text"] for o in notebook.cells[0].outputs if o.get("name") == "stdout"))
    return {
        name: {"p50_ms": 1000 * percentile(ms, 0.5), "p95_ms": 1000 * percentile(ms, 0.95), "n": len(ms)}
        for name, ms in times.items()
    }


PARTS: dict[str, Callable[[], dict]] = {
    "imports": imports,
    "widgets": widgets,
    "graded_kernel_work": graded_kernel_work,
    "lessons": lessons,
    "autograde": autograde,
    "parallel_grading": parallel_grading,
}


# ------------------------------------------------------------------ the table


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def table(results: dict) -> str:
    rows = ["| Figure | Measured | Floor | Ratio | Target | |", "| --- | --- | --- | --- | --- | --- |"]
    for assignment, f in results.get("autograde", {}).items():
        rows.append(
            f"| Autograde per submission, {assignment} (from text, nothing runs) | {f['median_s']:.2f} s | "
            f"{f['floor_s']:.2f} s | {f['ratio']:.2f}× | ≤ 0.25× | {verdict(f['ratio'] <= 0.25)} |"
        )
        run = f["sandbox"]
        rows.append(
            f"| Autograde per submission, {assignment}, every notebook run in the sandbox | "
            f"{run['median_s']:.2f} s | {run['floor_s']:.2f} s | {run['ratio']:.2f}× | ≤ 1.15× | "
            f"{verdict(run['ratio'] <= 1.15)} |"
        )
        cost = f["sandbox_cost"]
        rows.append(
            f"| The sandbox's own cost per submission, {assignment} (with / without bwrap) | "
            f"{cost['median_s']:.2f} s | {cost['floor_s']:.2f} s | {cost['ratio']:.2f}× | | |"
        )
    for assignment, f in results.get("graded_kernel_work", {}).items():
        heavy = ", ".join(f["heavy_modules_loaded"]) or "none"
        rows.append(
            f"| Graded notebook's kernel work, {assignment} (heavy modules loaded: {heavy}) | "
            f"{f['median_s']:.2f} s | | | ≤ 0.3 s | {verdict(f['median_s'] <= 0.3)} |"
        )
    for lesson, f in results.get("lessons", {}).items():
        rows.append(
            f"| Run All, {lesson} (loads: {', '.join(f.get('heavy_modules_loaded', [])) or 'none'}) | "
            f"{f['median_s']:.2f} s | {f['floor_s']:.2f} s | {f['ratio']:.2f}× | "
            f"≤ 1.3× | {verdict(f['ratio'] <= 1.3)} |"
        )
    if "parallel_grading" in results:
        f = results["parallel_grading"]
        same = "same grades" if f["same_grades"] else "GRADES DIFFER"
        met = verdict(f["ratio"] <= 0.6 and f["same_grades"])
        rows.append(
            f"| `peninsula grade --jobs {f['jobs']}`, {f['students']} submissions ({same}) | "
            f"{f['parallel_s']:.0f} s | {f['sequential_s']:.0f} s | {f['ratio']:.2f}× | ≤ 0.6× | {met} |"
        )
        ratio = f["ratio_to_nbclient"]
        rows.append(
            f"| `peninsula grade --jobs {f['jobs']}`, {f['students']} submissions, against executing its "
            f"{f['nbclient_notebooks']} readable notebooks in nbclient | {f['parallel_s']:.0f} s | "
            f"{f['nbclient_floor_s']:.0f} s | {ratio:.2f}× | ≤ 0.15× | {verdict(ratio <= 0.15)} |"
        )
    for name, f in results.get("widgets", {}).items():
        rows.append(
            f"| Widget interaction, {name.capitalize()} (p50 / p95 of {f['n']}) | "
            f"{f['p50_ms']:.1f} / {f['p95_ms']:.1f} ms | | | p95 ≤ 20 ms | {verdict(f['p95_ms'] <= 20)} |"
        )
    if "imports" in results:
        found = results["imports"]
        rows.append(
            f"| `import peninsula` | {1000 * found['peninsula']['median_s']:.0f} ms | | | ≤ 0.3 s | "
            f"{verdict(found['peninsula']['median_s'] <= 0.3)} |"
        )
        grading_ms = 1000 * found["peninsula.answers"]["median_s"]
        rows.append(f"| `import peninsula.answers` (graded notebooks) | {grading_ms:.0f} ms | | | | |")
        for module in ("altair", "jsonschema"):
            before = BEFORE_FIX["imports"][module]["median_s"]
            rows.append(
                f"| `import {module}`: before → after the jsonschema cap | {before:.2f} s → "
                f"{found[module]['median_s']:.2f} s | | {found[module]['median_s'] / before:.2f}× | | |"
            )
    return "\n".join(rows)


NOTES = """\
How to read it. Seconds are medians over fresh processes or fresh kernels; a ratio is the median of
each run divided by its floor, measured just before it in the same run. Load average (1 min) at the
start and end of this run: {load}; other work on the machine makes single runs swing by 2x or more.
- Autograde per submission: one `nbgrader autograde` over {k} new students minus one over a single new
  student, divided by {k1}, in {rounds} rounds; the difference cancels nbgrader's fixed start-up (in
  results.json). Each student hands in the source notebook (full marks). The course's setting grades
  the kit's assignments from the answer cell's text: no kernel starts. "Every notebook run in the
  sandbox" (`--ExecuteWhereNeeded.run_every_notebook=True`) is what an instructor's own code-graded
  assignment costs: the kernel runs in the bubblewrap sandbox. Floor: nbclient running the same
  notebook in a fresh kernel. The sandbox's own cost: that run with the sandbox off
  (`--Execute.kernel_name=python3`), interleaved.
- `peninsula grade` on a demo class: against its own sequential run, and against executing every
  readable notebook of the class in nbclient (a fresh kernel each, cells may fail, 30 s per cell),
  estimated as the median of {sample} of them spread over the class, times their number.
- Graded notebook's kernel work: every cell of the source notebook, hidden tests included, timed after
  the kernel is up. "Heavy modules loaded" lists which of altair, ipywidgets, jsonschema and nbgrader
  the kernel had imported by the end.
- Run All: nbclient runs the whole lesson in a fresh kernel, kernel start included. Floor: a fresh
  kernel running only `import altair`. "Loads" lists which of altair, ipywidgets, jsonschema and
  nbgrader the lesson's kernel had imported by the end: the kit's own charts are Vega-Lite specs
  built without Altair, which its tests check against the schema.
- Widget interaction: the kernel-side time of setting a control's `.value` (the observers and the
  widget messages they send), in a real kernel; the browser's drawing is not included.
- Imports: `import X` timed inside a fresh interpreter. "Before" was recorded on {before_date} with
  jsonschema {before_version}, before the cap below 4.25 (see README "Performance").
"""


def write_table(text: str) -> None:
    """Replace the table and its notes at the top of bench/results.md; the sections after them
    (`## ...`, such as the hub rush from `make hub-load`) are other runs' and are kept."""
    results = BENCH / "results.md"
    old = results.read_text(encoding="utf-8") if results.exists() else ""
    _, heading, sections = old.partition("\n## ")
    results.write_text(text.rstrip("\n") + ("\n\n## " + sections if heading else "\n"), encoding="utf-8")


def main(parts: list[str]) -> None:
    started, load_at_start = time.perf_counter(), os.getloadavg()[0]
    results = {}
    for name in parts:
        part_start = time.perf_counter()
        results[name] = PARTS[name]()
        print(f"{name}: {time.perf_counter() - part_start:.0f} s", file=sys.stderr, flush=True)
    results["total_s"] = time.perf_counter() - started
    results["load_average_1min"] = [load_at_start, os.getloadavg()[0]]
    results["before_fix"] = BEFORE_FIX
    text = table(results)
    notes = NOTES.format(
        load=" → ".join(f"{load:.1f}" for load in results["load_average_1min"]),
        k=AUTOGRADE_STUDENTS, k1=AUTOGRADE_STUDENTS - 1, rounds=AUTOGRADE_ROUNDS, sample=CLASS_FLOOR_SAMPLE,
        before_date=BEFORE_FIX["recorded"], before_version=BEFORE_FIX["jsonschema"],
    )
    (BENCH / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if parts == list(PARTS):  # only a full run replaces the committed table
        write_table(f"{text}\n\n{notes}")
    print(text)
    print(f"\n{notes}\n(whole run: {results['total_s']:.0f} s)")


if __name__ == "__main__":
    chosen = sys.argv[1:] or list(PARTS)
    unknown = [p for p in chosen if p not in PARTS]
    if unknown:
        sys.exit(f"unknown part(s) {', '.join(unknown)}; the parts are {', '.join(PARTS)}")
    main(chosen)
