"""What the drift commands do, without printing: bulk approval, golden templates, drift of a stored run.

::

    approve_hosts(store, run_id, hosts=None, group="access", reason="...", approved_by="alice")
    template_baseline(store, Path("inspect/golden/ios-base.j2"), inventory, group="core", host=None, ...)
    stored_drift(store, data, run_id, host=None)   # -> [(HostRow, HostDrift, findings)]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from patrol.drift.baselines import Baseline, approve_snapshot, approve_template, effective
from patrol.drift.engine import DriftData, HostDrift, drift_results, host_drift
from patrol.drift.golden import load_template
from patrol.errors import NotFoundError
from patrol.inventory import Inventory
from patrol.models import DeviceClass, Finding, Host
from patrol.redact import redact_text
from patrol.store import HostRow, Store

__all__ = ["approve_hosts", "group_members", "stored_drift", "template_baseline"]


def approve_hosts(
    store: Store, run_id: str, *, hosts: Sequence[str] | None, group: str | None, reason: str, approved_by: str,
    as_group: str | None = None,
) -> list[Baseline]:  # fmt: skip
    """Promote snapshots of ``run_id``: the named hosts, every inspected member of ``group``, or all.

    With ``as_group`` the one named host's snapshot becomes that group's baseline. Every host is
    checked before anything is stored, so a bad name stores nothing.
    """
    rows = store.host_results(run_id)
    if hosts:
        chosen = list(hosts)
    elif group is not None:
        chosen = [r.host for r in rows if group in r.groups and r.inspected]
        if not chosen:
            known = sorted({g for r in rows for g in r.groups})
            raise NotFoundError("inspected member of group", group, f"groups in run {run_id}: {', '.join(known)}")
    else:
        chosen = [r.host for r in rows if r.inspected]
    _require_snapshots(store, run_id, rows, chosen)
    return [
        approve_snapshot(store, run_id=run_id, host=h, reason=reason, approved_by=approved_by, group=as_group)
        for h in chosen
    ]


def _require_snapshots(store: Store, run_id: str, rows: list[HostRow], hosts: Sequence[str]) -> None:
    known = {r.host: r for r in rows}
    for host in hosts:
        if host not in known or store.snapshot(run_id, host) is None:
            inspected = ", ".join(sorted(h for h, r in known.items() if r.inspected)) or "none"
            raise NotFoundError("host", host, f"no snapshot of it in run {run_id}; inspected hosts: {inspected}")


def group_members(inventory: Inventory, group: str | None, host: str | None) -> list[Host]:
    """The inventory hosts a template applies to; :class:`NotFoundError` naming the known ones."""
    if host is not None:
        found = [h for h in inventory.hosts if h.name == host]
        if not found:
            raise NotFoundError("host", host, f"not in inventory {', '.join(inventory.sources)}")
        return found
    members = [h for h in inventory.hosts if group in h.groups]
    if not members:
        known = sorted({g for h in inventory.hosts for g in h.groups})
        raise NotFoundError("group", str(group), f"no host of the inventory is in it; groups: {', '.join(known)}")
    return members


def template_baseline(
    store: Store, path: Path, inventory: Inventory, *, group: str | None, host: str | None, reason: str,
    approved_by: str,
) -> tuple[Baseline, dict[str, str]]:  # fmt: skip
    """Render ``path`` for every member (all must render, else nothing is stored) and approve it."""
    template = load_template(path)
    members = group_members(inventory, group, host)
    rendered = {h.name: redact_text(template.render(h.name, h.vars)) for h in members}
    baseline = approve_template(
        store, scope="host" if host else "group", target=host or str(group), template_path=str(path),
        template=template.source, template_sha256=template.sha256, rendered=rendered, reason=reason,
        approved_by=approved_by,
    )  # fmt: skip
    return baseline, rendered


def stored_drift(
    store: Store, data: DriftData, run_id: str, host: str | None = None
) -> list[tuple[HostRow, HostDrift, list[Finding]]]:
    """Drift of each inspected host of a stored run against the baselines in force now.

    A golden template uses the rendering stored at its approval (``patrol run`` renders it
    with the inventory's current variables).
    """
    rows = store.host_results(run_id)
    if host is not None:
        rows = [r for r in rows if r.host == host]
        if not rows:
            raise NotFoundError("host", host, f"not in run {run_id}; `patrol show {run_id}` lists its hosts")
    result = []
    for row in rows:
        snapshot = store.snapshot(run_id, row.host)
        if snapshot is None:
            continue
        baseline = effective(store, row.host, row.groups, "snapshot")
        golden = effective(store, row.host, row.groups, "template")
        rendered = (golden.rendered or {}).get(row.host) if golden else None
        drift = host_drift(data, snapshot, baseline, golden, rendered)
        if golden is not None and rendered is None:
            drift.notes.append(f"golden {golden.label} has no rendering for {row.host}: `patrol run` renders it")
        _, findings = drift_results(run_id, row.host, row.device_class or DeviceClass(snapshot.device_class),
                                    drift, data.rules)  # fmt: skip
        result.append((row, drift, findings))
    return result
