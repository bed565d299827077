"""Opening a lesson must not mark it modified.

JupyterLab writes the running kernel's `language_info` into a notebook's metadata as soon as the
kernel starts, and marks the notebook modified when that differs from what the file held. The kit's
notebooks are committed with `language_info` holding only the language's name, because the full form
names the Python version of whoever saved it last. This contents manager fills in the rest as a
notebook is opened, with exactly what this environment's ipykernel reports, so the kernel's start
changes nothing. `make lab` uses it (`--ServerApp.contents_manager_class`); a hub's single-user
servers can set the same. Saving then writes the full form, as JupyterLab would anyway.
"""

from __future__ import annotations

import functools

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager

PYTHON_KERNELS = {"python3", "python"}


@functools.cache
def kernel_language_info() -> dict:
    """What a Python kernel of this environment reports as its `language_info`."""
    from ipykernel.ipkernel import IPythonKernel

    return dict(IPythonKernel.language_info)


def fill_language_info(notebook: dict) -> None:
    """Complete a Python notebook's name-only (or missing) `language_info` with the kernel's (in place)."""
    metadata = notebook.get("metadata", {})
    kernel = metadata.get("kernelspec", {}).get("name")
    if kernel in PYTHON_KERNELS and metadata.get("language_info") in (None, {"name": "python"}):
        metadata["language_info"] = kernel_language_info()


class LessonContentsManager(AsyncLargeFileManager):
    """Jupyter's default contents manager, completing `language_info` as notebooks are opened."""

    async def get(self, path, content=True, type=None, format=None, **kwargs):
        model = await super().get(path, content=content, type=type, format=format, **kwargs)
        if content and model.get("type") == "notebook" and isinstance(model.get("content"), dict):
            fill_language_info(model["content"])
        return model
