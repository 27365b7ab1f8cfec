"""Collection and remediation start ansible-runner with one environment (patrol.ansible_env)."""

from __future__ import annotations

from pathlib import Path

from patrol.collect import ansible_host
from patrol.collect.base import CollectContext
from patrol.models import DeviceClass, Host
from patrol.paths import LIBRARY_DIR
from patrol.remediate import playbook


def _host(name: str, connect: float, command: float) -> Host:
    return Host(name=name, address="192.0.2.1", device_class=DeviceClass.HOST, platform="linux",
                collector="ansible", connect_timeout=connect, command_timeout=command)  # fmt: skip


def test_collection_and_remediation_get_the_same_ansible_environment(tmp_path: Path) -> None:
    known, user_known = tmp_path / "known_hosts", tmp_path / "user_known_hosts"
    ctx = CollectContext(run_id="r1", work_dir=tmp_path, known_hosts=known, user_known_hosts=user_known)
    hosts = [_host("a", 4, 100), _host("b", playbook.CONNECT_TIMEOUT, playbook.TASK_TIMEOUT / 2)]
    collect = ansible_host._envvars(hosts, ctx)
    remediate = playbook._envvars(known, user_known)
    assert collect == remediate
    assert collect["ANSIBLE_HOST_KEY_CHECKING"] == "True"
    assert collect["PATROL_KNOWN_HOSTS"] == str(known) and collect["PATROL_USER_KNOWN_HOSTS"] == str(user_known)
    assert collect["ANSIBLE_SSH_RETRIES"] == "3"
    assert collect["ANSIBLE_TIMEOUT"] == str(int(playbook.CONNECT_TIMEOUT))
    assert collect["ANSIBLE_TASK_TIMEOUT"] == str(int(playbook.TASK_TIMEOUT))
    assert collect["ANSIBLE_LIBRARY"] == str(LIBRARY_DIR)


def test_collection_timeouts_follow_the_slowest_host(tmp_path: Path) -> None:
    env = ansible_host._envvars([_host("a", 4, 20), _host("b", 7, 45)], CollectContext(run_id="r", work_dir=tmp_path))
    assert (env["ANSIBLE_TIMEOUT"], env["ANSIBLE_TASK_TIMEOUT"]) == ("7", "90")
    assert env["PATROL_USER_KNOWN_HOSTS"] == "none" and "PATROL_KNOWN_HOSTS" not in env
