"""``patrol init DIR``: a project folder to work from, made from the shipped data.

Layout written (``DIR`` is created when missing)::

    DIR/README.md                 what each file is for, the first commands
    DIR/patrol.yml                settings read from the working directory (home, db, forks …)
    DIR/inventory/                the lab's inventory as an example: hosts.yml, group_vars/,
                                  host_vars/ and vault-password.txt (lab-only secrets)
    DIR/inspect/                  a copy of the shipped profiles to edit; run from DIR, it replaces
                                  the shipped folder (profiles, drift.yml, noise/, golden/,
                                  proposals.yml, schedules.yml and service.yml: the contract)

The example inventory names the lab's runtime folder (:data:`~patrol.paths.LAB_STATE_DIR`) as an
absolute ``patrol_lab_state``, so ``patrol run -i DIR/inventory`` works from any folder.

Running it again is safe: files that already hold what would be written are left alone, and a
file that differs is never overwritten without ``force`` (:class:`ProjectFileError` lists them
all, nothing is written).
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from patrol.errors import ConfigError
from patrol.paths import LAB_STATE_DIR, PROJECT_ROOT, SHIPPED_PROFILES_DIR

__all__ = ["ProjectFileError", "Scaffold", "planned_files", "scaffold"]

_LAB_STATE_LINE = re.compile(r"^patrol_lab_state:.*$", re.M)
_SKIPPED = ("__pycache__", ".state")

PATROL_YML = """\
# patrol settings for this folder, read when patrol runs here ($PATROL_CONFIG names another file).
# Each setting: command-line option, then environment variable, then this file, then the default.
home: .patrol                  # store, run artifacts and reports  [--home, PATROL_HOME]
# db: postgresql+psycopg://patrol@db.example.net/patrol   # [--db, PATROL_DB; default HOME/patrol.db]
forks: 50                      # concurrent sessions per collector [PATROL_FORKS]
connect_timeout: 10            # seconds [PATROL_CONNECT_TIMEOUT]
command_timeout: 30            # seconds [PATROL_COMMAND_TIMEOUT]
"""

README = """\
# A patrol project folder

Made by `patrol init`. Run patrol from this folder: `./inspect` then replaces the shipped
profiles and `./patrol.yml` holds the settings.

| file | what it is |
| --- | --- |
| `inventory/` | an Ansible inventory: the emulated lab's, as an example to copy for your devices |
| `inventory/vault-password.txt` | the lab's vault password (lab-only secrets; keep yours outside the folder) |
| `inspect/` | profiles (`network.yml` …), drift and noise rules, proposal rules, schedules: `inspect/README.md` |
| `inspect/service.yml` | the service contract: SLA clocks, person in charge, notification targets |
| `patrol.yml` | settings: state folder, database, forks, timeouts |

Try it against the emulated lab (`pip install 'patrol[lab]'`):

    patrol lab up
    patrol run -i inventory --vault-password-file inventory/vault-password.txt
    patrol lab down
"""


class ProjectFileError(ConfigError):
    """``patrol init`` would overwrite files that differ; ``paths`` lists them."""

    def __init__(self, folder: Path, paths: list[Path]) -> None:
        shown = ", ".join(str(p.relative_to(folder)) for p in paths)
        super().__init__(f"{folder}: {len(paths)} file(s) differ from the scaffold and would be overwritten: "
                         f"{shown}; keep them, or give --force to replace them", key=str(folder))  # fmt: skip
        self.folder = folder
        self.paths = paths


@dataclass
class Scaffold:
    """What :func:`scaffold` did, paths relative to ``folder``."""

    folder: Path
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)


def _tree(source: Path, prefix: str) -> dict[str, bytes]:
    files = {}
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_file() and not any(part in _SKIPPED for part in relative.parts):
            files[f"{prefix}/{relative.as_posix()}"] = path.read_bytes()
    return files


def _example_inventory() -> dict[str, bytes]:
    files = _tree(PROJECT_ROOT / "inventory" / "lab", "inventory")
    all_vars = files["inventory/group_vars/all.yml"].decode()
    line = f'patrol_lab_state: "{LAB_STATE_DIR}"'
    if _LAB_STATE_LINE.search(all_vars):
        all_vars = _LAB_STATE_LINE.sub(lambda _: line, all_vars)
    else:
        all_vars += line + "\n"
    files["inventory/group_vars/all.yml"] = all_vars.encode()
    return files


def planned_files() -> dict[str, bytes]:
    """Every file of the scaffold, by path relative to the project folder."""
    return {
        "README.md": README.encode(),
        "patrol.yml": PATROL_YML.encode(),
        **_example_inventory(),
        **_tree(SHIPPED_PROFILES_DIR, "inspect"),
    }


def _write(path: Path, data: bytes) -> None:
    """Atomically (temp file + rename); a password file readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o600 if "password" in path.name else 0o644)
    os.replace(tmp, path)


def scaffold(folder: Path, *, force: bool = False) -> Scaffold:
    """Write the project folder; :class:`ProjectFileError` (nothing written) if a file differs."""
    files = {folder / name: data for name, data in planned_files().items()}
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} exists and is not a folder: name a new or existing folder", key=str(folder))
    blocked = [str(p) for p in files if p.exists() and not p.is_file()]
    if blocked:
        raise ConfigError(f"{', '.join(blocked)}: not a file where patrol init writes one; move it", key=blocked[0])
    differing = [p for p, data in files.items() if p.exists() and p.read_bytes() != data]
    if differing and not force:
        raise ProjectFileError(folder, differing)
    result = Scaffold(folder)
    for path, data in files.items():
        if path.is_file() and path.read_bytes() == data:
            result.unchanged.append(path.relative_to(folder))
            continue
        _write(path, data)
        result.written.append(path.relative_to(folder))
    return result
