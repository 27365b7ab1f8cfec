"""The shipped profiles (inspect/) on snapshots reproducing the lab's seeded faults.

Every seeded fault must be reported and nothing else may fail; an uninspected host yields a
coverage-gap finding and ``not_evaluated`` (never ``pass``) for each applicable check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from patrol.checks import evaluate, findings_for, load_profiles
from patrol.models import HostResult, Outcome, Severity
from patrol.paths import PROFILES_DIR

from .conftest import LAB_FIXTURES, LAB_NOW, lab_case, make_host, make_snapshot

PROFILES = load_profiles([PROFILES_DIR])
EXPECTED: dict[str, list[str]] = yaml.safe_load((LAB_FIXTURES / "expected.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", sorted(LAB_FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_lab_host_fails_exactly_its_seeded_faults(path: Path) -> None:
    host, snapshot, status, error = lab_case(path)
    results = evaluate(PROFILES, host, snapshot, status, now=LAB_NOW)
    failed = sorted(f"{r.check_id} {r.object}".strip() for r in results if r.outcome is Outcome.FAIL)
    assert failed == sorted(EXPECTED[host.name])
    errors = [r for r in results if r.outcome is Outcome.ERROR]
    assert errors == []
    findings = findings_for(
        "run1",
        host,
        results,
        PROFILES,
        HostResult(host=host.name, status=status, collector=host.collector, error=error, snapshot=snapshot),
    )
    assert sorted(f"{f.check_id} {f.object}".strip() for f in findings) == failed
    assert all(f.domain == host.device_class and f.title_en and f.title_zh for f in findings)


def test_every_host_of_the_lab_has_a_fixture() -> None:
    assert set(EXPECTED) == {p.stem for p in LAB_FIXTURES.glob("*.json")}


def test_severities_of_seeded_faults() -> None:
    severity = {c.id: c.severity for c in PROFILES.checks}
    assert severity["net.telnet.disabled"] is Severity.CRITICAL
    assert severity["sec.telnet.disabled"] is Severity.CRITICAL
    assert severity["stor.volume.used_urgent"] is Severity.URGENT
    assert severity["stor.volume.used_critical"] is Severity.CRITICAL


def test_uninspected_host_is_never_pass_and_gets_a_coverage_finding() -> None:
    host, snapshot, status, error = lab_case(LAB_FIXTURES / "branch-sw9.json")
    results = evaluate(PROFILES, host, snapshot, status)
    assert {r.outcome for r in results if r.check_id != "coverage.not_inspected"} == {Outcome.NOT_EVALUATED}
    assert len(results) == 1 + len(PROFILES.for_host(host))
    result = HostResult(host=host.name, status=status, collector="netmiko", error=error)
    (gap,) = findings_for("run1", host, results, PROFILES, result)
    assert (gap.check_id, gap.severity, gap.domain.value) == ("coverage.not_inspected", Severity.URGENT, "network")
    assert gap.message == "branch-sw9 was not inspected (unreachable: connection refused by 127.0.0.1:6099)"
    assert gap.title_zh == "設備未能巡檢"


def test_missing_inventory_variable_is_an_error_not_a_pass() -> None:
    host = make_host()  # no patrol_expected_ntp_servers
    snapshot = make_snapshot(security={"ntp_servers": ["192.0.2.123"]})
    results = {
        r.check_id: r for r in evaluate(PROFILES, host, snapshot, status=lab_case(LAB_FIXTURES / "core-sw2.json")[2])
    }
    ntp = results["net.ntp.servers"]
    assert ntp.outcome is Outcome.ERROR
    assert "inventory variable 'patrol_expected_ntp_servers' is not set" in ntp.message


def test_empty_snapshot_is_not_applicable_never_pass() -> None:
    host = make_host(vars={"patrol_expected_ntp_servers": ["192.0.2.123"]})
    results = evaluate(PROFILES, host, make_snapshot(), lab_case(LAB_FIXTURES / "core-sw2.json")[2])
    outcomes = {r.outcome for r in results if r.check_id != "coverage.not_inspected"}
    assert outcomes == {Outcome.NOT_APPLICABLE}


def test_remediation_is_carried_into_findings() -> None:
    host, snapshot, status, _ = lab_case(LAB_FIXTURES / "core-sw1.json")
    findings = findings_for("r", host, evaluate(PROFILES, host, snapshot, status, now=LAB_NOW), PROFILES)
    ntp = next(f for f in findings if f.check_id == "net.ntp.servers")
    assert ntp.remediation == {
        "playbook": "playbooks/remediate/ntp_servers.yml",
        "vars": {"ntp_servers": {"evidence": "expected"}},
    }
    assert ntp.evidence["missing"] == ["192.0.2.123", "192.0.2.124"]
