"""Each check kind on hand-built snapshots: pass, fail, and a missing field (never pass)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from patrol.checks.fields import CheckContext
from patrol.checks.kinds import (
    CertDaysCheck,
    ConfigLineCheck,
    EqualsCheck,
    InterfaceStateCheck,
    MembershipCheck,
    PresentCheck,
    ThresholdCheck,
)
from patrol.models import Outcome

from .conftest import make_snapshot

NOW = datetime(2026, 11, 26, tzinfo=UTC)
P, F, NA, E = Outcome.PASS, Outcome.FAIL, Outcome.NOT_APPLICABLE, Outcome.ERROR


def run(kind: Any, vars: dict[str, Any] | None = None, **snap: Any) -> list[tuple[str, Outcome, str]]:
    ctx = CheckContext(snapshot=make_snapshot(**snap).model_dump(), vars=vars or {}, now=NOW)
    return [(v.object, v.outcome, v.message) for v in kind.evaluate(ctx)]


def outcomes(kind: Any, vars: dict[str, Any] | None = None, **snap: Any) -> list[tuple[str, Outcome]]:
    return [(obj, outcome) for obj, outcome, _ in run(kind, vars, **snap)]


def res(name: str, pct: float, kind: str = "filesystem") -> dict[str, Any]:
    return {"kind": kind, "name": name, "capacity": 100.0, "used": pct}


DISK = ThresholdCheck.model_validate(
    {
        "objects": "resources",
        "where": {"kind": ["filesystem", "volume"]},
        "field": "used_percent",
        "op": "<",
        "limit": 85,
    }
)


def test_threshold_one_result_per_matching_object() -> None:
    got = run(DISK, resources=[res("/", 40), res("/vol/data", 92, "volume"), res("RAM", 99, "memory")])
    assert [(o, r) for o, r, _ in got] == [("/", P), ("/vol/data", F)]
    assert got[1][2] == "used_percent = 92, should be < 85"


def test_threshold_without_matching_objects_or_value_is_not_applicable() -> None:
    assert outcomes(DISK, resources=[res("RAM", 99, "memory")]) == [("", NA)]
    unknown = {"kind": "filesystem", "name": "/proc", "capacity": 0, "used": 0}
    assert outcomes(DISK, resources=[unknown]) == [("/proc", NA)]


def test_threshold_host_field_and_var_limit() -> None:
    check = ThresholdCheck.model_validate({"field": "security.any_any_rules", "op": "==", "limit": {"var": "max"}})
    assert outcomes(check, {"max": 0}, security={"any_any_rules": 0}) == [("", P)]
    assert outcomes(check, {"max": 0}, security={"any_any_rules": 2}) == [("", F)]
    assert outcomes(check, {"max": 0}, security={}) == [("", NA)]
    with pytest.raises(LookupError, match="inventory variable 'max' is not set"):
        run(check, {}, security={"any_any_rules": 0})


def test_threshold_non_number_is_error() -> None:
    check = ThresholdCheck.model_validate({"field": "security.any_any_rules", "op": "==", "limit": 0})
    assert outcomes(check, security={"any_any_rules": "many"}) == [("", E)]


def test_equals() -> None:
    check = EqualsCheck.model_validate({"field": "security.telnet_enabled", "expect": False})
    assert outcomes(check, security={"telnet_enabled": False}) == [("", P)]
    assert run(check, security={"telnet_enabled": True}) == [("", F, "security.telnet_enabled is True, expected False")]
    assert outcomes(check, security={}) == [("", NA)]
    strict = EqualsCheck.model_validate({"field": "security.telnet_enabled", "expect": False, "missing": "error"})
    assert outcomes(strict, security={}) == [("", E)]


NTP = MembershipCheck.model_validate({"field": "security.ntp_servers", "op": "equals", "values": {"var": "ntp"}})


def test_membership_equals_reports_missing_and_extra() -> None:
    vars = {"ntp": ["192.0.2.123", "192.0.2.124"]}
    assert outcomes(NTP, vars, security={"ntp_servers": ["192.0.2.124", "192.0.2.123"]}) == [("", P)]
    ((_, outcome, message),) = run(NTP, vars, security={"ntp_servers": ["192.0.2.99"]})
    assert outcome is F
    assert "missing ['192.0.2.123', '192.0.2.124']; extra ['192.0.2.99']" in message
    assert outcomes(NTP, vars, security={}) == [("", NA)]


def test_membership_subset_superset_and_values() -> None:
    uid0 = MembershipCheck.model_validate({"field": "security.uid0_users", "op": "subset", "values": ["root"]})
    assert outcomes(uid0, security={"uid0_users": ["root"]}) == [("", P)]
    assert outcomes(uid0, security={"uid0_users": ["root", "toor"]}) == [("", F)]
    sup = MembershipCheck.model_validate({"field": "security.logging_servers", "op": "superset", "values": ["a"]})
    assert outcomes(sup, security={"logging_servers": ["a", "b"]}) == [("", P)]
    root = MembershipCheck.model_validate(
        {"field": "security.ssh_permit_root_login", "op": "not_in", "values": ["yes"], "ignore_case": True}
    )
    assert outcomes(root, security={"ssh_permit_root_login": "prohibit-password"}) == [("", P)]
    assert outcomes(root, security={"ssh_permit_root_login": "Yes"}) == [("", F)]
    version = MembershipCheck.model_validate(
        {"field": "facts.os_version", "op": "in", "regex": True, "values": [r"\b15\.[5-9]\b"]}
    )
    assert outcomes(version, facts={"os_version": "15.8(3)M2"}) == [("", P)]
    assert outcomes(version, facts={"os_version": "12.2(55)SE"}) == [("", F)]
    assert outcomes(version, facts={}) == [("", NA)]
    assert outcomes(uid0, security={"uid0_users": "root"}) == [("", E)]


CONFIG = "hostname sw1\nline con 0\n login\nline vty 0 4\n login local\n transport input telnet ssh\nend\n"


def test_config_line_match_and_not_match_under_parent() -> None:
    telnet = ConfigLineCheck.model_validate(
        {"pattern": r"transport input .*telnet", "must": "not_match", "parent": r"^line vty"}
    )
    ((_, outcome, message),) = run(telnet, config=CONFIG)
    assert outcome is F and "transport input telnet ssh" in message
    assert outcomes(telnet, config=CONFIG.replace("telnet ssh", "ssh")) == [("", P)]
    assert outcomes(telnet, config="hostname x\n") == [("", NA)]  # no vty block
    assert outcomes(telnet) == [("", NA)]  # no config collected
    hostname = ConfigLineCheck.model_validate({"pattern": r"^hostname \S+$"})
    assert outcomes(hostname, config=CONFIG) == [("", P)]
    # a child line of another block does not count
    con_only = ConfigLineCheck.model_validate({"pattern": r"^\s+login$", "parent": r"^line vty"})
    assert outcomes(con_only, config=CONFIG) == [("", F)]


def iface(name: str, admin: bool | None, oper: bool | None) -> dict[str, Any]:
    return {"name": name, "admin_up": admin, "oper_up": oper}


def test_interface_state_per_interface() -> None:
    check = InterfaceStateCheck.model_validate({"skip": ["Loopback.*"]})
    interfaces = [
        iface("Gi1", True, True),
        iface("Gi2", True, False),
        iface("Gi3", False, False),
        iface("Gi4", None, None),
        iface("Loopback0", True, False),
    ]
    assert outcomes(check, interfaces=interfaces) == [("Gi1", P), ("Gi2", F), ("Gi3", NA), ("Gi4", NA)]
    assert outcomes(check) == [("", NA)]
    only = InterfaceStateCheck.model_validate({"name": "^Gi[12]$"})
    assert outcomes(only, interfaces=interfaces) == [("Gi1", P), ("Gi2", F)]


def test_cert_days() -> None:
    check = CertDaysCheck.model_validate({"min_days": 30})
    certs = [
        {"path": "/a.pem", "not_after": NOW + timedelta(days=10)},
        {"path": "/b.pem", "not_after": NOW + timedelta(days=400)},
        {"path": "/c.pem", "not_after": NOW - timedelta(days=2)},
        {"path": "/d.pem", "error": "unreadable"},
    ]
    got = run(check, certificates=certs)
    assert [(o, r) for o, r, _ in got] == [("/a.pem", F), ("/b.pem", P), ("/c.pem", F), ("/d.pem", E)]
    assert got[0][2] == "certificate expires in 10 days (minimum 30)"
    assert got[2][2] == "certificate expired 2 days ago (minimum 30)"
    assert outcomes(check) == [("", NA)]


def test_present() -> None:
    check = PresentCheck.model_validate({"field": "security.logging_servers"})
    assert outcomes(check, security={"logging_servers": ["192.0.2.50"]}) == [("", P)]
    assert outcomes(check, security={"logging_servers": []}) == [("", F)]
    assert outcomes(check, security={}) == [("", NA)]
    flag = PresentCheck.model_validate({"field": "security.password_encryption"})
    assert outcomes(flag, security={"password_encryption": False}) == [("", F)]
