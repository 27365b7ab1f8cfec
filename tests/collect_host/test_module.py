"""library/patrol_host_facts.py through a real ansible-playbook run on this machine."""

from __future__ import annotations

import os
import re
import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ansible_runner
import pytest

from patrol.paths import LIBRARY_DIR

from .conftest import make_cert

VENV_PATH = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
PLAYBOOK = """
- hosts: ctl1
  gather_facts: false
  tasks:
    - name: inspect
      patrol_host_facts: {sshd_config: "%(dir)s/sshd_config", passwd_file: "%(dir)s/passwd", cert_files: %(certs)s}
    - name: inspect in check mode
      check_mode: true
      patrol_host_facts: {sshd_config: "%(dir)s/sshd_config", passwd_file: "%(dir)s/passwd"}
    - name: missing passwd file
      ignore_errors: true
      patrol_host_facts: {passwd_file: "%(dir)s/no-such-passwd"}
"""


@pytest.fixture(scope="module")
def listening_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def module_run(tmp_path_factory: pytest.TempPathFactory, listening_port: int) -> dict[str, dict[str, Any]]:
    """{task name: event} of one playbook run over seeded files."""
    seeded = tmp_path_factory.mktemp("seeded")
    (seeded / "sshd_config.d").mkdir()
    (seeded / "sshd_config.d" / "10-site.conf").write_text("PermitRootLogin forced-commands-only\n")
    (seeded / "sshd_config").write_text(
        f"Include {seeded}/sshd_config.d/*.conf\nPermitRootLogin no\nPasswordAuthentication no\n"
        "Match User backup\n    PasswordAuthentication yes\n"
    )
    (seeded / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/bash\n#old:x:0:0::/:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/bash\n"
        "toor:x:0:0:backup:/root:/bin/bash\n"
    )
    (seeded / "garbage.pem").write_text("not a certificate\n")
    good = make_cert(seeded / "good.pem", 30, "good.example")
    certs = [str(good), str(seeded / "missing.pem"), str(seeded / "garbage.pem")]
    private = tmp_path_factory.mktemp("runner")
    (private / "project").mkdir()
    (private / "project" / "play.yml").write_text(PLAYBOOK % {"dir": seeded, "certs": certs})
    events: dict[str, dict[str, Any]] = {}

    def keep(event: dict[str, Any]) -> bool:
        if event.get("event") in ("runner_on_ok", "runner_on_failed"):
            events[event["event_data"]["task"]] = event
        return False

    inventory = "ctl1 ansible_connection=local ansible_python_interpreter='{{ ansible_playbook_python }}'\n"
    (private / "inventory").mkdir()
    (private / "inventory" / "hosts").write_text(inventory)
    ansible_runner.run(
        private_data_dir=str(private), playbook="play.yml", quiet=True, event_handler=keep,
        envvars={"ANSIBLE_LIBRARY": str(LIBRARY_DIR), "ANSIBLE_NOCOLOR": "1", "PATH": VENV_PATH},
    )  # fmt: skip
    return events


def result(events: dict[str, dict[str, Any]], task: str) -> dict[str, Any]:
    assert task in events, f"no result for task {task!r}: {sorted(events)}"
    return dict(events[task]["event_data"]["res"])


def test_sshd_settings_follow_include_first_value_wins_and_match_is_ignored(module_run: dict) -> None:
    sshd = result(module_run, "inspect")["sshd"]
    assert sshd["present"] is True
    assert [Path(f).name for f in sshd["files"]] == ["sshd_config", "10-site.conf"]
    assert sshd["settings"]["permitrootlogin"] == "forced-commands-only"
    assert sshd["settings"]["passwordauthentication"] == "no"
    assert sshd["settings"]["pubkeyauthentication"] == "yes"  # OpenSSH default for an unset key


def test_uid0_users_come_from_the_passwd_file(module_run: dict) -> None:
    assert result(module_run, "inspect")["uid0_users"] == ["root", "toor"]


def test_certificates_report_expiry_or_an_error_per_file(module_run: dict) -> None:
    good, missing, garbage = result(module_run, "inspect")["certificates"]
    assert good["subject"] == "CN=good.example" and good["error"] is None
    not_after = datetime.strptime(good["not_after"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(not_after - (datetime.now(UTC) + timedelta(days=30))) < timedelta(hours=1)
    assert missing["error"] == "file does not exist" and missing["not_after"] is None
    assert "not a PEM certificate" in garbage["error"]


def test_capacity_and_listening_sockets(module_run: dict, listening_port: int) -> None:
    res = result(module_run, "inspect")
    assert any(fs["mount"] == "/" and 0 < fs["used"] < fs["size"] for fs in res["filesystems"])
    assert not any(fs["fstype"] in ("proc", "sysfs", "tmpfs", "cgroup2") for fs in res["filesystems"])
    assert res["memory"]["total"] > res["memory"]["used"] > 0
    assert res["load"]["cpus"] == os.cpu_count() and res["load"]["load1"] >= 0
    assert any(line.startswith(f"tcp/127.0.0.1:{listening_port} ") for line in res["listening"])
    assert all(re.fullmatch(r"(tcp|udp)/\S+:\d+ \S.*", line) for line in res["listening"])


def test_services_and_time_sync_are_honest(module_run: dict) -> None:
    res = result(module_run, "inspect")
    if not os.path.isdir("/run/systemd/system"):
        assert res["services"] == {"available": False, "failed": None,
                                   "reason": "systemd is not running (no /run/systemd/system)"}  # fmt: skip
    sync = res["time_sync"]
    assert sync["synced"] in (True, False, None) and sync["detail"]
    assert (sync["synced"] is None) == (sync["source"] is None)


def test_check_mode_returns_the_same_data_and_never_changes(module_run: dict) -> None:
    normal, check = result(module_run, "inspect"), result(module_run, "inspect in check mode")
    assert normal["changed"] is False and check["changed"] is False
    assert check["check_mode"] is True and normal["check_mode"] is False
    assert check["uid0_users"] == normal["uid0_users"] and check["sshd"] == normal["sshd"]


def test_missing_passwd_file_fails_with_the_fix(module_run: dict) -> None:
    assert module_run["missing passwd file"]["event"] == "runner_on_failed"
    msg = result(module_run, "missing passwd file")["msg"]
    assert "no-such-passwd cannot be read" in msg and "patrol_passwd_file" in msg
