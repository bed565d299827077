"""The command line as a new user meets it: help grouped by who uses each command, a suggestion for a
typo, and a plain message for a course folder that does not exist."""

import subprocess
import sys
from pathlib import Path

PENINSULA = Path(sys.executable).parent / "peninsula"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(PENINSULA), *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_help_groups_commands_by_who_uses_them(tmp_path):
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    groups = ["For students:", "The instructor's term:", "Course maintenance:"]
    positions = [result.stdout.index(group) for group in groups]
    assert positions == sorted(positions)
    term = result.stdout[positions[1] : positions[2]]
    assert "  grade " in term and "  release-feedback " in term and "  check " not in term


def test_a_mistyped_command_gets_the_nearest_ones(tmp_path):
    result = run("grades", "who_must_act", cwd=tmp_path)
    assert result.returncode == 2
    assert "there is no command 'grades'. Did you mean 'grade'" in result.stderr
    assert "usage:" not in result.stderr  # not argparse's raw list


def test_a_course_folder_that_does_not_exist_is_named(tmp_path):
    result = run("grade", "who_must_act", "--course", str(tmp_path / "nope"), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{tmp_path / 'nope'}: no such folder" in result.stderr
