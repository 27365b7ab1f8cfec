"""The lab tells dead devices from live ones and brings dead sshd hosts back.

Seen by a user: after `patrol lab down`/`up` cycles the two sshd hosts were defunct processes and
every run timed out on them, yet `patrol lab status` said "up". The cause: a second lab on the
same machine (another checkout) started its sshd component with the same namespace names — its
clean-up killed the first lab's sshds (never reaped: defunct) and deleted their namespaces and
bridge; the status only tried a TCP connect. Here: the status probe speaks each device's protocol,
the daemon's supervision reaps and restarts an sshd host (also when its namespace is deleted
under it) and gives up loudly, and a second lab is refused while one runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from patrol.errors import LabError
from patrol.lab import daemon
from patrol.lab.base import Endpoint
from patrol.lab.manager import _probe
from patrol.lab.snmp_lab import DEFAULT_AGENTS, SnmpLab
from patrol.lab.sshd_lab import MAX_RESTARTS, LabHost, SshdLab

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="sshd lab hosts need root (network namespaces)")

PREFIX, SUBNET = "phealth", "10.99.236"


def _sshd(host: str = "solo") -> Endpoint:
    return Endpoint(host=host, kind="sshd-netns", address=f"{SUBNET}.11", port=22)


@pytest.fixture
def sshd_lab(tmp_path: Path) -> Iterator[SshdLab]:
    lab = SshdLab(prefix=PREFIX, subnet=SUBNET, hosts=(LabHost("solo", 11),))
    lab.start(tmp_path)
    yield lab
    lab.stop()


def _kill_sshd(lab: SshdLab) -> int:
    pid = lab._procs["solo"].pid
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):  # the kill is asynchronous: wait until it is dead (a zombie of the lab)
        if _state(pid) in (None, "Z"):
            break
        time.sleep(0.02)
    return pid


def _state(pid: int) -> str | None:
    """The process state letter of ``pid`` (``Z``: defunct), None when no process has it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except OSError:
        return None


def _reaped(pid: int) -> bool:
    """No process (not even a defunct one) has ``pid`` any more."""
    return _state(pid) is None


@needs_root
def test_a_killed_sshd_host_is_reaped_restarted_and_reported(sshd_lab: SshdLab) -> None:
    assert _probe(_sshd())
    killed = _kill_sshd(sshd_lab)
    health: dict[str, dict[str, object]] = {}
    assert not _probe(_sshd())  # the status says down, not "up"
    assert not _reaped(killed)  # defunct until the lab reaps it
    assert daemon.supervise([sshd_lab], health)
    assert _reaped(killed)  # no defunct sshd left behind
    assert health == {"solo": {"restarts": 1}} and _probe(_sshd())


@needs_root
def test_a_namespace_deleted_under_a_live_sshd_is_rebuilt(sshd_lab: SshdLab) -> None:
    """What a second lab's clean-up did: namespace and bridge deleted while the sshd still runs."""
    subprocess.run(["ip", "netns", "del", f"{PREFIX}-solo"], check=True)
    subprocess.run(["ip", "link", "del", f"{PREFIX}br0"], check=True)
    assert not _probe(_sshd())
    health: dict[str, dict[str, object]] = {}
    assert daemon.supervise([sshd_lab], health)
    assert _probe(_sshd()) and health["solo"]["restarts"] == 1


@needs_root
def test_an_sshd_that_keeps_dying_is_given_up_and_said(sshd_lab: SshdLab) -> None:
    health: dict[str, dict[str, object]] = {}
    for _ in range(MAX_RESTARTS + 1):
        _kill_sshd(sshd_lab)
        daemon.supervise([sshd_lab], health)
    assert "exited 4 times within 60 s" in str(health["solo"]["dead"])
    assert not _probe(_sshd())


@needs_root
def test_down_up_cycles_leave_every_sshd_host_answering(tmp_path: Path) -> None:
    lab = SshdLab(prefix=PREFIX, subnet=SUBNET, hosts=(LabHost("solo", 11), LabHost("duo", 12)))
    duo = Endpoint(host="duo", kind="sshd-netns", address=f"{SUBNET}.12", port=22)
    for _ in range(3):
        lab.start(tmp_path)
        try:
            assert _probe(_sshd()) and _probe(duo)
            assert daemon.supervise([lab], {}) is False  # nothing died, nothing restarted
        finally:
            lab.stop()
        assert not _probe(_sshd()) and not _probe(duo)


def test_a_port_that_accepts_but_never_speaks_ssh_is_down() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)  # connections complete in the kernel; nobody ever sends a banner
        port = server.getsockname()[1]
        assert not _probe(Endpoint(host="core-sw1", kind="fakenos:cisco_ios", address="127.0.0.1", port=port))


def test_snmp_agents_are_probed_with_a_get(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    endpoint = Endpoint(host="nas1", kind="snmpsim", address="127.0.0.1", port=port, proto="udp")
    assert not _probe(endpoint)  # nothing serves it (a UDP "connect" would not have told)
    lab = SnmpLab(agents={"nas1": (port, DEFAULT_AGENTS["nas1"][1])})
    lab.start(tmp_path)
    try:
        assert _probe(endpoint)
        with pytest.raises(LabError, match=rf"udp/127.0.0.1:{port} already answer SNMP"):
            SnmpLab(agents={"nas1": (port, DEFAULT_AGENTS["nas1"][1])}).start(tmp_path / "second")
    finally:
        lab.stop()


def test_a_second_lab_is_refused_while_one_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(daemon, "LOCK_FILE", tmp_path / "patrol-lab.lock")
    first = daemon.hold_lock()
    try:
        with pytest.raises(LabError, match=rf"another patrol lab already runs on this machine \(pid {os.getpid()}"):
            daemon.hold_lock()
    finally:
        first.close()
    daemon.hold_lock().close()  # free again once the first lab ended


@needs_root
def test_lab_status_reports_a_killed_sshd_host_down(tmp_path: Path) -> None:
    """`patrol lab status` on a lab whose db1 sshd was killed and whose one SSH device port accepts but is
    silent: both down (a TCP connect alone said "up"); the daemon's restarts are shown."""
    import json
    import sys
    from dataclasses import asdict

    lab = SshdLab(prefix=PREFIX, subnet=SUBNET, hosts=(LabHost("solo", 11), LabHost("duo", 12)))
    endpoints = lab.start(tmp_path / "lab")
    try:
        os.kill(lab._procs["duo"].pid, signal.SIGKILL)
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            device = Endpoint(host="core-sw1", kind="fakenos:cisco_ios", address="127.0.0.1",
                              port=silent.getsockname()[1])  # fmt: skip
            state = {"pid": os.getpid(), "ready": True, "endpoints": [asdict(e) for e in [device, *endpoints]],
                     "health": {"solo": {"restarts": 1}}}  # fmt: skip
            (tmp_path / "state.json").write_text(json.dumps(state), encoding="utf-8")
            env = dict(os.environ, PATROL_LAB_STATE=str(tmp_path), COLUMNS="200", NO_COLOR="1")
            run = [sys.executable, "-m", "patrol", "lab", "status"]
            shown = subprocess.run([*run, "--json"], env=env, capture_output=True, text=True, check=True).stdout
            table = subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout
    finally:
        lab.stop()
    found = {e["host"]: e for e in json.loads(shown)["endpoints"]}
    assert {h: e["reachable"] for h, e in found.items()} == {"core-sw1": False, "solo": True, "duo": False}
    assert found["solo"]["restarts"] == 1
    rows = {line.split("│")[1].strip(): line for line in table.splitlines() if line.count("│") > 4}
    assert "down (no SSH banner)" in rows["duo"] and "down (no SSH banner)" in rows["core-sw1"]
    assert "up (restarted 1x)" in rows["solo"]
