"""How many hosts the bundled lab inventory (inventory/lab/hosts.yml) has and how many a run inspects.

One place for the counts the end-to-end tests assert ("22/23 hosts inspected"): a helper that adds
lab hosts changes them here.
"""

from __future__ import annotations

#: every host of inventory/lab/hosts.yml
LAB_HOSTS = 24
#: seeded gap: nothing listens for it
UNREACHABLE_HOSTS = frozenset({"branch-sw9"})
#: served by lab components that start only as root (sshd in network namespaces, nginx + app, the
#: PostgreSQL / MariaDB / Redis servers)
ROOT_ONLY_HOSTS = frozenset({"web1", "db1", "app-web", "app-api", "pg1", "pg2", "mariadb1", "redis1"})


def lab_inspected(is_root: bool) -> int:
    """Hosts a run over the lab inspects: all but the seeded gap (and, not root, the root-only ones)."""
    return LAB_HOSTS - len(UNREACHABLE_HOSTS) - (0 if is_root else len(ROOT_ONLY_HOSTS))


def lab_coverage_line(is_root: bool) -> str:
    """What ``patrol run`` prints about coverage over the lab, e.g. ``14/15 hosts inspected``."""
    return f"{lab_inspected(is_root)}/{LAB_HOSTS} hosts inspected"
