"""Where patrol's bundled data lives (profiles, playbooks, modules, templates, lab)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["LAB_DIR", "LIBRARY_DIR", "PLAYBOOKS_DIR", "PROFILES_DIR", "PROJECT_ROOT", "TEMPLATES_DIR"]

#: The source tree (patrol is installed editable from it by ``make``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROFILES_DIR = PROJECT_ROOT / "inspect"
PLAYBOOKS_DIR = PROJECT_ROOT / "playbooks"
LIBRARY_DIR = PROJECT_ROOT / "library"
TEMPLATES_DIR = PROJECT_ROOT / "reports" / "templates"
LAB_DIR = PROJECT_ROOT / "lab"
