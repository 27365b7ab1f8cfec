"""Fortinet FortiGate (FortiOS) driver: ``get system status``, ``get system interface physical``,
``get system performance status`` and the configuration (``show``).

``PLATFORM.parse("fw3", outputs)`` gives a snapshot like::

    facts:      {"hostname": "fw3", "vendor": "Fortinet", "model": "FortiGate-60E-POE",
                 "os_version": "7.4.1", "serial": "FG60EPTK19010019", "boot_time": "..."}
    interfaces: [{"name": "port1", "admin_up": null, "oper_up": true, "speed_mbps": 1000.0, ...}]
    resources:  [{"kind": "memory", "name": "system", "capacity": 2055888, "used": 1022764, "unit": "KiB"},
                 {"kind": "cpu", "name": "system", "capacity": 100, "used": 3, "unit": "percent"}]
    security:   {"ntp_servers": [...], "logging_servers": [...], "snmp_communities": 1,
                 "snmp_v3_only": false, "telnet_enabled": true, "ssh_enabled": true,
                 "http_server_enabled": false, "aaa_enabled": false, "password_encryption": true,
                 "banner_present": false, "any_any_rules": 1}

The configuration's ``config``/``edit``/``next``/``end`` blocks are read as paths
(:func:`fortios_statements`); ``any_any_rules`` counts accepting policies from address ``all``
to ``all`` for service ``ALL``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from patrol.collect.platforms import NetPlatform
from patrol.collect.platforms._parse import (
    boot_time,
    clean_outputs,
    first_match,
    new_snapshot,
    optional,
    parse_template,
    require,
    speed_mbps,
    uptime_seconds,
)
from patrol.errors import ParseError
from patrol.models import DeviceClass, Facts, Interface, Resource, Snapshot

__all__ = ["COMMANDS", "PLATFORM", "fortios_posture", "fortios_statements", "parse"]

GET_STATUS = "get system status"
GET_INTERFACES = "get system interface physical"
GET_PERFORMANCE = "get system performance status"
SHOW_CONFIG = "show"
COMMANDS = (GET_STATUS, GET_INTERFACES, GET_PERFORMANCE, SHOW_CONFIG)

_VERSION = re.compile(r"^Version: (\S+) v(\d+\.\d+\.\d+)", re.M)
_UPTIME = re.compile(r"^Uptime:\s+(.+)$", re.M)
_MEMORY = re.compile(r"^Memory:\s+(\d+)k total,\s+(\d+)k used", re.M)
_CPU_IDLE = re.compile(r"^CPU states:.*?(\d+)% idle", re.M)
_SET = re.compile(r"^set (\S+) ?(.*)$")

Statement = tuple[tuple[str, ...], str, str]  # (path of config/edit lines, setting, value)


def fortios_statements(config: str) -> list[Statement]:
    """Every ``set`` of a FortiOS configuration with the ``config``/``edit`` blocks around it.

    ``'config system ntp\\n  config ntpserver\\n    edit 1\\n      set server "192.0.2.1"'`` ->
    ``[(("config system ntp", "config ntpserver", "edit 1"), "server", "192.0.2.1")]``.
    """
    path: list[str] = []
    found: list[Statement] = []
    for raw in config.split("\n"):
        line = raw.strip()
        if line.startswith(("config ", "edit ")):
            path.append(line)
        elif line in ("end", "next"):
            if path:
                path.pop()
        else:
            match = _SET.match(line)
            if match:
                found.append((tuple(path), match[1], match[2].strip()))
    return found


def _values(statements: list[Statement], block: str, setting: str) -> list[str]:
    return [value.strip('"') for path, name, value in statements if path and path[0] == block and name == setting]


def _in(path: tuple[str, ...], block: str) -> bool:
    return bool(path) and path[0] == block


def _any_any(statements: list[Statement]) -> int:
    policies: dict[tuple[str, ...], dict[str, str]] = {}
    for path, name, value in statements:
        if _in(path, "config firewall policy") and len(path) == 2:
            policies.setdefault(path, {})[name] = value
    return sum(
        1
        for p in policies.values()
        if p.get("action") == "accept" and p.get("srcaddr") == '"all"' and p.get("dstaddr") == '"all"'
        and p.get("service") == '"ALL"' and p.get("status") != "disable"
    )  # fmt: skip


def fortios_posture(config: str) -> dict[str, Any]:
    """Security posture of a FortiOS configuration."""
    statements = fortios_statements(config)
    interfaces = [v for path, name, v in statements if _in(path, "config system interface") and name == "allowaccess"]
    access_words = set(" ".join(interfaces).split())
    admin_telnet = "enable" in _values(statements, "config system global", "admin-telnet")
    syslog = [
        v.strip('"')
        for path, name, v in statements
        if path and re.fullmatch(r"config log syslogd\d? setting", path[0]) and name == "server"
    ]
    ntp_custom = "custom" in _values(statements, "config system ntp", "type")
    communities = {path for path, _, _ in statements if _in(path, "config system snmp community") and len(path) == 2}
    secrets = [v for _, name, v in statements if name in ("password", "passwd", "psksecret")]
    return {
        "ntp_servers": _values(statements, "config system ntp", "server") if ntp_custom else [],
        "logging_servers": syslog,
        "snmp_communities": len(communities),
        "snmp_v3_only": not communities,
        "telnet_enabled": "telnet" in access_words or admin_telnet,
        "ssh_enabled": "ssh" in access_words,
        "http_server_enabled": "http" in access_words,
        "aaa_enabled": any(_in(p, "config user tacacs+") or _in(p, "config user radius") for p, _, _ in statements),
        "password_encryption": all(value.startswith("ENC ") for value in secrets),
        "banner_present": "enable" in _values(statements, "config system global", "pre-login-banner"),
        "any_any_rules": _any_any(statements),
    }


def _facts(host: str, status_text: str, performance: str, collected_at: datetime) -> Facts:
    version = _VERSION.search(status_text)
    if not version:
        raise ParseError(host, f"{GET_STATUS!r} output has no 'Version: FortiGate-… vX.Y.Z' line")
    rows = parse_template(host, "fortinet_get_system_status", status_text)
    row = rows[0] if rows else {}
    return Facts(
        hostname=row.get("hostname") or None,
        vendor="Fortinet",
        model=version[1],
        os_version=version[2],
        serial=row.get("serial_number") or None,
        boot_time=boot_time(collected_at, uptime_seconds(first_match(_UPTIME, performance))),
    )


def _resources(performance: str) -> list[Resource]:
    found = []
    memory = _MEMORY.search(performance)
    if memory:
        found.append(Resource(kind="memory", name="system", capacity=int(memory[1]), used=int(memory[2]), unit="KiB"))
    idle = first_match(_CPU_IDLE, performance)
    if idle:
        found.append(Resource(kind="cpu", name="system", capacity=100, used=100 - int(idle), unit="percent"))
    return found


def _interface(row: Mapping[str, Any]) -> Interface:
    status = str(row.get("status") or "").lower()
    ip, mask = row.get("ip_address") or "", row.get("netmask") or ""
    prefix = sum(bin(int(octet)).count("1") for octet in mask.split(".")) if mask.count(".") == 3 else None
    return Interface(
        name=str(row["name"]),
        oper_up=status == "up" if status else None,
        ip_addresses=[f"{ip}/{prefix}"] if ip and ip != "0.0.0.0" else [],
        speed_mbps=speed_mbps(row.get("speed")),
    )


def parse(host: str, outputs: Mapping[str, str]) -> Snapshot:
    """Snapshot of a FortiGate from the outputs of :data:`COMMANDS`."""
    outputs = clean_outputs(outputs)
    status = require(host, outputs, GET_STATUS)
    config = require(host, outputs, SHOW_CONFIG)
    snapshot = new_snapshot(host, "fortinet", DeviceClass.SECURITY, outputs, config)
    performance = optional(outputs, GET_PERFORMANCE)
    snapshot.facts = _facts(host, status, performance, snapshot.collected_at)
    interfaces_text = optional(outputs, GET_INTERFACES)
    rows = parse_template(host, "fortinet_get_system_interface_physical", interfaces_text) if interfaces_text else []
    snapshot.interfaces = [_interface(row) for row in rows]
    snapshot.resources = _resources(performance)
    snapshot.security = fortios_posture(config)
    return snapshot


PLATFORM = NetPlatform(
    name="fortinet",
    device_type="fortinet",
    default_device_class=DeviceClass.SECURITY,
    commands=COMMANDS,
    parse=parse,
    config_command=SHOW_CONFIG,
)
