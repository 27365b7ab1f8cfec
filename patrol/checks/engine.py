"""Evaluate the loaded profiles on one host's snapshot, and turn failures into findings.

``evaluate`` returns one :class:`~patrol.models.CheckResult` per applicable check and object,
plus the built-in ``coverage.not_inspected`` result (``pass`` when the host was inspected,
``fail`` when not), so a coverage gap is tracked and auto-resolved like any other check.
A host that was not inspected gets ``not_evaluated`` for every applicable check — never
``pass``. A check that raises (bad data, a missing inventory variable) gives ``error``.

``findings_for`` makes one :class:`~patrol.models.Finding` per ``fail`` result::

    Finding(run_id="20261126-020003-9f3a", host="core-sw1", check_id="net.ntp.servers", object="",
            severity="urgent", domain="network",
            title_en="NTP servers are not the agreed ones; they must be exactly the agreed servers",
            title_zh="NTP 伺服器與約定不一致；必須與約定的伺服器完全相同",   # the check's problem text
            message="security.ntp_servers is ['192.0.2.99'], expected equals [...]: missing [...]",
            evidence={"actual": [...], "expected": [...], "missing": [...], "extra": [...]},
            remediation={"playbook": "playbooks/remediate/ntp.yml", "vars": {}})
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from patrol.checks.fields import CheckContext, MissingVarError, Verdict
from patrol.checks.profile import COVERAGE_CHECK, Check, ProfileSet
from patrol.models import (
    CheckResult,
    Finding,
    Host,
    HostResult,
    HostStatus,
    Outcome,
    Snapshot,
    utcnow,
)

__all__ = ["evaluate", "findings_for"]

log = logging.getLogger(__name__)


def _coverage(host: Host, status: HostStatus, has_snapshot: bool, error: str | None) -> CheckResult:
    inspected = status.inspected and has_snapshot
    if inspected:
        return CheckResult(host=host.name, check_id=COVERAGE_CHECK.id, outcome=Outcome.PASS, message="inspected")
    reason = f"{status.value}: {error}" if error else status.value
    if status.inspected:
        reason = "collector reported ok but produced no snapshot"
    return CheckResult(
        host=host.name,
        check_id=COVERAGE_CHECK.id,
        outcome=Outcome.FAIL,
        message=f"{host.name} was not inspected ({reason})",
        evidence={"status": status.value, "error": error},
    )


def _run(check: Check, ctx: CheckContext, host: str) -> list[Verdict]:
    if check.kind is None:
        return []
    try:
        return check.kind.evaluate(ctx)
    except MissingVarError as exc:
        return [Verdict("", Outcome.ERROR, str(exc), {"var": exc.name})]
    except Exception as exc:  # a kind's bug or odd data must not lose the host's other checks
        log.warning("check %s on %s raised %s: %s", check.id, host, type(exc).__name__, exc, exc_info=True)
        return [Verdict("", Outcome.ERROR, f"check could not be evaluated: {type(exc).__name__}: {exc}", {})]


def evaluate(
    profiles: ProfileSet,
    host: Host,
    snapshot: Snapshot | None,
    status: HostStatus,
    *,
    error: str | None = None,
    now: datetime | None = None,
) -> list[CheckResult]:
    """Results of every check that applies to ``host`` (``now`` is for tests; default: current time)."""
    checks = profiles.for_host(host)
    results = [_coverage(host, status, snapshot is not None, error)]
    if snapshot is None or not status.inspected:
        note = f"host not inspected ({status.value})"
        return results + [
            CheckResult(host=host.name, check_id=c.id, outcome=Outcome.NOT_EVALUATED, message=note) for c in checks
        ]
    ctx = CheckContext(snapshot=snapshot.model_dump(), vars=host.vars, now=now or utcnow())
    for check in checks:
        results.extend(
            CheckResult(
                host=host.name,
                check_id=check.id,
                object=v.object,
                outcome=v.outcome,
                message=v.message,
                evidence=v.evidence,
            )
            for v in _run(check, ctx, host.name)
        )
    return results


def _finding(run_id: str, host: Host, result: CheckResult, check: Check) -> Finding:
    return Finding(
        run_id=run_id,
        host=host.name,
        check_id=check.id,
        object=result.object,
        severity=check.severity,
        domain=host.device_class,
        title_en=check.problem("en", result.evidence, result.object),
        title_zh=check.problem("zh", result.evidence, result.object),
        message=result.message,
        evidence=result.evidence,
        remediation=check.remediation.model_dump() if check.remediation else None,
    )


def findings_for(
    run_id: str,
    host: Host,
    results: Sequence[CheckResult],
    profiles: ProfileSet,
    host_result: HostResult | None = None,
) -> list[Finding]:
    """One finding per failed result; ``host_result`` (if given) adds its error to a coverage gap."""
    findings = []
    for result in results:
        if result.outcome is not Outcome.FAIL:
            continue
        check = profiles.get(result.check_id)
        if check is None:
            log.warning("result of unknown check %s on %s ignored", result.check_id, host.name)
            continue
        if check is COVERAGE_CHECK and host_result is not None:
            result = _coverage(host, host_result.status, host_result.snapshot is not None, host_result.error)
        findings.append(_finding(run_id, host, result, check))
    return findings
