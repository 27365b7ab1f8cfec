"""Lab Linux hosts: one sshd per network namespace, behind a bridge (root only).

Layout for the default prefix ``patrol`` and subnet ``10.99.0``::

    root namespace                      namespace patrol-web1 (own UTS: hostname web1)
    patrolbr0 10.99.0.1/24 ── patrol-web1 ═ eth0 10.99.0.11  sshd :22
                           └─ patrol-db1  ═ eth0 10.99.0.12  sshd :22  (namespace patrol-db1)

State under ``state_dir`` (rendered from ``lab/sshd/``)::

    ssh/id_ed25519, ssh/authorized_keys        the lab key root logs in with (key only)
    sshd/<host>/sshd_config                    what the host's sshd runs with
    sshd/<host>/ssh_host_ed25519_key, sshd.pid, sshd.log
    sshd/<host>/passwd                         the passwd file the inspection module reads
    sshd/<host>/tls/<host>.crt                 a certificate (web1: expires in 10 days)

Seeded findings: web1 ``PermitRootLogin yes`` and a certificate expiring in ~10 days; db1 a
second UID-0 user ``toor``. Not root: every endpoint is returned with ``skipped`` set.

Each sshd runs in the foreground (``-D``) as a child of the lab process, which reaps it:
:meth:`SshdLab.supervise` (called by the lab daemon every second) restarts a host whose sshd
exited (its namespace and the bridge re-created when they are gone), and gives up — reporting the
host dead — after ``MAX_RESTARTS`` exits within a minute.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from string import Template

from patrol.errors import LabError
from patrol.lab.base import Endpoint
from patrol.paths import LAB_DIR

__all__ = ["DEFAULT_HOSTS", "LabHost", "SshdLab"]

log = logging.getLogger(__name__)

TEMPLATES = LAB_DIR / "sshd"
SSHD = "/usr/sbin/sshd"
NOT_ROOT = "needs root (network namespaces)"
#: exits within ``RESTART_WINDOW`` seconds after which a host is left dead (reported, not restarted)
MAX_RESTARTS, RESTART_WINDOW = 3, 60.0


@dataclass(frozen=True)
class LabHost:
    """One lab Linux host: its name, last address octet and seeded state."""

    name: str
    octet: int
    permit_root_login: str = "prohibit-password"
    certificate_days: int = 365
    extra_users: tuple[str, ...] = ()


DEFAULT_HOSTS: tuple[LabHost, ...] = (
    LabHost("web1", 11, permit_root_login="yes", certificate_days=10),
    LabHost("db1", 12, extra_users=("toor:x:0:0:backup operator:/root:/bin/bash",)),
)


def _run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    if check and proc.returncode != 0:
        raise LabError(f"sshd lab: `{' '.join(argv)}` failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def _wait_tcp(address: str, port: int, deadline: float) -> None:
    while True:
        try:
            with socket.create_connection((address, port), timeout=0.5):
                return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise LabError(f"sshd lab: nothing answers on {address}:{port}: {exc}") from exc
            time.sleep(0.05)


class SshdLab:
    """Lab component ``sshd``: Linux hosts reachable over SSH at ``<subnet>.<octet>:22``."""

    name = "sshd"

    def __init__(
        self, prefix: str = "patrol", subnet: str = "10.99.0", hosts: tuple[LabHost, ...] = DEFAULT_HOSTS
    ) -> None:
        self.prefix = prefix
        self.subnet = subnet
        self.hosts = hosts
        self.bridge = f"{prefix}br0"
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._state_dir: Path | None = None
        self._exits: dict[str, list[float]] = {}  # host -> monotonic times its sshd exited
        self.dead: dict[str, str] = {}  # host -> why it is no longer restarted

    def netns(self, host: LabHost) -> str:
        return f"{self.prefix}-{host.name}"

    def address(self, host: LabHost) -> str:
        return f"{self.subnet}.{host.octet}"

    def _veth(self, host: LabHost) -> str:
        return f"{self.prefix}-{host.name}"[:15]

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self, state_dir: Path) -> list[Endpoint]:
        """Create the network, render state, start one sshd per host; return when all accept."""
        if os.geteuid() != 0:
            return [self._endpoint(host, skipped=NOT_ROOT) for host in self.hosts]
        for tool in (SSHD, "ip", "ssh-keygen", "openssl", "unshare"):
            if not shutil.which(tool):
                raise LabError(f"sshd lab: {tool} not found; install Debian packages openssh-server and iproute2")
        self._state_dir = state_dir
        self._remove_leftovers(state_dir)
        key = self._client_key(state_dir / "ssh")
        self._create_bridge()
        try:
            for host in self.hosts:
                self._start_host(host, state_dir / "sshd" / host.name, key)
            deadline = time.monotonic() + 10
            for host in self.hosts:
                _wait_tcp(self.address(host), 22, deadline)
        except BaseException:
            self.stop()
            raise
        log.info("sshd lab up: %s", ", ".join(f"{h.name}={self.address(h)}" for h in self.hosts))
        return [self._endpoint(host) for host in self.hosts]

    def stop(self) -> None:
        """Stop the sshds, then delete the namespaces, veths and bridge."""
        for proc in self._procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self._procs.values():
            _stop(proc)
        self._procs.clear()
        if self._state_dir is not None and os.geteuid() == 0:
            self._remove_leftovers(self._state_dir)

    def supervise(self) -> list[str]:
        """Reap every sshd that exited and restart it (see the module docstring); what happened, in words."""
        notes = []
        for host in self.hosts:
            proc = self._procs.get(host.name)
            if proc is None or host.name in self.dead:
                continue
            code = proc.poll()  # poll() reaps: no defunct sshd
            if code is None and self._network_intact(host):
                continue
            if code is None:  # its namespace or the bridge was deleted under it: unreachable, start it anew
                notes.append(f"{host.name}: namespace {self.netns(host)} or bridge {self.bridge} is gone")
                _stop(proc)
                code = proc.returncode
            now = time.monotonic()
            exits = [t for t in self._exits.get(host.name, []) if now - t < RESTART_WINDOW] + [now]
            self._exits[host.name] = exits
            if len(exits) > MAX_RESTARTS:
                self.dead[host.name] = f"sshd exited {len(exits)} times within {RESTART_WINDOW:.0f} s (last: {code})"
                notes.append(f"{host.name}: {self.dead[host.name]}; not restarted, see {self._log(host)}")
                continue
            try:
                self._restart(host)
            except LabError as exc:  # tried again next pass: it counts as one more exit
                notes.append(f"{host.name}: sshd exited ({code}) and could not be restarted yet: {exc}")
                continue
            notes.append(f"{host.name}: sshd exited ({code}); restarted")
        return notes

    def _network_intact(self, host: LabHost) -> bool:
        """The host's namespace and the bridge exist (files: no subprocess per supervision pass)."""
        return Path("/run/netns", self.netns(host)).exists() and Path("/sys/class/net", self.bridge).exists()

    def restarts(self) -> dict[str, int]:
        return {name: len(times) for name, times in self._exits.items()}

    def _log(self, host: LabHost) -> Path | None:
        return self._state_dir / "sshd" / host.name / "sshd.log" if self._state_dir else None

    def _restart(self, host: LabHost) -> None:
        """Start ``host``'s sshd again; its namespace (and the bridge) first when they are gone."""
        assert self._state_dir is not None
        if _run("ip", "link", "show", self.bridge, check=False).returncode != 0:
            self._create_bridge()
        if self.netns(host) not in _run("ip", "netns", "list", check=False).stdout.split():
            _run("ip", "link", "del", self._veth(host), check=False)  # its old pair, when it survived
            self._create_netns(host)
        elif not Path("/sys/class/net", self._veth(host)).exists():
            _run("ip", "netns", "del", self.netns(host), check=False)
            self._create_netns(host)
        self._spawn(host, self._state_dir / "sshd" / host.name)
        _wait_tcp(self.address(host), 22, time.monotonic() + 10)

    def _endpoint(self, host: LabHost, skipped: str | None = None) -> Endpoint:
        return Endpoint(host=host.name, kind="sshd-netns", address=self.address(host), port=22, skipped=skipped)

    # ---- network -----------------------------------------------------------------------------

    def _remove_leftovers(self, state_dir: Path) -> None:
        """Kill processes left in our namespaces (by PID), then delete namespaces and bridge."""
        existing = _run("ip", "netns", "list", check=False).stdout
        for host in self.hosts:
            ns = self.netns(host)
            if ns not in existing.split():
                continue
            for pid in _run("ip", "netns", "pids", ns, check=False).stdout.split():
                _kill(int(pid))
            _run("ip", "netns", "del", ns, check=False)
        _run("ip", "link", "del", self.bridge, check=False)

    def _create_bridge(self) -> None:
        _run("ip", "link", "add", self.bridge, "type", "bridge")
        _run("ip", "addr", "add", f"{self.subnet}.1/24", "dev", self.bridge)
        _run("ip", "link", "set", self.bridge, "up")

    def _create_netns(self, host: LabHost) -> None:
        ns, veth = self.netns(host), self._veth(host)
        _run("ip", "netns", "add", ns)
        _run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _run("ip", "link", "set", veth, "master", self.bridge, "up")
        _run("ip", "-n", ns, "addr", "add", f"{self.address(host)}/24", "dev", "eth0")
        _run("ip", "-n", ns, "link", "set", "eth0", "up")
        _run("ip", "-n", ns, "link", "set", "lo", "up")

    # ---- hosts -------------------------------------------------------------------------------

    @staticmethod
    def _client_key(ssh_dir: Path) -> Path:
        ssh_dir.mkdir(parents=True, exist_ok=True)
        key = ssh_dir / "id_ed25519"
        if not key.exists():
            _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "patrol-lab", "-f", str(key))
        (ssh_dir / "authorized_keys").write_text(key.with_suffix(".pub").read_text())
        return key

    def _start_host(self, host: LabHost, host_dir: Path, key: Path) -> None:
        self._create_netns(host)
        self._render(host, host_dir, key)
        self._spawn(host, host_dir)

    def _spawn(self, host: LabHost, host_dir: Path) -> None:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
        log_file = host_dir / "sshd.log"
        command = f"hostname {host.name} && exec {SSHD} -D -f {host_dir}/sshd_config -E {log_file}"
        self._procs[host.name] = subprocess.Popen(
            ["ip", "netns", "exec", self.netns(host), "unshare", "--uts", "sh", "-c", command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _render(self, host: LabHost, host_dir: Path, key: Path) -> None:
        (host_dir / "tls").mkdir(parents=True, exist_ok=True)
        host_key = host_dir / "ssh_host_ed25519_key"
        if not host_key.exists():
            _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key))
        values = {
            "host": host.name,
            "address": self.address(host),
            "host_dir": str(host_dir),
            "authorized_keys": str(key.parent / "authorized_keys"),
            "permit_root_login": host.permit_root_login,
            "extra_users": "\n".join(host.extra_users),
        }
        for name in ("sshd_config", "passwd"):
            text = Template((TEMPLATES / f"{name}.tmpl").read_text()).substitute(values)
            (host_dir / name).write_text(text)
        tls = host_dir / "tls"
        _run(
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", str(host.certificate_days), "-subj", f"/CN={host.name}.lab.example/O=patrol lab",
            "-keyout", str(tls / f"{host.name}.key"), "-out", str(tls / f"{host.name}.crt"),
        )  # fmt: skip


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate ``proc`` (killed after 5 s) and reap it."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        return
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 9)
