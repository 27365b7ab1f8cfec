"""Building a remediation plan from a finding, a ticket or a one-off playbook; nothing is contacted.

A check names its remediation in its profile, with the variables it takes from the finding::

    remediation:
      playbook: playbooks/remediate/ntp_servers.yml
      vars:
        ntp_servers: {evidence: expected}          # a key of the finding's evidence
        # also: {var: NAME, default: X} (host inventory variable), {finding: host|object|check_id}, literals

``plan_for_finding(store, "4be1c0")`` -> :class:`~patrol.remediate.model.Plan` with the playbook
validated (exists, parses as a list of plays), the variables resolved, the host resolved in the
same inventory sources the finding's run used. Bad input raises :class:`PlanError` naming the
argument, file or key and the fix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from patrol.checks import load_profiles
from patrol.errors import InventoryError, ProfileError
from patrol.inventory import Inventory, load_inventory
from patrol.models import Finding
from patrol.paths import PROFILES_DIR, PROJECT_ROOT
from patrol.remediate.errors import PlanError
from patrol.remediate.model import Plan
from patrol.store import Store
from patrol.store import schema as t
from patrol.store.rows import finding_from_row

__all__ = ["find_finding", "plan_for_finding", "plan_for_playbook", "resolve_path", "resolve_vars", "validate_playbook"]


def resolve_path(path: str) -> str:
    """An existing path as given (cwd) or under the project root, absolute; else as given."""
    for candidate in (Path(path), PROJECT_ROOT / path):
        if candidate.exists():
            return str(candidate.resolve())
    return path


def validate_playbook(path: str, what: str = "--playbook") -> tuple[str, str]:
    """``(absolute path, sha256 of its content)``; :class:`PlanError` if missing or not a playbook."""
    resolved = Path(resolve_path(path))
    if not resolved.is_file():
        shipped = ", ".join(sorted(p.name for p in (PROJECT_ROOT / "playbooks" / "remediate").glob("[!_]*.yml")))
        raise PlanError(what, f"playbook {path} does not exist; shipped remediation playbooks: {shipped}")
    text = resolved.read_text(encoding="utf-8")
    try:
        plays = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PlanError(what, f"playbook {path}{where} does not parse: {exc.problem}; fix the YAML there") from exc
    except yaml.YAMLError as exc:
        raise PlanError(what, f"playbook {path} does not parse: {exc}") from exc
    if not isinstance(plays, list) or not plays or not all(isinstance(p, dict) and "hosts" in p for p in plays):
        raise PlanError(what, f"{path} is not a playbook: expected a list of plays, each with 'hosts:' and 'tasks:'")
    return str(resolved), hashlib.sha256(text.encode()).hexdigest()


def resolve_vars(spec: Mapping[str, Any], finding: Finding | None, host_vars: Mapping[str, Any]) -> dict[str, Any]:
    """The remediation's variables with ``{evidence: K}``, ``{var: N}`` and ``{finding: F}`` resolved."""
    return {name: _resolve(name, value, finding, host_vars) for name, value in spec.items()}


def _resolve(name: str, value: Any, finding: Finding | None, host_vars: Mapping[str, Any]) -> Any:
    if not isinstance(value, dict) or not ({"evidence", "var", "finding"} & set(value)):
        return value
    if "var" in value:
        if value["var"] in host_vars:
            return host_vars[value["var"]]
        if "default" in value:
            return value["default"]
        raise PlanError(f"remediation.vars.{name}", f"host variable {value['var']!r} is not set in the inventory")
    if finding is None:
        raise PlanError(
            f"remediation.vars.{name}", "takes its value from a finding: remediate the finding, not --playbook"
        )
    if "evidence" in value:
        if value["evidence"] not in finding.evidence:
            raise PlanError(
                f"remediation.vars.{name}",
                f"the finding's evidence has no {value['evidence']!r} "
                f"(it has {', '.join(sorted(finding.evidence)) or 'nothing'})",
            )
        return finding.evidence[value["evidence"]]
    return getattr(finding, str(value["finding"]))


def find_finding(store: Store, ref: str) -> Finding:
    """The newest occurrence of finding ``ref``: a fingerprint (or unique prefix) or a finding row id."""
    f, runs = t.findings.c, t.runs.c
    query = select(t.findings).join(t.runs, runs.id == f.run_id).order_by(runs.started_at.desc(), f.id.desc())
    with store.read() as conn:
        if ref.isdigit():
            rows = conn.execute(query.where(f.id == int(ref))).all()
        else:
            rows = conn.execute(query.where(f.fingerprint.startswith(ref.strip().lower(), autoescape=True))).all()
    prints = {r.fingerprint for r in rows}
    if len(prints) > 1:
        raise PlanError("FINDING", f"{ref!r} matches {len(prints)} findings; give more of the fingerprint")
    if not rows:
        raise PlanError("FINDING", f"no finding {ref!r}: use a fingerprint or id from `patrol findings --json`")
    return finding_from_row(rows[0])


def _inventory(sources: Sequence[str], limit: str, vault: str | None) -> Inventory:
    try:
        return load_inventory([resolve_path(s) for s in sources], limit=limit, vault_password_file=vault)
    except InventoryError as exc:
        raise PlanError("--limit", f"{exc} (nothing was changed)") from exc


def plan_for_finding(
    store: Store, ref: str, *, vault_password_file: str | None = None, ticket_id: int | None = None
) -> Plan:
    """The plan that remediates finding ``ref`` with its check's remediation playbook."""
    finding = find_finding(store, ref)
    if not finding.remediation:
        raise PlanError(
            f"finding {finding.fingerprint}",
            f"check {finding.check_id} names no remediation playbook: "
            "add `remediation: {playbook: ...}` to the check in inspect/, or run a one-off with "
            "--playbook and --limit",
        )
    info = store.run_info(finding.run_id)
    playbook, sha = validate_playbook(str(finding.remediation["playbook"]), f"check {finding.check_id}: remediation")
    inventory = _inventory(info["inventory"], finding.host, vault_password_file)
    variables = resolve_vars(finding.remediation.get("vars") or {}, finding, inventory.hosts[0].vars)
    return Plan(
        playbook=playbook,
        playbook_sha=sha,
        vars=variables,
        hosts=(finding.host,),
        inventory=tuple(resolve_path(s) for s in info["inventory"]),
        vault_password_file=vault_password_file,
        profiles=tuple(resolve_path(p) for p in info["profiles"]),
        source="ticket" if ticket_id else "finding",
        fingerprint=finding.fingerprint,
        finding_run_id=finding.run_id,
        check_ids=(finding.check_id,),
        severity=finding.severity.value,
        ticket_id=ticket_id,
    )


def plan_for_playbook(
    playbook: str,
    limit: str,
    *,
    inventory: Sequence[str],
    profiles: Sequence[str] = (),
    variables: Mapping[str, Any] | None = None,
    vault_password_file: str | None = None,
) -> Plan:
    """A one-off plan: ``playbook`` on the hosts ``limit`` matches; checks naming it are verified."""
    path, sha = validate_playbook(playbook)
    resolved = _inventory(inventory, limit, vault_password_file)
    profile_paths = tuple(resolve_path(p) for p in (profiles or [str(PROFILES_DIR)]))
    try:
        checks = load_profiles(profile_paths).checks
    except ProfileError as exc:
        raise PlanError("--profile", str(exc)) from exc
    check_ids = tuple(c.id for c in checks if c.remediation and resolve_path(c.remediation.playbook) == path)
    return Plan(
        playbook=path,
        playbook_sha=sha,
        vars=dict(variables or {}),
        hosts=tuple(h.name for h in resolved.hosts),
        inventory=tuple(resolve_path(s) for s in inventory),
        vault_password_file=vault_password_file,
        profiles=profile_paths,
        source="playbook",
        check_ids=check_ids,
    )
