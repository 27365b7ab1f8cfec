"""The lab scenario on a Linux host: sshd in a network namespace with `PermitRootLogin yes` ->
finding -> preview shows the one-line diff and the file is unchanged -> approve -> file changed,
sshd reloaded, re-inspection passes. Bad input changes nothing."""

from __future__ import annotations

import json

from ..conftest import PatrolCLI
from .conftest import HostLab


def test_sshd_permit_root_login_preview_approve_verify(host_lab: HostLab, patrol_cli: PatrolCLI) -> None:
    config = host_lab.sshd_config("web1")
    original = config.read_text()
    run = patrol_cli("run", "-i", str(host_lab.inventory), "-p", "inspect/host.yml")
    assert run.code == 0, run.output
    found = json.loads(patrol_cli("findings", "--json", "--host", "web1").stdout)
    [finding] = [f for f in found if f["check_id"] == "host.sshd.no_root_login"]

    shown = patrol_cli("remediate", finding["fingerprint"][:10], "--check")
    assert shown.code == 0, shown.output
    changed = [line for line in shown.stdout.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == ["-PermitRootLogin yes", "+PermitRootLogin prohibit-password"], shown.stdout
    assert config.read_text() == original, "the preview leaves the file alone"

    applied = patrol_cli("remediate", finding["fingerprint"], "--approve", "--by", "alice")
    assert applied.code == 0, applied.output
    assert "web1: applied" in applied.stdout and "passed: finding gone" in applied.stdout
    text = config.read_text()
    assert "PermitRootLogin prohibit-password\n" in text and "PermitRootLogin yes" not in text
    sshd_log = (config.parent / "sshd.log").read_text()
    assert "Received SIGHUP" in sshd_log, "sshd was reloaded"
    [entry] = json.loads(patrol_cli("changes", "--json", "--host", "web1").stdout)
    assert entry["host_results"][0]["backup"][0] == {
        "kind": "file", "path": str(config), "content": original, "restorable": True,
    }  # fmt: skip


def test_bad_input_is_refused_and_changes_nothing(host_lab: HostLab, patrol_cli: PatrolCLI, tmp_path) -> None:
    config = host_lab.sshd_config("web1")
    before = config.read_text()
    inv = ("-i", str(host_lab.inventory), "-p", "inspect/host.yml")
    missing = patrol_cli("remediate", "--playbook", "playbooks/remediate/nope.yml", "--limit", "web1", *inv)
    assert missing.code == 2 and "does not exist" in missing.output and "sshd_permit_root_login.yml" in missing.output
    broken = tmp_path / "broken.yml"
    broken.write_text("- hosts: all\n  tasks: [\n")
    unparsable = patrol_cli("remediate", "--playbook", str(broken), "--limit", "web1", *inv)
    assert unparsable.code == 2 and "line 3" in unparsable.output and "does not parse" in unparsable.output
    ghost = patrol_cli("remediate", "--playbook", "playbooks/remediate/sshd_permit_root_login.yml",
                       "--limit", "ghost", *inv)  # fmt: skip
    assert ghost.code == 2 and "matches no host" in ghost.output
    unknown = patrol_cli("remediate", "abcdef123456", "--check")
    assert unknown.code == 2 and "no finding" in unknown.output
    no_change = patrol_cli("rollback", "chg-nope")
    assert no_change.code == 2 and "no change 'chg-nope'" in no_change.output
    assert config.read_text() == before
