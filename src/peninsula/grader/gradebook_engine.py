"""One SQLAlchemy engine per gradebook, for the life of the grader's process.

nbgrader opens a new `Gradebook` about a dozen times for each submission it autogrades (the API, the
converter and five of its preprocessors each open their own), and every `Gradebook` makes a new
engine. SQLAlchemy keeps its compiled statements per engine, so each of those opens compiled the
same queries again: a quarter of `peninsula grade`'s time on a class. Here nbgrader's `create_engine`
hands back the engine it made before for the same database URL. `Gradebook.close()` still disposes
it, which only closes its pooled connections; the engine, and its compiled statements, stay usable.
"""

from __future__ import annotations

import functools


def reuse_engines() -> None:
    """Make nbgrader's gradebooks in this process share one engine per database URL. Idempotent."""
    import nbgrader.api

    if getattr(nbgrader.api.create_engine, "reuses_engines", False):
        return
    shared = functools.cache(nbgrader.api.create_engine)  # keyed on the URL and nbgrader's options
    shared.reuses_engines = True
    nbgrader.api.create_engine = shared


def forget_engines() -> None:
    """Drop the shared engines: a forked worker opens its own connections. (The parent has closed
    every gradebook before its workers start, so the engines a fork inherits hold no connection.)"""
    import nbgrader.api

    cache_clear = getattr(nbgrader.api.create_engine, "cache_clear", None)
    if cache_clear is not None:
        cache_clear()
