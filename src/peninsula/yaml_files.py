"""Reading the kit's YAML files, all one way: PyYAML's safe loader, in C where PyYAML has it (the
key and the texts' records parse several times faster than with the pure-Python loader)."""

from __future__ import annotations

from pathlib import Path

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path, loader: type = SAFE_LOADER) -> object:
    """The data in a YAML file (None for an empty one)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
