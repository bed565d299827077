"""nbgrader's own autograde tests, run with the kit's grading steps applied to every course.

nbgrader ships them in the installed package (nbgrader/tests/apps/test_nbgrader_autograde.py). Here
a config file in a fresh JUPYTER_CONFIG_DIR calls the kit's `configure`, as the course's
nbgrader_config.py does, so every course those tests make grades the kit's way: notebooks run only
where an assignment has autograded code cells, then in the bubblewrap sandbox. Every test passes
but the three below, which differ on purpose (course/README.md, "How the kit differs from nbgrader
for an instructor's own assignments").
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
TESTS = "nbgrader.tests.apps.test_nbgrader_autograde"

DIFFERENT_ON_PURPOSE = {
    # Its notebook has no autograded cell, so it never runs (and a notebook that runs does so in
    # the sandbox, which throws away the files it writes): no side-effect.txt appears.
    "test_side_effects": "no autograded cell: the notebook does not run, so it has no side effects",
    # They expect autograde to fail when the source's or the submission's kernel does not exist. An
    # assignment without autograded code cells never starts a kernel, and one that runs always
    # uses the sandbox's kernel, never the notebook's.
    "test_missing_source_kernelspec": "no kernel is started for a notebook without autograded cells",
    "test_incorrect_source_kernelspec": "no kernel is started for a notebook without autograded cells",
    # It expects `--no-execute` to keep the outputs the student handed in. The graded notebook is made
    # inert (peninsula.grader.sanitize): a student's own outputs (HTML, script, images) never reach a
    # page, whether or not the notebook ran.
    "test_no_execute": "a student's own outputs are dropped from the graded notebook, never kept",
}


def test_nbgrader_autograde_tests_pass_with_the_kits_config(tmp_path):
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    (config_dir / "nbgrader_config.py").write_text(
        "from peninsula.grader.autograde import configure\n\nconfigure(get_config())\n", encoding="utf-8"
    )
    deselect = " or ".join(DIFFERENT_ON_PURPOSE)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config_dir), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore", "--pyargs", TESTS,
         "-k", f"not ({deselect})"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    assert result.returncode == 0, result.stdout[-5000:]
    assert "failed" not in summary and "36 passed" in summary, summary
