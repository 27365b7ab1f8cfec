"""Real peers for Linux host collection: this machine (ansible_connection=local) and, as root,
two sshd hosts in network namespaces started by patrol's SshdLab on a private test subnet."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from patrol.collect.ansible_host import AnsibleHostCollector
from patrol.collect.base import CollectContext
from patrol.lab.sshd_lab import SshdLab
from patrol.models import Host, HostResult

ROOT = Path(__file__).resolve().parents[2]
LAB_INVENTORY = ROOT / "inventory" / "lab"
LAB_VAULT = LAB_INVENTORY / "vault-password.txt"
#: Not the demo lab's prefix/subnet, so the tests never touch a running `patrol lab up`.
TEST_PREFIX = "ptest"
TEST_SUBNET = "10.99.231"


@dataclass(frozen=True)
class SshLab:
    state_dir: Path
    lab: SshdLab

    def address(self, host: str) -> str:
        return next(self.lab.address(h) for h in self.lab.hosts if h.name == host)


@pytest.fixture(scope="package")
def ssh_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshLab]:
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    state_dir = tmp_path_factory.mktemp("sshd-state")
    lab = SshdLab(prefix=TEST_PREFIX, subnet=TEST_SUBNET)
    lab.start(state_dir)
    yield SshLab(state_dir, lab)
    lab.stop()


def linux_host(name: str) -> Host:
    return Host(name=name, address="unused", device_class="host", platform="linux", collector="ansible",
                connect_timeout=5, command_timeout=30)  # fmt: skip


def collect(
    names: list[str], work_dir: Path, sources: tuple[str, ...], vault: str | None = None, cancelled: bool = False
) -> dict[str, HostResult]:
    """Run the collector as the runner does; exactly one result per host."""
    ctx = CollectContext(run_id="test", work_dir=work_dir, inventory_sources=sources, vault_password_file=vault)
    if cancelled:
        ctx.cancel.set()
    results: list[HostResult] = []
    AnsibleHostCollector().collect([linux_host(name) for name in names], ctx, results.append)
    assert sorted(r.host for r in results) == sorted(names), "exactly one result per host"
    return {result.host: result for result in results}


def make_cert(path: Path, days: int, cn: str) -> Path:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", str(days), "-subj", f"/CN={cn}", "-keyout", str(path.with_suffix(".key")), "-out", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return path
