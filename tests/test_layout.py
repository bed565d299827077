"""The course layout: folders, what git ignores, and the nbgrader configuration."""

import shutil
import subprocess
from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parents[1]

needs_git = pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs git and a git checkout"
)


def git_ignored(path: str | Path) -> bool:
    result = subprocess.run(
        ["git", "check-ignore", "-q", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode in (0, 1), result.stderr
    return result.returncode == 0


@pytest.mark.parametrize(
    "folder", ["source_texts", "notebooks", "course", "autograded", "src/peninsula", "tests", "bench"]
)
def test_course_folder_exists(folder):
    assert (ROOT / folder).is_dir()


def test_autograded_has_its_readme():
    assert (ROOT / "autograded" / "README.md").is_file()


@needs_git
@pytest.mark.parametrize(
    "path",
    [
        "release/ps1/ps1.ipynb",
        "submitted/student1/ps1/ps1.ipynb",
        "feedback/student1/ps1/ps1.html",
        "gradebook.db",
        ".exchange/peninsula/inbound/x.ipynb",
        "autograded/student1/ps1/ps1.ipynb",
        "autograded/notes.txt",
    ],
)
def test_nbgrader_course_state_is_git_ignored(path):
    assert git_ignored(path)


@needs_git
@pytest.mark.parametrize(
    "path",
    [
        "autograded/README.md",
        "source_texts/trivedi.md",
        "course/ps1/ps1.ipynb",
        "notebooks/01_reading.ipynb",
        "bench/.gitkeep",
        "nbgrader_config.py",
    ],
)
def test_kit_files_are_not_git_ignored(path):
    assert not git_ignored(path)


@pytest.fixture
def nbgrader_config(tmp_path, monkeypatch):
    """nbgrader_config.py as nbgrader's traitlets loader reads it, from an unrelated current folder."""
    monkeypatch.chdir(tmp_path)
    return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()


def test_nbgrader_config_is_independent_of_the_current_folder(nbgrader_config, tmp_path):
    assert Path(nbgrader_config.CourseDirectory.root) == ROOT
    assert nbgrader_config.CourseDirectory.source_directory == "course"
    assert nbgrader_config.CourseDirectory.course_id == "peninsula"
    assert nbgrader_config.Execute.timeout > 0
    assert list(tmp_path.iterdir()) == []  # nothing was created in the current folder


@needs_git
def test_nbgrader_exchange_is_inside_the_course_git_ignored_and_exists(nbgrader_config):
    exchange = Path(nbgrader_config.Exchange.root)
    assert exchange.is_dir()
    assert exchange.is_relative_to(ROOT) and exchange != ROOT
    assert git_ignored(exchange.relative_to(ROOT))


def test_readme_lists_every_module_of_the_package():
    """README's package tree is the layout as it is: every module is named there, under its side."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tree = readme[readme.index("src/peninsula/            student side") :]
    student, grader = tree.split("src/peninsula/grader/     grader side")
    package = ROOT / "src" / "peninsula"
    for path in package.glob("*.py"):
        assert path.name in student or path.stem.startswith("__"), path.name
    for path in (package / "grader").glob("*.py"):
        assert path.name in grader.split("```")[0] or path.stem.startswith("__"), path.name
    for folder in ("charts/", "data/"):
        assert folder in student
