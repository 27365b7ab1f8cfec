"""What an API-created schedule may name on the server: inventories and profiles under the roots
the administrator configured (``service.inventory_roots`` / ``service.profile_roots`` in
``patrol.yml``), never a vault file (the vault secret is the server's own setting).

A path is accepted when its real path (symlinks and ``..`` resolved) exists and lies under a
root; the schedule then stores that real path. Any other path — outside the roots, missing, a
symlink leading out, a NUL byte — gets the *same* answer, which names only the path the client
sent and the configured setting, so the API cannot be used to learn which files exist::

    schedule 'x': inventory: '/etc/shadow' is not an inventory under the server's inventory roots
    (service.inventory_roots in patrol.yml); ask the administrator for the allowed paths

Inventories are trusted input (ansible templates their variables, and a ``lookup`` in a
template runs on the server): whoever may write under a root may run code as the server, so
roots must be folders only administrators write. On top of that, unless
``service.inventory_plugins: true``, an API schedule's inventory must be static: an executable
file (ansible's ``script`` plugin would run it) or a YAML/JSON file with a top-level ``plugin:``
key (an inventory plugin config: ``constructed``, cloud plugins ...) is refused, at creation
and again before every run (:func:`check_api_schedule`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

import yaml

from patrol.config import Settings
from patrol.service.errors import ScheduleError

__all__ = ["check_api_schedule", "confine", "static_inventory"]

#: folders ansible reads as variables, never as inventory sources
_VAR_DIRS = ("group_vars", "host_vars")
_PLUGIN_CONFIGS = (".yml", ".yaml", ".json")
_SETTING = {"inventory": "service.inventory_roots", "profiles": "service.profile_roots"}
_WHAT = {"inventory": "an inventory", "profiles": "a profile"}
_ROOTS = {"inventory": "inventory", "profiles": "profile"}


def _real(path: str) -> Path | None:
    try:
        real = Path(path).resolve(strict=True)
    except (OSError, ValueError, RuntimeError):  # missing, NUL byte, too long, symlink loop
        return None
    return real


def _under(real: Path, roots: Sequence[Path]) -> bool:
    return any(real == root or root in real.parents for root in roots)


def confine(schedule: str, key: str, path: str, roots: Sequence[Path]) -> str:
    """The real path of ``path`` when it exists under one of ``roots``; else one ScheduleError for all cases."""
    real = _real(path) if path.strip() else None
    if real is None or not _under(real, [r.resolve() for r in roots]):
        hint = "ask the administrator for the allowed paths" if roots else "none are configured, so the API takes none"
        raise ScheduleError(schedule, f"{path!r} is not {_WHAT[key]} under the server's {_ROOTS[key]} roots "
                            f"({_SETTING[key]} in patrol.yml); {hint}", key=key)  # fmt: skip
    return str(real)


def _inventory_files(source: Path) -> Iterator[Path]:
    """Every file ansible would read as an inventory source under ``source`` (symlinked folders followed,
    as ansible does; each real folder once)."""
    if not source.is_dir():
        yield source
        return
    seen: set[Path] = set()
    for folder, dirs, files in os.walk(source, followlinks=True):
        real = Path(folder).resolve()
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if d not in _VAR_DIRS and not d.startswith("."))
        yield from (Path(folder) / f for f in sorted(files) if not f.startswith("."))


def _runs_code(path: Path) -> str | None:
    """Why ansible would run code for ``path`` as an inventory source, or None for a static file."""
    mode = path.stat().st_mode
    if stat.S_ISREG(mode) and mode & 0o111:
        return "an executable file (ansible would run it as an inventory script)"
    if path.suffix in _PLUGIN_CONFIGS:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return None  # ansible's yaml plugin reports it at run time
        if isinstance(data, dict) and "plugin" in data:
            return "an inventory plugin config (top-level 'plugin:')"
    return None


def static_inventory(schedule: str, source: str) -> None:
    """Refuse an inventory source (file or folder) that would make ansible run code to read it."""
    for path in _inventory_files(Path(source)):
        if why := _runs_code(path):
            raise ScheduleError(schedule, f"{str(path)!r} is {why}: API schedules take static YAML/INI inventories "
                                "unless service.inventory_plugins is true in patrol.yml", key="inventory")  # fmt: skip


def check_api_schedule(settings: Settings, schedule: str, inventory: Sequence[str],
                       profiles: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:  # fmt: skip
    """Inventories and profiles of an API schedule confined to the roots (real paths); ScheduleError otherwise."""
    inventories = tuple(confine(schedule, "inventory", p, settings.inventory_roots) for p in inventory)
    confined = tuple(confine(schedule, "profiles", p, settings.profile_roots) for p in profiles)
    if not settings.inventory_plugins:
        for source in inventories:
            static_inventory(schedule, source)
    return inventories, confined
