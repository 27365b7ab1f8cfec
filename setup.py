"""Build hook: the wheel carries the top-level data folders as ``patrol/_data/<folder>``.

Metadata, dependencies and entry points are in ``setup.cfg``. The folders users edit stay at
the top of the repository (``inspect/``, ``playbooks/`` …); a non-editable build copies them
into the package so that :mod:`patrol.paths` finds them with ``importlib.resources``. An
editable install copies nothing: the source tree is used as it is.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: top-level folder -> its place under patrol/_data/ (same relative path)
DATA_FOLDERS = ("inspect", "playbooks", "library", "reports/templates", "lab", "inventory/lab")
IGNORED = shutil.ignore_patterns(".state", "__pycache__", "*.pyc", ".*")


class BuildPyWithData(build_py):
    """``build_py`` that also copies :data:`DATA_FOLDERS` into ``build/lib/patrol/_data/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib, "patrol", "_data")
        for folder in DATA_FOLDERS:
            destination = target / folder
            shutil.rmtree(destination, ignore_errors=True)
            shutil.copytree(ROOT / folder, destination, ignore=IGNORED)


setup(cmdclass={"build_py": BuildPyWithData})
