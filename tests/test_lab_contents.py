"""Opening a lesson does not mark it modified: the contents manager `make lab` uses completes the
notebook's `language_info` with exactly what this environment's kernel reports (JupyterLab marks a
notebook modified when the kernel's differs). Checked in chromium while building it: with the plain
contents manager a lesson's tab shows modified once the kernel starts; with this one it does not."""

from __future__ import annotations

import asyncio
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ipykernel.ipkernel import IPythonKernel

from peninsula.lab_contents import LessonContentsManager

ROOT = Path(__file__).resolve().parents[1]


def opened(tmp_path: Path, name: str) -> dict:
    manager = LessonContentsManager(root_dir=str(tmp_path))
    # In a thread of its own: the browser tests' session keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, manager.get(name)).result()["content"]


def test_a_lesson_opens_with_the_kernels_language_info(tmp_path):
    for path in [*sorted((ROOT / "notebooks").glob("*.ipynb")), ROOT / "course" / "class_report.ipynb"]:
        shutil.copy(path, tmp_path / path.name)
        assert opened(tmp_path, path.name)["metadata"]["language_info"] == IPythonKernel.language_info
        assert json.loads((tmp_path / path.name).read_text())["metadata"].get("language_info") in (
            None, {"name": "python"}
        ), "the file on disk is not touched"


def test_other_kernels_and_full_metadata_are_left_alone(tmp_path):
    notebook = {"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"name": "ir", "display_name": "R", "language": "R"}, "language_info": {"name": "R"}}}
    (tmp_path / "r.ipynb").write_text(json.dumps(notebook))
    assert opened(tmp_path, "r.ipynb")["metadata"]["language_info"] == {"name": "R"}
