"""`import peninsula` and what graded notebooks import stay light: no heavy library is loaded.

This checks which modules are loaded, in a fresh interpreter; how long imports take is measured by
`make bench`, not here.
"""

import json
import subprocess
import sys

HEAVY = ("altair", "ipywidgets", "nbgrader", "jsonschema")


def heavy_modules_after(statement: str) -> list[str]:
    code = f"import json, sys; {statement}; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_import_peninsula_loads_no_heavy_library():
    assert heavy_modules_after("import peninsula") == []


def test_what_graded_notebooks_import_loads_neither_altair_nor_widgets():
    loaded = heavy_modules_after("import peninsula.answers")  # the format check in every graded notebook
    assert "altair" not in loaded and "ipywidgets" not in loaded, f"peninsula.answers loads {loaded}"
