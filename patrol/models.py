"""Typed data passed between the pipeline's stages.

``Host`` (inventory) -> ``HostResult`` with a ``Snapshot`` (collect) -> ``CheckResult`` /
``Finding`` (checks) -> ``RunSummary`` (runner, report).

A snapshot is one normalised document per host per run. Its shape (JSON of
``Snapshot.model_dump(mode="json")``)::

    {
      "schema_version": 1,
      "host": "core-sw1", "device_class": "network", "platform": "cisco_ios",
      "collected_at": "2026-11-26T02:00:03Z",
      "facts": {"hostname": "core-sw1", "vendor": "Cisco", "model": "CSR1000V",
                "os_version": "16.3.1", "serial": "9KIBQAQ3OPE",
                "boot_time": "2026-11-20T01:10:00Z"},
      "interfaces": [{"name": "GigabitEthernet1", "admin_up": true, "oper_up": true,
                      "description": "uplink", "ip_addresses": ["10.0.0.1/24"],
                      "mac": "0050.56bb.e99c", "speed_mbps": 1000, "mtu": 1500,
                      "in_errors": 0, "out_errors": 0}],
      "resources": [{"kind": "filesystem", "name": "/var", "capacity": 1.0e10,
                     "used": 9.1e9, "unit": "bytes", "used_percent": 91.0}],
      "security": {"ntp_servers": ["192.0.2.1"], "ssh_permit_root_login": "no"},
      "certificates": [{"path": "/etc/ssl/x.pem", "subject": "CN=x",
                        "not_after": "2027-01-01T00:00:00Z"}],
      "config": "hostname core-sw1\\n...",      # secrets redacted
      "raw": {"show version": "..."},            # secrets redacted
      "extra": {}
    }

Volatile readings are stored as stable values: uptime becomes ``facts.boot_time`` (rounded to
the minute) so two snapshots of an unchanged device compare equal. Well-known keys of
``security`` are listed in :data:`SECURITY_KEYS`; collectors add only keys they really read.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, computed_field

__all__ = [
    "DEFAULT_HOST_KEY_POLICY",
    "HOST_KEY_POLICIES",
    "HOST_KEY_POLICY_VAR",
    "SECURITY_KEYS",
    "Certificate",
    "CheckResult",
    "Credentials",
    "DeviceClass",
    "Facts",
    "Finding",
    "Host",
    "HostResult",
    "HostStatus",
    "Interface",
    "Outcome",
    "Resource",
    "RunStatus",
    "RunSummary",
    "Severity",
    "Snapshot",
    "WaiverMark",
    "fingerprint",
    "utcnow",
]

SNAPSHOT_SCHEMA_VERSION = 1

#: Documented keys of ``Snapshot.security``; a collector sets only those it really read.
SECURITY_KEYS: dict[str, str] = {
    "ntp_servers": "list[str]: configured NTP servers",
    "ntp_synced": "bool: clock synchronised",
    "logging_servers": "list[str]: remote syslog targets",
    "snmp_communities": "int: number of SNMP communities configured (values never kept)",
    "snmp_v3_only": "bool: no v1/v2c community configured",
    "telnet_enabled": "bool: telnet accepted on VTY / management",
    "ssh_enabled": "bool: SSH management enabled",
    "ssh_version": "str: SSH protocol version",
    "aaa_enabled": "bool: AAA / central authentication configured",
    "password_encryption": "bool: stored passwords encrypted/hashed",
    "banner_present": "bool: a login banner is configured",
    "http_server_enabled": "bool: plain HTTP management enabled",
    "ssh_permit_root_login": "str: sshd PermitRootLogin",
    "ssh_password_authentication": "str: sshd PasswordAuthentication",
    "uid0_users": "list[str]: local users with UID 0",
    "listening_ports": "list[str]: 'proto/addr:port process' of listening sockets",
    "failed_services": "list[str]: failed systemd units / services",
    "firewall_default_deny": "bool: default policy denies",
    "any_any_rules": "int: permit any-any rules",
}


#: SSH host key policies (inventory variable ``patrol_host_key_checking``; see patrol.collect.hostkeys)
HOST_KEY_POLICY_VAR = "patrol_host_key_checking"
HOST_KEY_POLICIES = ("strict", "accept-new", "off")
DEFAULT_HOST_KEY_POLICY = "accept-new"


def utcnow() -> datetime:
    """Timezone-aware now in UTC (all stored times are UTC)."""
    return datetime.now(UTC)


class DeviceClass(StrEnum):
    """The contract's hardware groups; also the report's domains."""

    NETWORK = "network"
    SECURITY = "security"
    HOST = "host"
    STORAGE = "storage"


class Severity(StrEnum):
    """A check's severity is the contract's priority (SERVICE.md: 特急/緊急/一般/其他)."""

    CRITICAL = "critical"
    URGENT = "urgent"
    NORMAL = "normal"
    OTHER = "other"

    @property
    def rank(self) -> int:
        """Higher is worse: critical 3 … other 0."""
        return {"critical": 3, "urgent": 2, "normal": 1, "other": 0}[self.value]

    @property
    def zh(self) -> str:
        return {"critical": "特急", "urgent": "緊急", "normal": "一般", "other": "其他"}[self.value]


class HostStatus(StrEnum):
    """What collection achieved for one host in one run."""

    OK = "ok"
    UNREACHABLE = "unreachable"
    AUTH_FAILED = "auth_failed"
    TIMEOUT = "timeout"
    PARSE_ERROR = "parse_error"
    ERROR = "error"
    ABORTED = "aborted"
    #: the SSH host key differs from the known one: nothing (no password) was sent to the host
    HOST_KEY_CHANGED = "host_key_changed"
    #: no known host key and ``patrol_host_key_checking: strict``: nothing was sent to the host
    HOST_KEY_UNKNOWN = "host_key_unknown"

    @property
    def inspected(self) -> bool:
        return self is HostStatus.OK


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    ABORTED = "aborted"
    FAILED = "failed"


class Outcome(StrEnum):
    """Result of one check on one object of one host."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"
    NOT_EVALUATED = "not_evaluated"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Credentials(_Model):
    """Secrets are ``SecretStr``: they print as ``**********`` and are never serialised in clear."""

    username: str | None = None
    password: SecretStr | None = None
    enable_secret: SecretStr | None = None
    private_key_file: str | None = None
    snmp_community: SecretStr | None = None


class Host(_Model):
    """One inventory host, resolved and validated before any connection is made."""

    name: str
    address: str
    port: int | None = None
    device_class: DeviceClass
    platform: str
    collector: str
    groups: tuple[str, ...] = ()
    credentials: Credentials = Field(default_factory=Credentials)
    connect_timeout: float = 10.0
    command_timeout: float = 30.0
    #: Non-secret inventory variables (``patrol_*`` and ``ansible_*`` minus secrets), templated.
    vars: dict[str, Any] = Field(default_factory=dict)


class Facts(_Model):
    hostname: str | None = None
    vendor: str | None = None
    model: str | None = None
    os_version: str | None = None
    serial: str | None = None
    boot_time: datetime | None = None


class Interface(_Model):
    name: str
    admin_up: bool | None = None
    oper_up: bool | None = None
    description: str | None = None
    ip_addresses: list[str] = Field(default_factory=list)
    mac: str | None = None
    speed_mbps: float | None = None
    mtu: int | None = None
    in_errors: int | None = None
    out_errors: int | None = None


class Resource(_Model):
    """A capacity with usage: a filesystem, storage volume, memory, swap, CPU load."""

    kind: str
    name: str
    capacity: float | None = None
    used: float | None = None
    unit: str = "bytes"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def used_percent(self) -> float | None:
        if not self.capacity or self.used is None:
            return None
        return round(100.0 * self.used / self.capacity, 2)


class Certificate(_Model):
    path: str
    subject: str | None = None
    not_after: datetime | None = None
    error: str | None = None


class Snapshot(BaseModel):
    """One host's normalised state in one run; see the module docstring for the shape."""

    model_config = ConfigDict(extra="ignore")

    schema_version: int = SNAPSHOT_SCHEMA_VERSION
    host: str
    device_class: DeviceClass
    platform: str
    collected_at: datetime = Field(default_factory=utcnow)
    facts: Facts = Field(default_factory=Facts)
    interfaces: list[Interface] = Field(default_factory=list)
    resources: list[Resource] = Field(default_factory=list)
    security: dict[str, Any] = Field(default_factory=dict)
    certificates: list[Certificate] = Field(default_factory=list)
    config: str | None = None
    raw: dict[str, str] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)


class HostResult(_Model):
    """What one collector produced for one host: a snapshot, or a failure as data."""

    host: str
    status: HostStatus
    collector: str
    error: str | None = None
    snapshot: Snapshot | None = None
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime = Field(default_factory=utcnow)
    attempts: int = 1


def fingerprint(host: str, check_id: str, obj: str) -> str:
    """Stable identity of a finding across runs: same host, check and object."""
    return hashlib.sha256(f"{host}\x1f{check_id}\x1f{obj}".encode()).hexdigest()[:20]


class CheckResult(_Model):
    """One check evaluated on one object (``""`` for host-level) of one host."""

    host: str
    check_id: str
    object: str = ""
    outcome: Outcome
    message: str = ""
    evidence: dict[str, Any] = Field(default_factory=dict)


class WaiverMark(_Model):
    """The waiver that covers a finding (``patrol waive``): it stays visible, shown and counted as waived."""

    id: int
    until: datetime
    reason: str
    approver: str
    scope: str


class Finding(_Model):
    """A failed check (or a coverage gap) that someone has to act on (``waiver``: accepted until a date)."""

    run_id: str
    host: str
    check_id: str
    object: str = ""
    severity: Severity
    domain: DeviceClass
    title_en: str
    title_zh: str
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    remediation: dict[str, Any] | None = None
    waiver: WaiverMark | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fingerprint(self) -> str:
        return fingerprint(self.host, self.check_id, self.object)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def waived(self) -> bool:
        return self.waiver is not None


class RunSummary(_Model):
    run_id: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None = None
    hosts_total: int = 0
    hosts_inspected: int = 0
    findings_by_severity: dict[str, int] = Field(default_factory=dict)
    findings_by_domain: dict[str, int] = Field(default_factory=dict)
    gaps: dict[str, str] = Field(default_factory=dict)
    #: findings covered by a waiver, by severity; counted apart (not in ``findings_by_severity``)
    waived_by_severity: dict[str, int] = Field(default_factory=dict)

    @property
    def coverage_percent(self) -> float:
        return round(100.0 * self.hosts_inspected / self.hosts_total, 1) if self.hosts_total else 0.0
