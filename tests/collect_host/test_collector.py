"""AnsibleHostCollector with real Ansible: this machine over ansible_connection=local (from the
demo lab's own inventory) and, as root, two sshd hosts in network namespaces."""

from __future__ import annotations

import os
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from patrol import plugins
from patrol.collect.ansible_host import LINUX_PLATFORM, AnsibleHostCollector
from patrol.lab.sshd_lab import LabHost, SshdLab
from patrol.models import DeviceClass, HostStatus

from .conftest import LAB_INVENTORY, LAB_VAULT, SshLab, collect


def closed_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_ctl1_from_the_lab_inventory_and_failures_as_data(tmp_path: Path) -> None:
    refused = tmp_path / "extra.ini"
    refused.write_text(
        f"refused ansible_host=127.0.0.1 ansible_port={closed_tcp_port()} ansible_connection=ssh ansible_user=nobody\n"
    )
    results = collect(["ctl1", "refused", "ghost"], tmp_path, (str(LAB_INVENTORY), str(refused)), vault=str(LAB_VAULT))
    ctl1 = results["ctl1"]
    assert ctl1.status is HostStatus.OK and ctl1.collector == "ansible", ctl1.error
    snap = ctl1.snapshot
    assert snap is not None and snap.device_class is DeviceClass.HOST and snap.platform == "linux"
    assert snap.facts.hostname == socket.gethostname().split(".")[0]
    assert snap.facts.os_version and snap.facts.boot_time and snap.facts.boot_time.second == 0
    root_fs = next(r for r in snap.resources if r.kind == "filesystem" and r.name == "/")
    assert root_fs.used_percent is not None and 0 < root_fs.used_percent < 100
    assert {"memory", "load"} <= {r.kind for r in snap.resources}
    assert "root" in snap.security["uid0_users"]
    assert all(isinstance(port, str) for port in snap.security["listening_ports"])
    if not os.path.isdir("/run/systemd/system"):
        assert "failed_services" not in snap.security, "no systemd: unknown, never 'none failed'"
        assert snap.extra["services"]["available"] is False
    assert results["refused"].status is HostStatus.UNREACHABLE
    assert "Connection refused" in (results["refused"].error or "")
    assert results["ghost"].status is HostStatus.ERROR
    assert "is it in the inventory" in (results["ghost"].error or "")


def test_lab_hosts_over_ssh_show_the_seeded_faults(ssh_lab: SshLab, tmp_path: Path) -> None:
    state, other_key = ssh_lab.state_dir, tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other_key)], check=True)
    inventory = tmp_path / "hosts.ini"
    web1_vars = f"patrol_sshd_config={state}/sshd/web1/sshd_config"
    web1_vars += f""" patrol_cert_files='["{state}/sshd/web1/tls/web1.crt"]'"""
    db1_vars = f"patrol_sshd_config={state}/sshd/db1/sshd_config patrol_passwd_file={state}/sshd/db1/passwd"
    inventory.write_text(f"""
[lab]
web1 ansible_host={ssh_lab.address("web1")} {web1_vars}
db1 ansible_host={ssh_lab.address("db1")} {db1_vars}
wrongkey ansible_host={ssh_lab.address("web1")} ansible_ssh_private_key_file={other_key}
[lab:vars]
ansible_user=root
ansible_python_interpreter=/usr/bin/python3
ansible_ssh_private_key_file={state}/ssh/id_ed25519
""")
    results = collect(["web1", "db1", "wrongkey"], tmp_path, (str(inventory),))
    web1, db1 = results["web1"].snapshot, results["db1"].snapshot
    assert web1 is not None and db1 is not None, (results["web1"].error, results["db1"].error)
    assert web1.facts.hostname == "web1" and db1.facts.hostname == "db1"
    assert web1.security["ssh_permit_root_login"] == "yes"
    assert web1.security["listening_ports"] == [f"tcp/{ssh_lab.address('web1')}:22 sshd"]
    [cert] = web1.certificates
    assert cert.subject == "CN=web1.lab.example,O=patrol lab" and cert.not_after is not None
    assert timedelta(days=9) < cert.not_after - datetime.now(UTC) <= timedelta(days=10)
    assert db1.security["uid0_users"] == ["root", "toor"]
    assert db1.security["ssh_permit_root_login"] == "prohibit-password"
    wrong = results["wrongkey"]
    assert wrong.status is HostStatus.AUTH_FAILED and "Permission denied (publickey)" in (wrong.error or "")
    assert "Warning: Permanently added" not in (wrong.error or "")
    leftovers = subprocess.run(["pgrep", "-af", r"ssh: .*\[mux\]"], capture_output=True, text=True).stdout
    assert ssh_lab.address("web1") not in leftovers, "no ControlPersist ssh processes are left behind"


def test_lab_stop_removes_namespaces_and_bridge(ssh_lab: SshLab, tmp_path: Path) -> None:
    lab = SshdLab(prefix="pstop", subnet="10.99.232", hosts=(LabHost("solo", 11),))
    [endpoint] = lab.start(tmp_path)
    assert (endpoint.host, endpoint.address, endpoint.port, endpoint.skipped) == ("solo", "10.99.232.11", 22, None)
    assert "pstop-solo" in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    lab.stop()
    assert "pstop-solo" not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert "pstopbr0" not in links and "pstop-solo" not in links


def test_cancelled_run_starts_nothing(tmp_path: Path) -> None:
    results = collect(["ctl1"], tmp_path, (str(LAB_INVENTORY),), vault=str(LAB_VAULT), cancelled=True)
    assert results["ctl1"].status is HostStatus.ABORTED
    assert not (tmp_path / "ansible").exists()


def test_entry_points_name_the_ansible_collector_and_linux_platform() -> None:
    assert plugins.load("patrol.platforms", "linux") is LINUX_PLATFORM
    assert plugins.load("patrol.collectors", "ansible") is AnsibleHostCollector
    assert (LINUX_PLATFORM.name, LINUX_PLATFORM.collector) == ("linux", "ansible")
    assert LINUX_PLATFORM.default_device_class is DeviceClass.HOST
