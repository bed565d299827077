"""Start a user's JupyterLab on the hub, after giving them their own copy of the lessons.

The hub runs this as the user (LocalProcessSpawner has already switched to their unix account).
The shared folder of lessons and texts is read-only; each user works on a copy in their home, made
the first time they start a server. Later starts copy only files that are new in the shared folder,
so a student's own edits are never overwritten. The home is closed to other users first: Debian's
`useradd -m` leaves it readable by everyone, and it holds the student's answers and nbgrader's copy
of each submission.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def copy_missing(shared: Path, mine: Path) -> None:
    """Copy every file of `shared` that `mine` does not have yet; never replace or follow what is there."""
    for source in sorted(shared.rglob("*")):
        target = mine / source.relative_to(shared)
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif not target.exists() and not target.is_symlink():
            shutil.copyfile(source, target)


def main() -> None:
    home = Path.home()
    home.chmod(0o700)
    copy_missing(Path(os.environ["PENINSULA_LESSONS"]), home / os.environ["PENINSULA_COURSE"])
    server = Path(sys.executable).parent / "jupyterhub-singleuser"
    os.execv(server, [str(server), *sys.argv[1:]])


if __name__ == "__main__":
    main()
