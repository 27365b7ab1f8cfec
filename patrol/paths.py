"""Where patrol's shipped data lives (profiles, playbooks, modules, templates, lab), and which
folder of the user's overrides it.

The shipped folders keep one layout, rooted at :data:`PROJECT_ROOT`::

    inspect/  playbooks/  library/  reports/templates/  lab/  inventory/lab/

* a source checkout (``make install`` installs it editable): the repository itself, whose
  top-level folders are the ones users edit;
* an installed wheel: the package ``patrol._data``, found with :mod:`importlib.resources`
  (``setup.py`` copies the folders in at build time).

Overrides, resolved once when patrol is imported (the CLI's working directory):

* profiles (:data:`PROFILES_DIR`): ``$PATROL_PROFILES``, else ``./inspect`` when the working
  directory has one (``patrol init`` writes it), else the shipped folder. The folder replaces the
  shipped one as a whole (its ``drift.yml``, ``noise/``, ``service.yml`` … too); ``-p`` names
  profiles for one command;
* report templates: ``$PATROL_TEMPLATES`` first, file by file (:mod:`patrol.report.html`);
* the lab's runtime files (:data:`LAB_STATE_DIR`): ``$PATROL_LAB_STATE``, else ``lab/.state`` in
  a source checkout, else ``$XDG_STATE_HOME/patrol/lab`` (``~/.local/state/patrol/lab``): never
  inside the installed package.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

__all__ = [
    "LAB_DIR",
    "LAB_STATE_DIR",
    "LIBRARY_DIR",
    "PLAYBOOKS_DIR",
    "PROFILES_DIR",
    "PROJECT_ROOT",
    "SHIPPED_PROFILES_DIR",
    "SOURCE_CHECKOUT",
    "TEMPLATES_DIR",
]

_SOURCE = Path(__file__).resolve().parent.parent
#: True when patrol runs from its repository (editable install): the top-level folders win.
SOURCE_CHECKOUT = (_SOURCE / "inspect").is_dir() and (_SOURCE / "playbooks").is_dir()


def _shipped_root() -> Path:
    """The packaged copy: ``patrol/_data`` of an installed wheel (a real folder, not a zip)."""
    return Path(str(files("patrol._data")))


#: Root of the shipped folders: the repository, or ``patrol/_data`` of an installed wheel.
PROJECT_ROOT = _SOURCE if SOURCE_CHECKOUT else _shipped_root()
SHIPPED_PROFILES_DIR = PROJECT_ROOT / "inspect"
PLAYBOOKS_DIR = PROJECT_ROOT / "playbooks"
LIBRARY_DIR = PROJECT_ROOT / "library"
TEMPLATES_DIR = PROJECT_ROOT / "reports" / "templates"
LAB_DIR = PROJECT_ROOT / "lab"


def _profiles_dir() -> Path:
    given = os.environ.get("PATROL_PROFILES")
    if given:
        return Path(given).expanduser().absolute()
    try:
        own = Path.cwd() / "inspect"
    except FileNotFoundError:  # the working directory was removed
        return SHIPPED_PROFILES_DIR
    return own if own.is_dir() else SHIPPED_PROFILES_DIR


def _lab_state_dir() -> Path:
    given = os.environ.get("PATROL_LAB_STATE")
    if given:
        return Path(given).expanduser().absolute()
    if SOURCE_CHECKOUT:
        return LAB_DIR / ".state"
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home).expanduser().absolute() / "patrol" / "lab"


#: The profiles (and drift/noise/proposal rules, service contract, schedules) used by default.
PROFILES_DIR = _profiles_dir()
#: Keys, pid files, rendered configs and state.json of the running lab (one lab per machine).
LAB_STATE_DIR = _lab_state_dir()
