"""Linux host collection: one ansible-runner run of ``playbooks/collect_host.yml`` per batch.

The playbook gathers a minimal fact subset (distribution, platform) and runs the project's
module ``library/patrol_host_facts.py``. Results stream back as ansible-runner events; each
host's :class:`~patrol.models.HostResult` is emitted as soon as its module task ends, failed
or unreachable hosts as soon as Ansible gives up on them.

Snapshot of a host (``Snapshot.model_dump(mode="json")``, abridged)::

    {"host": "web1", "device_class": "host", "platform": "linux",
     "facts": {"hostname": "web1", "vendor": "QEMU", "model": "Standard PC",
               "os_version": "Debian 12.8", "serial": null, "boot_time": "2026-11-20T01:10:00Z"},
     "resources": [{"kind": "filesystem", "name": "/", "capacity": 2.7e11, "used": 2.4e10},
                   {"kind": "memory", "name": "memory", "capacity": 2.5e10, "used": 5.7e8},
                   {"kind": "load", "name": "load5", "capacity": 2, "used": 0.23, "unit": "load"}],
     "security": {"ssh_permit_root_login": "yes", "ssh_password_authentication": "no",
                  "uid0_users": ["root"], "listening_ports": ["tcp/10.99.0.11:22 sshd"],
                  "ntp_synced": false},
     "certificates": [{"path": ".../web1.crt", "subject": "CN=web1.lab.example",
                       "not_after": "2026-12-06T11:00:00Z"}],
     "extra": {"kernel": "6.1.0", "architecture": "x86_64", "cpus": 2,
               "sshd": {"present": true, "files": [...], "settings": {...}},
               "time_sync": {"synced": false, "source": "adjtimex", "detail": "..."},
               "services": {"available": false, "reason": "systemd is not running ...",
                            "failed": null}}}

SSH host keys are checked by OpenSSH per ``patrol_host_key_checking`` against patrol's known_hosts
(:mod:`patrol.collect.hostkeys_ansible`); a refused key is ``host_key_changed`` /
``host_key_unknown`` with both fingerprints, never ``unreachable``.

``security.failed_services`` is set only where systemd answers, ``ntp_synced`` only when a
time source answered, the ``ssh_*`` keys only when an sshd configuration exists. Where nginx is
inspected (installed and configured, or ``patrol_nginx`` / ``patrol_nginx_conf`` set) ``extra.nginx``
is ``{"present", "test_ok", "test_output", "test_errors"}`` (``nginx -t``) and ``config`` is ``nginx -T``'s output, so
drift baselines the nginx configuration like a device's.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from patrol.ansible_env import runner_env
from patrol.ansible_files import keep_redacted
from patrol.collect.base import CollectContext, Emit
from patrol.collect.hostkeys import KnownHosts
from patrol.collect.hostkeys_ansible import hostkey_inventory, refusal_message, ssh_refusal
from patrol.models import (
    Certificate,
    DeviceClass,
    Facts,
    Host,
    HostResult,
    HostStatus,
    Resource,
    Snapshot,
    utcnow,
)
from patrol.paths import PLAYBOOKS_DIR

__all__ = ["LINUX_PLATFORM", "AnsibleHostCollector", "LinuxPlatform", "snapshot_from_module"]

log = logging.getLogger(__name__)

PLAYBOOK = PLAYBOOKS_DIR / "collect_host.yml"
MODULE_NAME = "patrol_host_facts"
_FACT_ACTIONS = {"setup", "ansible.builtin.setup", "gather_facts", "ansible.builtin.gather_facts"}
_AUTH_PATTERN = re.compile(r"permission denied|authentication failed|auth.* fail", re.I)
_TIMEOUT_PATTERN = re.compile(r"timed out|timeout", re.I)
_SSH_NOISE = re.compile(r"Warning: Permanently added .*? to the list of known hosts\.\s*")


@dataclass
class LinuxPlatform:
    """The ``linux`` platform: served by the ``ansible`` collector, device class ``host``."""

    name: str = "linux"
    collector: str = "ansible"
    default_device_class: DeviceClass | None = DeviceClass.HOST


LINUX_PLATFORM = LinuxPlatform()


# ---- module result -> snapshot -------------------------------------------------------------


def _strip_prefix(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {key.removeprefix("ansible_"): value for key, value in facts.items()}


def _boot_time(epoch: Any) -> datetime | None:
    if not isinstance(epoch, int | float) or epoch <= 0:
        return None
    return datetime.fromtimestamp(round(epoch / 60) * 60, UTC)


def _facts(facts: Mapping[str, Any], machine: Mapping[str, Any]) -> Facts:
    distribution = " ".join(str(facts[k]) for k in ("distribution", "distribution_version") if facts.get(k))
    return Facts(
        hostname=facts.get("hostname") or facts.get("nodename"),
        vendor=machine.get("vendor"),
        model=machine.get("model"),
        os_version=distribution or None,
        serial=machine.get("serial"),
        boot_time=_boot_time(machine.get("boot_time")),
    )


def _resources(res: Mapping[str, Any]) -> list[Resource]:
    resources = [
        Resource(kind="filesystem", name=fs["mount"], capacity=fs["size"], used=fs["used"])
        for fs in res.get("filesystems", [])
    ]
    mem = res.get("memory", {})
    if mem.get("total"):
        resources.append(Resource(kind="memory", name="memory", capacity=mem["total"], used=mem["used"]))
    if mem.get("swap_total"):
        resources.append(Resource(kind="swap", name="swap", capacity=mem["swap_total"], used=mem["swap_used"]))
    load = res.get("load", {})
    for window in ("load1", "load5", "load15"):
        if window in load:
            resources.append(
                Resource(kind="load", name=window, capacity=load.get("cpus"), used=load[window], unit="load")
            )
    return resources


def _security(res: Mapping[str, Any]) -> dict[str, Any]:
    security: dict[str, Any] = {
        "uid0_users": list(res.get("uid0_users", [])),
        "listening_ports": list(res.get("listening", [])),
    }
    sshd = res.get("sshd", {})
    if sshd.get("present"):
        security["ssh_permit_root_login"] = sshd["settings"].get("permitrootlogin")
        security["ssh_password_authentication"] = sshd["settings"].get("passwordauthentication")
    services = res.get("services", {})
    if services.get("available"):
        security["failed_services"] = list(services.get("failed") or [])
    synced = res.get("time_sync", {}).get("synced")
    if synced is not None:
        security["ntp_synced"] = bool(synced)
    return security


def _nginx(nginx: Mapping[str, Any]) -> dict[str, Any]:
    """``extra.nginx``: the ``nginx -t`` result; ``test_errors`` lists its error line when it failed."""
    ok = bool(nginx.get("test_ok"))
    output = str(nginx.get("test_output") or "")
    return {"present": nginx.get("present"), "test_ok": ok, "test_output": output,
            "test_errors": [] if ok else [output or "nginx -t failed"]}  # fmt: skip


def snapshot_from_module(host: str, gathered: Mapping[str, Any], res: Mapping[str, Any]) -> Snapshot:
    """Build ``host``'s snapshot from the setup facts and the ``patrol_host_facts`` result."""
    facts = _strip_prefix(gathered)
    machine = res.get("machine", {})
    nginx = res.get("nginx")
    return Snapshot(
        host=host,
        device_class=DeviceClass.HOST,
        platform=LINUX_PLATFORM.name,
        facts=_facts(facts, machine),
        resources=_resources(res),
        security=_security(res),
        certificates=[Certificate(**cert) for cert in res.get("certificates", [])],
        extra={
            "kernel": facts.get("kernel"),
            "architecture": facts.get("architecture"),
            "os_family": facts.get("os_family"),
            "cpus": machine.get("cpus"),
            "sshd": res.get("sshd", {}),
            "time_sync": res.get("time_sync", {}),
            "services": res.get("services", {}),
        }
        | ({"nginx": _nginx(nginx)} if nginx else {}),
        config=nginx.get("config") if nginx else None,
    )


# ---- events -> host results ----------------------------------------------------------------


def _failure_status(message: str, unreachable: bool) -> HostStatus:
    if _AUTH_PATTERN.search(message):
        return HostStatus.AUTH_FAILED
    if _TIMEOUT_PATTERN.search(message):
        return HostStatus.TIMEOUT
    return HostStatus.UNREACHABLE if unreachable else HostStatus.ERROR


def _result_message(res: Mapping[str, Any]) -> str:
    message = _SSH_NOISE.sub("", str(res.get("msg") or "")).strip()
    stderr = str(res.get("module_stderr") or "").strip()
    if stderr:
        message += f" (module stderr: {stderr.splitlines()[-1][:300]})"
    return message or "failed without a message"


class _Batch:
    """Bookkeeping of one run: facts per host, which hosts were emitted; thread-safe."""

    def __init__(self, hosts: Sequence[Host], emit: Emit, known: KnownHosts | None = None) -> None:
        self.names = [host.name for host in hosts]
        self.hosts = {host.name: host for host in hosts}
        self.known = known or KnownHosts(None)
        self.started_at = utcnow()
        self.facts: dict[str, dict[str, Any]] = {}
        self.emitted: set[str] = set()
        self._emit = emit
        self._lock = threading.Lock()

    def finish(self, host: str, status: HostStatus, error: str | None = None, snapshot: Snapshot | None = None) -> None:
        with self._lock:
            if host not in self.names or host in self.emitted:
                return
            self.emitted.add(host)
        log.debug("host %s: %s", host, status.value)
        self._emit(
            HostResult(
                host=host,
                status=status,
                collector=AnsibleHostCollector.name,
                error=error,
                snapshot=snapshot,
                started_at=self.started_at,
                finished_at=utcnow(),
            )
        )

    def finish_rest(self, status: HostStatus, error: str) -> None:
        for host in self.names:
            self.finish(host, status, error)

    def on_event(self, event: Mapping[str, Any]) -> bool:
        """ansible-runner event handler; returns False: no event is written to disk (module results
        hold file contents; :func:`patrol.ansible_files.keep_redacted` keeps a redacted stdout)."""
        data = event.get("event_data") or {}
        host, kind, res = data.get("host"), event.get("event"), data.get("res") or {}
        if not isinstance(host, str):
            return False
        if kind == "runner_on_ok":
            self._on_ok(host, str(data.get("task_action", "")), res)
        elif kind == "runner_on_unreachable":
            raw = str(res.get("msg") or "")
            refused = ssh_refusal(raw) if host in self.hosts else None
            if refused is not None:  # ssh stopped at the host key: nothing was sent
                where = self.hosts[host]
                self.finish(host, refused, refusal_message(refused, host, where.address, where.port, raw, self.known))
                return True
            message = _result_message(res)
            self.finish(host, _failure_status(message, unreachable=True), message)
        elif kind == "runner_on_failed" and not data.get("ignore_errors"):
            message = f"task {data.get('task', '?')!r} failed: {_result_message(res)}"
            self.finish(host, _failure_status(message, unreachable=False), message)
        return False

    def _on_ok(self, host: str, action: str, res: Mapping[str, Any]) -> None:
        if action in _FACT_ACTIONS:
            self.facts[host] = dict(res.get("ansible_facts") or {})
        elif action.rsplit(".", 1)[-1] == MODULE_NAME:
            try:
                snapshot = snapshot_from_module(host, self.facts.get(host, {}), res)
            except (KeyError, TypeError, ValueError) as exc:
                self.finish(host, HostStatus.PARSE_ERROR, f"unexpected {MODULE_NAME} result: {exc}")
                return
            self.finish(host, HostStatus.OK, snapshot=snapshot)


# ---- the collector -------------------------------------------------------------------------


def _envvars(hosts: Sequence[Host], ctx: CollectContext) -> dict[str, str]:
    connect = max(host.connect_timeout for host in hosts)
    command = max(host.command_timeout for host in hosts)
    return runner_env(ctx.known_hosts, ctx.user_known_hosts, connect_timeout=connect, task_timeout=command * 2)


def _private_dir(ctx: CollectContext) -> Path:
    """ansible-runner's private data directory of the run."""
    return ctx.work_dir / "ansible"


def _absolute(source: str) -> str:
    """An existing relative path made absolute (ansible-playbook runs in the private data dir)."""
    return str(Path(source).resolve()) if os.path.exists(source) else source


def _runner_error(runner: Any) -> str:
    """The ansible-playbook error lines of a run that produced no host result."""
    try:
        text = runner.stdout.read()
    except (AttributeError, OSError, ValueError):
        text = ""
    lines = [line.strip() for line in text.splitlines() if "ERROR" in line or "error" in line.lower()]
    detail = "; ".join(lines[-3:])[:600]
    return f"ansible-playbook ended with status {runner.status} (rc {runner.rc})" + (f": {detail}" if detail else "")


class AnsibleHostCollector:
    """Collects Linux hosts with ansible-runner; see the module docstring for the snapshot shape."""

    name: ClassVar[str] = "ansible"

    def collect(self, hosts: Sequence[Host], ctx: CollectContext, emit: Emit) -> None:
        """Run the playbook once over ``hosts``; emit exactly one result per host.

        The ansible-runner files of the run are reduced to a redacted stdout afterwards."""
        if not hosts:
            return
        try:
            self._collect(hosts, ctx, emit)
        finally:
            keep_redacted(_private_dir(ctx))

    def _collect(self, hosts: Sequence[Host], ctx: CollectContext, emit: Emit) -> None:
        batch = _Batch(hosts, emit, KnownHosts(ctx.known_hosts, ctx.user_known_hosts))
        if ctx.cancel.is_set():
            batch.finish_rest(HostStatus.ABORTED, "run cancelled before the host was collected")
            return
        try:
            runner = self._run(hosts, ctx, batch)
        except Exception as exc:  # ansible-runner setup errors must not escape the run
            log.warning("ansible-runner could not run: %s", type(exc).__name__)
            batch.finish_rest(HostStatus.ERROR, f"ansible-runner could not run the playbook: {exc}")
            return
        if runner.canceled or ctx.cancel.is_set():
            batch.finish_rest(HostStatus.ABORTED, "run cancelled while the host was being collected")
        else:
            sources = ", ".join(ctx.inventory_sources) or "none given"
            batch.finish_rest(
                HostStatus.ERROR,
                f"Ansible returned no result for this host: is it in the inventory ({sources})? "
                + _runner_error(runner),
            )
        log.info("ansible collection of %d hosts: %s (rc %s)", len(hosts), runner.status, runner.rc)

    def _run(self, hosts: Sequence[Host], ctx: CollectContext, batch: _Batch) -> Any:
        import ansible_runner  # heavy import, only when Linux hosts are collected

        private_dir = _private_dir(ctx)
        private_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        vault = ctx.vault_password_file
        cmdline = f"--vault-password-file {shlex.quote(_absolute(vault))}" if vault else None
        # host key checking per host (patrol_host_key_checking): one more inventory source, last
        host_keys = hostkey_inventory(private_dir, ctx.known_hosts, ctx.user_known_hosts)
        return ansible_runner.run(
            private_data_dir=str(private_dir),
            playbook=str(PLAYBOOK),
            inventory=[_absolute(source) for source in ctx.inventory_sources] + [str(host_keys)],
            limit=",".join(batch.names),
            forks=max(1, min(ctx.forks, len(hosts))),
            envvars=_envvars(hosts, ctx),
            cmdline=cmdline,
            ident=f"{ctx.run_id}-{uuid.uuid4().hex[:8]}",
            event_handler=batch.on_event,
            cancel_callback=ctx.cancel.is_set,
            quiet=True,
            suppress_env_files=True,
        )
