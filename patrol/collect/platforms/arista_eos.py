"""Arista EOS driver: three show commands, posture read from the running config.

``PLATFORM.parse("dist-sw1", outputs)`` gives a snapshot like::

    facts:      {"hostname": "dist-sw1", "vendor": "Arista", "model": "DCS-7050SX-64",
                 "os_version": "4.27.3F", "serial": "JPE1234", "boot_time": "...T10:05:00Z"}
    interfaces: [{"name": "Ethernet1", "admin_up": true, "oper_up": true, "mtu": 9214, ...}]
    resources:  [{"kind": "memory", "name": "system", "capacity": 8099732, "used": 4601240,
                  "unit": "kB"},
                 {"kind": "interface", "name": "Ethernet1", "capacity": 1e10, "used": 0.0,
                  "unit": "bps"}, ...]   # max(5-minute input, output rate) of every interface
    security:   {"ntp_servers": [...], "logging_servers": [], "snmp_communities": 0,
                 "snmp_v3_only": true, "telnet_enabled": false, "ssh_enabled": true,
                 "aaa_enabled": true, "password_encryption": true, "banner_present": true,
                 "http_server_enabled": false}
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
    has_line,
    interface_from_row,
    interface_utilisation,
    matches,
    new_snapshot,
    optional,
    parse_template,
    require,
    to_int,
    uptime_seconds,
)
from patrol.errors import ParseError
from patrol.models import DeviceClass, Facts, Resource, Snapshot

__all__ = ["COMMANDS", "PLATFORM", "eos_posture", "parse"]

SHOW_VERSION = "show version"
SHOW_INTERFACES = "show interfaces"
SHOW_RUN = "show running-config"
COMMANDS = (SHOW_VERSION, SHOW_INTERFACES, SHOW_RUN)

_HOSTNAME = re.compile(r"^hostname (\S+)", re.M)
_SERIAL = re.compile(r"^Serial number:\s*(\S*)", re.M)
_NTP = re.compile(r"^ntp server (?:vrf \S+ )?(\S+)")
_LOG_HOST = re.compile(r"^logging (?:vrf \S+ )?host (\S+)")
_SNMP_COMMUNITY = re.compile(r"^snmp-server community (\S+)")
_AAA = re.compile(r"^aaa (?:authentication|authorization) ")
_CLEAR_PASSWORD = re.compile(r"^(?:username \S+ .*|enable )(?:password|secret) 0 ")
_BANNER = re.compile(r"^banner (?:login|motd)\b")
_HTTP = re.compile(r"^\s+protocol http\b(?!s)")


def _management_enabled(lines: list[str], block: str, default: bool) -> bool:
    """State of a ``management <block>`` section: ``shutdown`` / ``no shutdown`` or the default."""
    inside, state = False, default
    for line in lines:
        if not line.startswith(" "):
            inside = line.strip() == f"management {block}"
        elif inside and line.strip() in ("shutdown", "no shutdown"):
            state = line.strip() == "no shutdown"
    return state


def eos_posture(config: str) -> dict[str, Any]:
    """Security posture of an EOS running config (telnet off and SSH on unless configured)."""
    lines = config.split("\n")
    communities = len(matches(_SNMP_COMMUNITY, lines))
    return {
        "ntp_servers": matches(_NTP, lines),
        "logging_servers": matches(_LOG_HOST, lines),
        "snmp_communities": communities,
        "snmp_v3_only": communities == 0,
        "telnet_enabled": _management_enabled(lines, "telnet", default=False),
        "ssh_enabled": _management_enabled(lines, "ssh", default=True),
        "aaa_enabled": has_line(_AAA, lines),
        "password_encryption": not has_line(_CLEAR_PASSWORD, lines),
        "banner_present": has_line(_BANNER, lines),
        "http_server_enabled": has_line(_HTTP, lines),
    }


def _facts(host: str, version_text: str, config: str, collected_at: datetime) -> tuple[Facts, dict[str, Any]]:
    rows = parse_template(host, "arista_eos_show_version", version_text)
    if not rows or not rows[0].get("image"):
        raise ParseError(host, f"{SHOW_VERSION!r} output has no 'Software image version' line")
    row = rows[0]
    facts = Facts(
        hostname=first_match(_HOSTNAME, config),
        vendor="Arista",
        model=row.get("model") or None,
        os_version=row["image"],
        serial=first_match(_SERIAL, version_text) or None,
        boot_time=boot_time(collected_at, uptime_seconds(row.get("uptime"))),
    )
    return facts, row


_IF_HEAD = re.compile(r"^(\S+) is [\w ]+?, line protocol is", re.M)
_IF_RATES = (
    re.compile(r"5 minutes input rate ([\d.]+) ([kMG]?bps)"),
    re.compile(r"5 minutes output rate ([\d.]+) ([kMG]?bps)"),
)


def _memory(row: Mapping[str, Any]) -> list[Resource]:
    total, free = to_int(row.get("total_memory")), to_int(row.get("free_memory"))
    if total is None or free is None:
        return []
    return [Resource(kind="memory", name="system", capacity=total, used=total - free, unit="kB")]


def parse(host: str, outputs: Mapping[str, str]) -> Snapshot:
    """Snapshot of an EOS device from the outputs of :data:`COMMANDS` (see the module docstring)."""
    outputs = clean_outputs(outputs)
    version = require(host, outputs, SHOW_VERSION)
    config = require(host, outputs, SHOW_RUN)
    snapshot = new_snapshot(host, "arista_eos", DeviceClass.NETWORK, outputs, config)
    snapshot.facts, row = _facts(host, version, config, snapshot.collected_at)
    interfaces_text = optional(outputs, SHOW_INTERFACES)
    rows = parse_template(host, "arista_eos_show_interfaces", interfaces_text)
    snapshot.interfaces = [interface_from_row(r) for r in rows]
    links = interface_utilisation(interfaces_text, snapshot.interfaces, _IF_HEAD, _IF_RATES)
    snapshot.resources = _memory(row) + links
    snapshot.security = eos_posture(config)
    return snapshot


PLATFORM = NetPlatform(
    name="arista_eos",
    device_type="arista_eos",
    default_device_class=DeviceClass.NETWORK,
    commands=COMMANDS,
    parse=parse,
    needs_enable=True,
    config_command=SHOW_RUN,
)
