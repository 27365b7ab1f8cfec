"""The inventory is read with ansible-core: YAML, INI, group_vars/host_vars, vault, limits, errors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from patrol.errors import HostConfigError, InventoryError
from patrol.inventory import load_inventory
from patrol.models import DeviceClass
from tests.conftest import PatrolCLI

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "inventory" / "lab"
VAULT = str(LAB / "vault-password.txt")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_lab_inventory_resolves_every_host_with_vault_secrets() -> None:
    inv = load_inventory([str(LAB)], vault_password_file=VAULT)
    hosts = {h.name: h for h in inv.hosts}
    assert set(hosts) >= {"core-sw1", "dist-sw1", "edge-r1", "agg-sw1", "fw1", "fw2", "nas1", "ctl1", "web1"}
    core = hosts["core-sw1"]
    assert (core.platform, core.device_class, core.collector) == ("cisco_ios", DeviceClass.NETWORK, "netmiko")
    assert (core.address, core.port) == ("127.0.0.1", 6001)
    assert core.credentials.username == "patrol"
    assert core.credentials.password is not None
    assert core.credentials.password.get_secret_value() == "Lab-Net-Pass1"
    assert "Lab-Net-Pass1" not in repr(core) and "Lab-Net-Pass1" not in core.model_dump_json()
    assert hosts["fw2"].device_class is DeviceClass.SECURITY
    assert (hosts["nas1"].collector, hosts["nas1"].device_class) == ("snmp", DeviceClass.STORAGE)
    assert hosts["ctl1"].collector == "ansible"
    key = hosts["web1"].credentials.private_key_file
    assert key is not None and key.endswith("lab/.state/ssh/id_ed25519") and "{{" not in key
    assert core.vars["patrol_expected_ntp_servers"] == ["192.0.2.123", "192.0.2.124"]
    assert not any("password" in k or "community" in k for h in inv.hosts for k in h.vars)


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        ("security", {"fw1", "fw2", "fw3", "fw4"}),
        ("core-sw1", {"core-sw1"}),
        ("network:&core", {"core-sw1", "core-sw2"}),
    ],
)
def test_limit_uses_ansible_host_patterns(limit: str, expected: set[str]) -> None:
    inv = load_inventory([str(LAB)], vault_password_file=VAULT, limit=limit)
    assert {h.name for h in inv.hosts} == expected


def test_limit_matching_nothing_names_the_groups() -> None:
    with pytest.raises(InventoryError, match=r"--limit 'nosuch' matches no host; groups are: .*security"):
        load_inventory([str(LAB)], vault_password_file=VAULT, limit="nosuch")


def test_ini_inventory_with_group_and_host_vars(tmp_path: Path) -> None:
    write(
        tmp_path / "hosts.ini",
        """
        [switches]
        sw1 ansible_host=127.0.0.1 ansible_port=2201
        sw2 ansible_host=127.0.0.1 ansible_port=2202 patrol_connect_timeout=3

        [switches:vars]
        ansible_network_os=cisco.ios.ios
        ansible_user=ops
    """,
    )
    write(tmp_path / "group_vars" / "switches.yml", "ansible_password: from-group-vars\n")
    write(tmp_path / "host_vars" / "sw2.yml", "ansible_password: from-host-vars\n")
    hosts = {h.name: h for h in load_inventory([str(tmp_path / "hosts.ini")]).hosts}
    assert hosts["sw1"].platform == "cisco_ios" and hosts["sw1"].port == 2201
    assert hosts["sw1"].credentials.password.get_secret_value() == "from-group-vars"  # type: ignore[union-attr]
    assert hosts["sw2"].credentials.password.get_secret_value() == "from-host-vars"  # type: ignore[union-attr]
    assert hosts["sw2"].connect_timeout == 3.0


def test_network_os_of_the_newer_vendors_names_their_platform(tmp_path: Path) -> None:
    write(
        tmp_path / "hosts.ini",
        """
        leaf1 ansible_host=127.0.0.1 ansible_user=ops ansible_password=pw ansible_network_os=cisco.nxos.nxos
        pe1 ansible_host=127.0.0.1 ansible_user=ops ansible_password=pw ansible_network_os=iosxr
        acc1 ansible_host=127.0.0.1 ansible_user=ops ansible_password=pw ansible_network_os=comware
        fgt1 ansible_host=127.0.0.1 ansible_user=ops ansible_password=pw ansible_network_os=fortinet.fortios.fortios
        gw1 ansible_host=127.0.0.1 ansible_user=ops ansible_password=pw ansible_network_os=check_point.gaia.checkpoint
    """,
    )
    platforms = {h.name: h.platform for h in load_inventory([str(tmp_path / "hosts.ini")]).hosts}
    assert platforms == {
        "leaf1": "cisco_nxos", "pe1": "cisco_xr", "acc1": "hp_comware", "fgt1": "fortinet", "gw1": "checkpoint_gaia",
    }  # fmt: skip


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    bad = write(
        tmp_path / "hosts.yml",
        """
        all:
          hosts:
            r1: {ansible_port: 22
            r2: {}
    """,
    )
    with pytest.raises(InventoryError) as info:
        load_inventory([str(bad)])
    message = str(info.value)
    assert f"{bad}:5:7 does not parse: YAML syntax error at line 5, column 7: expected ',' or '}}'" in message
    assert "Fix the indentation or quoting there" in message and f"ansible-inventory -i {bad} --list" in message
    assert "Invalid host pattern" not in message and "'ini'" not in message


@pytest.mark.parametrize("name", ["hosts.yml", "hosts"])
def test_malformed_yaml_in_a_folder_or_without_suffix_shows_the_yaml_error(tmp_path: Path, name: str) -> None:
    """Not ansible's INI fallback ("Invalid host pattern 'all:' supplied"): YAML is recognised by content."""
    write(tmp_path / "inv" / name, "all:\n  hosts:\n    r1:\n      ansible_host: 192.0.2.1\n     bad: indent\n")
    with pytest.raises(InventoryError) as info:
        load_inventory([str(tmp_path / "inv")])
    message = str(info.value)
    assert f"inventory {tmp_path / 'inv' / name}:5:6 does not parse: YAML syntax error at line 5, column 6" in message
    assert "Invalid host pattern" not in message
    assert f"ansible-inventory -i {tmp_path / 'inv'} --list" in message


def test_yaml_inventory_with_vault_tags_is_not_a_syntax_error(tmp_path: Path) -> None:
    """The syntax check composes the YAML without constructing ansible's tags (!vault)."""
    bad = write(tmp_path / "hosts.yml", "all:\n  hosts:\n    r1: {ansible_password: !vault x}\n  children: [a]\n")
    with pytest.raises(InventoryError) as info:
        load_inventory([str(bad)])
    assert "YAML syntax error" not in str(info.value) and "does not parse" in str(info.value)


def test_malformed_ini_names_file(tmp_path: Path) -> None:
    bad = write(tmp_path / "hosts.ini", "[net]\nr1 ansible_port=22\n[net:vars\nx=1\n")
    with pytest.raises(InventoryError, match=rf"inventory {bad} does not parse"):
        load_inventory([str(bad)])


def test_missing_source_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="does not exist; check the -i path"):
        load_inventory([str(tmp_path / "nope.yml")])


def test_missing_platform_names_host_key_and_fix(tmp_path: Path) -> None:
    inv = write(tmp_path / "hosts.yml", "all:\n  hosts:\n    r1: {ansible_host: 127.0.0.1}\n")
    with pytest.raises(HostConfigError) as info:
        load_inventory([str(inv)])
    assert info.value.host == "r1" and info.value.key == "patrol_platform"
    assert "set patrol_platform (one of:" in str(info.value) and "cisco_ios" in str(info.value)


def test_unknown_platform_lists_known_ones(tmp_path: Path) -> None:
    inv = write(
        tmp_path / "hosts.yml",
        "all:\n  hosts:\n    r1: {patrol_platform: cisco_iox, ansible_user: a, ansible_password: b}\n",
    )
    with pytest.raises(
        HostConfigError, match=r"host 'r1': patrol_platform: unknown platform 'cisco_iox'; known: .*cisco_ios"
    ):
        load_inventory([str(inv)])


def test_missing_credential_names_the_variable(tmp_path: Path) -> None:
    inv = write(tmp_path / "hosts.yml", "all:\n  hosts:\n    r1: {patrol_platform: cisco_ios, ansible_user: ops}\n")
    with pytest.raises(HostConfigError, match=r"host 'r1': ansible_password: missing credential.*ansible-vault"):
        load_inventory([str(inv)])


def test_missing_snmp_community(tmp_path: Path) -> None:
    inv = write(
        tmp_path / "hosts.yml", "all:\n  hosts:\n    s1: {patrol_platform: snmp, patrol_device_class: storage}\n"
    )
    with pytest.raises(HostConfigError, match="patrol_snmp_community: missing credential"):
        load_inventory([str(inv)])


def test_bad_values_are_reported_together(tmp_path: Path) -> None:
    inv = write(
        tmp_path / "hosts.yml",
        """
        all:
          vars: {ansible_user: ops, ansible_password: pw}
          hosts:
            r1: {patrol_platform: cisco_ios, ansible_port: twenty}
            r2: {patrol_platform: cisco_ios, patrol_device_class: router}
    """,
    )
    with pytest.raises(InventoryError) as info:
        load_inventory([str(inv)])
    message = str(info.value)
    assert "2 hosts cannot be inspected" in message
    assert "host 'r1': ansible_port: expected a positive int, got 'twenty'" in message
    assert "host 'r2': patrol_device_class: 'router' is not one of network, security, host, storage" in message


def test_vault_value_without_password_file_is_explained() -> None:
    with pytest.raises(InventoryError) as info:
        load_inventory([str(LAB)], limit="core-sw1")
    assert "core-sw1" in str(info.value) and "ansible_password" in str(info.value)
    assert "vault" in str(info.value).lower()


def test_cli_names_the_malformed_yaml_file_line_and_column(patrol_cli: PatrolCLI, tmp_path: Path) -> None:
    folder = tmp_path / "a-rather-long-folder-name-so-that-the-message-is-longer-than-eighty-columns"
    bad = write(folder / "hosts.yml", "all:\n  hosts:\n    r1: {ansible_host: 192.0.2.1\n    r2: {}\n")
    result = patrol_cli("run", "-i", str(bad))
    assert result.code == 2, result.output
    assert f"error: inventory {bad}:4:7 does not parse: YAML syntax error at line 4, column 7" in result.stderr
    assert "Invalid host pattern" not in result.stderr and "Traceback" not in result.stderr


def _run_without_vault(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``patrol run -i inventory/lab ARGS`` as a user types it: no vault password in the environment."""
    env = {k: v for k, v in os.environ.items() if "VAULT" not in k and not k.startswith("PATROL_")}
    env |= {"PATROL_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "patrol", "run", "-i", "inventory/lab", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def test_run_without_vault_password_names_the_option_and_the_variable(tmp_path: Path) -> None:
    result = _run_without_vault(tmp_path)
    message = " ".join(result.stderr.split())
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no vault password was given: pass --vault-password-file PATH or set PATROL_VAULT_PASSWORD_FILE" in message
    assert "ansible_password (inventory/lab/group_vars/network.yml line 3): core-sw1, core-sw2" in message
    assert "patrol_snmp_community (inventory/lab/host_vars/nas1.yml line 1): nas1" in message
    assert "Attempting to decrypt" not in message  # ansible's words name neither the option nor the file
    one = " ".join(_run_without_vault(tmp_path, "--limit", "fw1").stderr.split())
    assert "host 'fw1': ansible_password: ansible_password is vault-encrypted (inventory/lab/group_vars/security.yml " \
           "line 3) and no vault password was given: pass --vault-password-file" in one  # fmt: skip


def test_run_with_the_wrong_vault_password_names_the_file(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong-pass"
    wrong.write_text("not-the-password\n", encoding="utf-8")
    result = _run_without_vault(tmp_path, "--vault-password-file", str(wrong), "--limit", "nas1")
    message = " ".join(result.stderr.split())
    assert result.returncode == 2
    assert f"cannot be decrypted with the vault password in {wrong}" in message
    assert "patrol_snmp_community (inventory/lab/host_vars/nas1.yml line 1)" in message


def test_a_vault_encrypted_inventory_file_without_password_names_the_option(tmp_path: Path) -> None:
    password = write(tmp_path / "pass", "s3cret\n")
    hosts = write(tmp_path / "inv" / "hosts.yml", "all:\n  hosts:\n    r1: {ansible_host: 127.0.0.1, "
                  "patrol_platform: linux, ansible_user: ops, ansible_password: x}\n")
    subprocess.run([str(Path(sys.executable).with_name("ansible-vault")), "encrypt", "--vault-password-file",
                    str(password), str(hosts)], check=True, capture_output=True)  # fmt: skip
    assert hosts.read_text().startswith("$ANSIBLE_VAULT;")
    with pytest.raises(InventoryError, match=r"hosts.yml: it is vault-encrypted and no vault password was given: "
                                             r"pass --vault-password-file PATH or set PATROL_VAULT_PASSWORD_FILE"):
        load_inventory([str(hosts)])
    assert [h.name for h in load_inventory([str(hosts)], vault_password_file=str(password)).hosts] == ["r1"]
