"""The package's layout shows the one boundary: student-side code (the top level of `peninsula`,
which runs in students' kernels and browsers) never imports the grader (`peninsula.grader`), which
runs only in the instructor's process. `peninsula.cli` is the one named exception: it is the command
line for both. And no module imports another that imports it back, at any depth or inside a function."""

import ast
from pathlib import Path

import peninsula

PACKAGE = Path(peninsula.__file__).parent
#: The command line serves students (`peninsula texts`) and instructors alike.
BOTH_SIDES = {"peninsula.cli", "peninsula.__main__"}
MAX_LINES = 450


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Every peninsula module the file imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from peninsula import charts` imports the module peninsula.charts
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        found |= {name for name in names if name in known}
    return found


def import_graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(path, set(found)) - {name} for name, path in found.items()}


def test_student_side_never_imports_the_grader():
    graph = import_graph()
    student_side = [m for m in graph if not m.startswith("peninsula.grader") and m not in BOTH_SIDES]
    assert "peninsula.answers" in student_side and "peninsula.widgets" in student_side
    crossing = {m: sorted(i for i in graph[m] if i.startswith("peninsula.grader")) for m in student_side}
    assert {m: i for m, i in crossing.items() if i} == {}


def test_no_import_cycles():
    graph = import_graph()
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        for imported in sorted(graph[module]):
            if imported in path:
                cycles.append(" -> ".join([*path[path.index(imported) :], imported]))
            elif imported not in done:
                visit(imported, [*path, imported])
        done.add(module)

    done: set[str] = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    assert cycles == []


def test_modules_stay_small():
    too_long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert too_long == {}
