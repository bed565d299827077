"""environment.yml (conda, Binder) and pyproject.toml (pip) must ask for the same runtime packages: the
conda environment is the whole course, pyproject's student-side dependencies plus its grader extra."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENT = re.compile(r"\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?P<spec>.*)")


def parse(requirements: list[str]) -> dict[str, str]:
    """{normalised name: version specifier without spaces}, refusing duplicates."""
    parsed: dict[str, str] = {}
    for requirement in requirements:
        match = REQUIREMENT.fullmatch(requirement)
        assert match, f"cannot read requirement {requirement!r}"
        name = match["name"].lower().replace("_", "-")
        assert name not in parsed, f"{name} is listed twice"
        parsed[name] = match["spec"].replace(" ", "")
    return parsed


def pyproject_dependencies() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return parse([*project["dependencies"], *project["optional-dependencies"]["grader"]])


def conda_dependencies() -> dict[str, str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    plain = [dep for dep in environment["dependencies"] if isinstance(dep, str)]  # skips the pip: list
    return {name: spec for name, spec in parse(plain).items() if name not in ("python", "pip")}


def test_conda_and_pip_list_the_same_packages_and_versions():
    assert conda_dependencies() == pyproject_dependencies()


def test_conda_environment_installs_the_kit_itself():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    [pip_section] = [dep["pip"] for dep in environment["dependencies"] if isinstance(dep, dict)]
    assert "-e ." in pip_section
