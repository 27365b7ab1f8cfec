"""`patrol -v` / `-vv` / `--log-file` / PATROL_LOG_LEVEL: what patrol does, with secrets redacted.

A real `patrol run` against a FakeNOS device whose configuration holds a canary secret: `-v`
shows one timing line per host on stderr; `-vv` with a log file at DEBUG records netmiko's
session reads (the configuration text), where the canary and the login password appear only
as `<redacted>`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from patrol.lab.fleet import FleetDevice, start_fleet
from tests.conftest import PatrolCLI, free_ports

USER, PASSWORD = "patrol", "Log-Net-Pass-2718"
CANARY = "CANARY-LOG-6021"
CONFIG = f"hostname lsw1\nenable secret 0 {CANARY}\nntp server 192.0.2.123\nline vty 0 4\n transport input ssh\nend"


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    port = free_ports(1)[0]
    commands = {"show running-config": {"output": CONFIG, "prompt": ["{base_prompt}#"]}}
    fleet = start_fleet([FleetDevice("lsw1", "cisco_ios", port, USER, PASSWORD, commands=commands)])
    path = tmp_path_factory.mktemp("log-inv") / "hosts.yml"
    hosts = {"lsw1": {"ansible_port": port}, "gone-sw": {"ansible_port": free_ports(1)[0]}}
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts, "vars": {
        "ansible_host": "127.0.0.1", "ansible_user": USER, "ansible_password": PASSWORD,
        "patrol_platform": "cisco_ios", "patrol_device_class": "network", "patrol_connect_timeout": 5}}}))  # fmt: skip
    yield path
    fleet.stop()


def test_verbose_shows_one_timing_line_per_host(patrol_cli: PatrolCLI, inventory: Path) -> None:
    quiet = patrol_cli("run", "-i", str(inventory))
    assert "host lsw1:" not in quiet.stderr, quiet.stderr
    result = patrol_cli("-v", "run", "-i", str(inventory))
    assert result.code in (0, 1), result.output
    timing = r"host lsw1: ok in \d+\.\d\ds \(netmiko, 1 attempt\), \d+ checks, \d+ findings"
    assert re.search(timing, result.stderr), result.stderr
    assert re.search(r"host gone-sw: unreachable in \d+\.\d\ds", result.stderr), result.stderr
    assert "DEBUG" not in result.stderr and "paramiko" not in result.stderr


def test_log_file_at_debug_redacts_secrets(patrol_cli: PatrolCLI, inventory: Path, tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "patrol.log"
    env_cli = _with_env(patrol_cli, PATROL_LOG_LEVEL="DEBUG")
    result = env_cli("-vv", "--log-file", str(log_file), "run", "-i", str(inventory))
    assert result.code in (0, 1), result.output
    text = log_file.read_text(encoding="utf-8")
    assert "host lsw1: ok in" in text and " DEBUG " in text
    assert "enable secret 0 <redacted>" in text, "netmiko's session reads (the config) are in the log, redacted"
    for secret in (CANARY, PASSWORD):
        assert secret not in text and secret not in result.stderr
    assert oct(log_file.stat().st_mode & 0o777) == "0o600"


def _with_env(cli: PatrolCLI, **extra: str) -> PatrolCLI:
    class _Cli(PatrolCLI):
        @property
        def env(self) -> dict[str, str]:
            return super().env | extra

    return _Cli(cli.home)
