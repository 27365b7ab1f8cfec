"""The approval rule and the plan identity that ties an apply to its preview (pure functions)."""

from __future__ import annotations

import pytest

from patrol.errors import ConfigError
from patrol.remediate import Plan, Policy


def plan(severity: str | None, hosts: int = 1, **extra: object) -> Plan:
    return Plan(
        playbook="/p.yml",
        playbook_sha="s",
        hosts=tuple(f"h{i}" for i in range(hosts)),
        inventory=("/inv",),
        severity=severity,
        **extra,
    )


def test_second_approver_for_critical_and_network_wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATROL_SECOND_APPROVER", raising=False)
    policy = Policy.from_env()
    assert policy.approvers_needed(plan("critical")) == (2, "critical-priority finding")
    assert policy.approvers_needed(plan(None, hosts=5)) == (2, "network-wide change (5 hosts)")
    assert policy.approvers_needed(plan("urgent", hosts=4))[0] == 1
    monkeypatch.setenv("PATROL_SECOND_APPROVER", "none")
    assert Policy.from_env().approvers_needed(plan("critical", hosts=9))[0] == 1
    monkeypatch.setenv("PATROL_SECOND_APPROVER", "critcal")
    with pytest.raises(ConfigError, match=r"unknown rule.*critcal"):
        Policy.from_env()


def test_plan_digest_changes_with_playbook_vars_or_hosts_only() -> None:
    base = plan("normal", vars={"ntp_servers": ["192.0.2.1"]})
    assert base.digest == plan("critical", vars={"ntp_servers": ["192.0.2.1"]}).digest
    assert base.digest != plan("normal", vars={"ntp_servers": ["192.0.2.2"]}).digest
    assert base.digest != plan("normal", hosts=2, vars={"ntp_servers": ["192.0.2.1"]}).digest
