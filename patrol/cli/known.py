"""What the user may name on the command line: hosts, groups and check ids patrol knows.

A host or group is known when a run saw it (the store) or, with ``-i``, when the inventory has it;
a check id when a profile defines it (or a run reported it: drift and coverage checks). A name
that is not known is refused everywhere the same way, with the close matches (difflib)::

    no host 'core-sw3': no run has seen it; did you mean core-sw1, core-sw2? (known: 6 hosts, see `patrol runs`)
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from patrol.errors import NotFoundError
from patrol.store import Store
from patrol.store import schema as t

__all__ = ["Known", "close_matches", "known_checks", "known_hosts", "require_host"]


def close_matches(name: str, candidates: Collection[str], count: int = 3) -> str:
    """``"; did you mean a, b?"`` or ``""``."""
    found = difflib.get_close_matches(name, list(candidates), n=count, cutoff=0.6)
    return f"; did you mean {', '.join(found)}?" if found else ""


@dataclass
class Known:
    """Hosts and groups known to the store (seen in runs) or to an inventory."""

    hosts: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    source: str = "no run has seen it"

    def unknown_host(self, host: str, option: str = "host") -> NotFoundError:
        where = f"{len(self.hosts)} hosts known" if self.hosts else "no host known yet"
        hint = f"{self.source}{close_matches(host, self.hosts)} ({where})"
        return NotFoundError(option, host, hint)

    def unknown_group(self, group: str) -> NotFoundError:
        listed = ", ".join(sorted(self.groups)[:12]) or "none known yet"
        return NotFoundError("group", group, f"{self.source}{close_matches(group, self.groups)} (groups: {listed})")


def known_hosts(store: Store) -> Known:
    """Every host a run has seen, and every group those hosts were in."""
    hr = t.host_results.c
    with store.read() as conn:
        rows = conn.execute(select(hr.host, hr.groups).distinct()).all()
    known = Known(source="no run has seen it")
    for row in rows:
        known.hosts.add(row.host)
        known.groups.update(row.groups or ())
    return known


def inventory_hosts(sources: Sequence[str], vault_password_file: str | None = None) -> Known:
    from patrol.inventory import load_inventory

    inventory = load_inventory(sources, vault_password_file=vault_password_file)
    known = Known(source=f"not in the inventory {', '.join(sources)}")
    for host in inventory.hosts:
        known.hosts.add(host.name)
        known.groups.update(host.groups)
    return known


def require_host(store: Store, host: str | None) -> None:
    """Refuse a ``--host`` no run has seen (the same answer as ``show``/``drift``), with close matches."""
    if host is None:
        return
    known = known_hosts(store)
    if host not in known.hosts:
        raise known.unknown_host(host)


def known_checks(store: Store, profiles: Sequence[str | Path]) -> set[str]:
    """Check ids the profiles define, plus those runs reported (drift, coverage)."""
    from patrol.checks.profile import COVERAGE_CHECK, load_profiles

    ids = {check.id for check in load_profiles(profiles).checks} | {COVERAGE_CHECK.id}
    with store.read() as conn:
        ids.update(conn.execute(select(t.findings.c.check_id).distinct()).scalars())
    return ids
