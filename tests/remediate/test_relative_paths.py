"""Issue 15, 1a: the README's relative ``--vault-password-file inventory/lab/vault-password.txt``
works for ``patrol remediate T --check`` (ansible-runner runs in its own private folder, where the
relative path named nothing: "…/changes/previews/<id>/inventory/lab/vault-password.txt was not found")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible.parsing.vault import VaultLib, VaultSecret

from ..conftest import LAB_VAULT, ROOT, PatrolCLI
from .conftest import AGREED, PASSWORD, USER, NetLab

VAULT = "inventory/lab/vault-password.txt"  # relative to the repository, where the CLI runs


@pytest.fixture
def vaulted_inventory(net_lab: NetLab, tmp_path: Path) -> Path:
    """rsw1 with its password vault-encrypted with the lab's vault password."""
    assert (ROOT / VAULT) == LAB_VAULT and LAB_VAULT.is_file()
    vault = VaultLib([("default", VaultSecret(LAB_VAULT.read_bytes().strip()))])
    secret = "\n".join(f"          {line}" for line in vault.encrypt(PASSWORD).decode().splitlines())
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(f"""all:
  hosts:
    rsw1:
      ansible_host: 127.0.0.1
      ansible_port: {net_lab.ports["rsw1"]}
      ansible_user: {USER}
      ansible_password: !vault |
{secret}
      patrol_platform: cisco_ios
      patrol_device_class: network
      patrol_expected_ntp_servers: {AGREED}
      patrol_connect_timeout: 5
""")
    assert PASSWORD not in inventory.read_text()
    return inventory


def test_remediate_check_with_a_relative_vault_password_file(
    net_lab: NetLab, vaulted_inventory: Path, patrol_cli: PatrolCLI
) -> None:
    before = net_lab.config("rsw1")
    run = patrol_cli("run", "-i", str(vaulted_inventory), "-p", "inspect/network.yml", "--vault-password-file", VAULT)
    assert run.code == 0, run.output
    found = json.loads(patrol_cli("findings", "--json", "--host", "rsw1").stdout)
    assert [f["check_id"] for f in found if f["check_id"] == "net.ntp.servers"], found
    tickets = json.loads(patrol_cli("tickets", "--json", "--host", "rsw1").stdout)
    [ticket] = [t["id"] for t in tickets if t["check_id"] == "net.ntp.servers"]

    shown = patrol_cli("remediate", str(ticket), "--check", "--vault-password-file", VAULT)
    assert shown.code == 0, shown.output
    assert "was not found" not in shown.output
    assert "-ntp server 192.0.2.99" in shown.stdout and "+ntp server 192.0.2.123" in shown.stdout
    assert net_lab.config("rsw1") == before, "a preview changes nothing"
    [change] = json.loads(patrol_cli("changes", "--json").stdout)
    assert change["plan"]["vault_password_file"] == str(LAB_VAULT), "stored absolute"
