"""Plugins found through entry points (``setup.cfg`` ``[options.entry_points]``).

Groups: ``patrol.collectors`` (transport), ``patrol.platforms`` (per-platform driver),
``patrol.checks`` (check kinds), ``patrol.reports`` (report formats). A user adds a vendor or
a check kind by publishing a package with an entry point in one of these groups; nothing is
scanned at import time, a group is read the first time it is asked for.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import Any

from patrol.errors import PluginError

__all__ = ["GROUPS", "load", "names"]

GROUPS = ("patrol.collectors", "patrol.platforms", "patrol.checks", "patrol.reports")


@cache
def _group(group: str) -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=group)}


def names(group: str) -> list[str]:
    """Sorted names registered in ``group``."""
    return sorted(_group(group))


@cache
def load(group: str, name: str) -> Any:
    """Load the object registered as ``name`` in ``group``; :class:`PluginError` if absent or broken."""
    eps = _group(group)
    if name not in eps:
        known = ", ".join(sorted(eps)) or "none"
        raise PluginError(group, name, f"not registered (known: {known})")
    try:
        return eps[name].load()
    except Exception as exc:  # a broken third-party plugin must not look like our bug
        raise PluginError(group, name, f"cannot be loaded: {exc}") from exc
