"""Juniper Junos driver: version, uptime, chassis, interfaces and the (curly) configuration.

``PLATFORM.parse("edge-r1", outputs)`` gives a snapshot like::

    facts:      {"hostname": "edge-r1", "vendor": "Juniper", "model": "mx204",
                 "os_version": "21.4R3-S2.3", "serial": "JN1234ABCDEF",
                 "boot_time": "2026-09-02T04:11:00Z"}
    interfaces: [{"name": "xe-0/0/0", "admin_up": true, "oper_up": true,
                  "description": "to dist-sw1", "ip_addresses": ["10.0.30.1"], "mtu": 1514}]
    resources:  [{"kind": "interface", "name": "xe-0/0/0", "capacity": 1e10, "used": 0.0,
                  "unit": "bps"}, ...]   # max(input, output rate) of every physical interface
    security:   {"ntp_servers": [], "logging_servers": ["192.0.2.50"], "snmp_communities": 0,
                 "snmp_v3_only": true, "telnet_enabled": false, "ssh_enabled": true,
                 "aaa_enabled": true, "password_encryption": true, "banner_present": true,
                 "http_server_enabled": false}

Posture is read from ``show configuration`` flattened to statements (``system ntp server X``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from patrol.collect.platforms import NetPlatform
from patrol.collect.platforms._parse import (
    clean_outputs,
    first_match,
    flatten_braces,
    has_line,
    interface_utilisation,
    matches,
    new_snapshot,
    optional,
    require,
    speed_mbps,
    to_int,
)
from patrol.errors import ParseError
from patrol.models import DeviceClass, Facts, Interface, Snapshot

__all__ = ["COMMANDS", "PLATFORM", "junos_posture", "parse"]

SHOW_VERSION = "show version"
SHOW_UPTIME = "show system uptime"
SHOW_CHASSIS = "show chassis hardware"
SHOW_INTERFACES = "show interfaces"
SHOW_CONFIG = "show configuration"
COMMANDS = (SHOW_VERSION, SHOW_UPTIME, SHOW_CHASSIS, SHOW_INTERFACES, SHOW_CONFIG)

_HOSTNAME = re.compile(r"^\s*Hostname:\s*(\S+)", re.M)
_MODEL = re.compile(r"^\s*Model:\s*(\S+)", re.M)
_VERSION = re.compile(r"^\s*(?:Junos:\s*(\S+)|JUNOS .*?\[(\S+?)\])", re.M)
_CHASSIS_SERIAL = re.compile(r"^Chassis\s+(\S+)", re.M)
_BOOTED = re.compile(r"^System booted:\s*(\d{4}-\d\d-\d\d \d\d:\d\d):\d\d", re.M)
_NTP = re.compile(r"^system ntp server (\S+)")
_SYSLOG = re.compile(r"^system syslog host (\S+)")
_COMMUNITY = re.compile(r"^snmp community (\S+)")
_TELNET = re.compile(r"^system services telnet\b")
_SSH = re.compile(r"^system services ssh\b")
_HTTP = re.compile(r"^system services web-management http\b(?!s)")
_AAA = re.compile(r"^system (?:authentication-order|tacplus-server|radius-server)\b")
_PLAIN_PASSWORD = re.compile(r".*\bplain-text-password\b")
_BANNER = re.compile(r"^system login message\b")


def junos_posture(config: str) -> dict[str, Any]:
    """Security posture of a Junos configuration (curly or ``display set`` text)."""
    statements = [line.removeprefix("set ") for line in flatten_braces(config)]
    communities = len(matches(_COMMUNITY, statements))
    return {
        "ntp_servers": matches(_NTP, statements),
        "logging_servers": matches(_SYSLOG, statements),
        "snmp_communities": communities,
        "snmp_v3_only": communities == 0,
        "telnet_enabled": has_line(_TELNET, statements),
        "ssh_enabled": has_line(_SSH, statements),
        "aaa_enabled": has_line(_AAA, statements),
        "password_encryption": not has_line(_PLAIN_PASSWORD, statements),
        "banner_present": has_line(_BANNER, statements),
        "http_server_enabled": has_line(_HTTP, statements),
    }


def _boot_time(uptime_text: str) -> datetime | None:
    """``System booted: 2026-09-02 04:11:27 UTC`` -> 2026-09-02T04:11Z (the clock is taken as UTC)."""
    booted = first_match(_BOOTED, uptime_text)
    return datetime.strptime(booted, "%Y-%m-%d %H:%M").replace(tzinfo=UTC) if booted else None


def _facts(host: str, outputs: Mapping[str, str]) -> Facts:
    version_text = require(host, outputs, SHOW_VERSION)
    match = _VERSION.search(version_text)
    if not match:
        raise ParseError(host, f"{SHOW_VERSION!r} output has no 'Junos:' version line")
    # ntc's chassis template misreads a Chassis line without a version column: a regex is exact.
    serial = first_match(_CHASSIS_SERIAL, optional(outputs, SHOW_CHASSIS))
    return Facts(
        hostname=first_match(_HOSTNAME, version_text),
        vendor="Juniper",
        model=first_match(_MODEL, version_text),
        os_version=match.group(1) or match.group(2),
        serial=serial,
        boot_time=_boot_time(optional(outputs, SHOW_UPTIME)),
    )


_PHYSICAL = re.compile(r"^Physical interface: (\S+), ([^,]+), Physical link is (\w+)", re.M)
_DESCRIPTION = re.compile(r"^\s+Description: (.*)$", re.M)
_MTU = re.compile(r"\bMTU: (\d+)")
_SPEED = re.compile(r"\bSpeed: (\w+)")
_LOCAL = re.compile(r"\bLocal: ([\d.]+|[0-9a-f:]+)")
_MAC = re.compile(r"Current address: ([0-9a-f:]{17})")
#: The physical interface's rates come before its logical units' in the block.
_IF_RATES = (re.compile(r"Input rate\s*: (\d+) (bps)"), re.compile(r"Output rate\s*: (\d+) (bps)"))


def _interfaces(text: str) -> list[Interface]:
    """Physical interfaces of ``show interfaces`` (regex: ntc's template rejects "Administratively down")."""
    starts = [m for m in _PHYSICAL.finditer(text)]
    interfaces = []
    for index, match in enumerate(starts):
        block = text[match.end() : starts[index + 1].start() if index + 1 < len(starts) else len(text)]
        interfaces.append(
            Interface(
                name=match.group(1),
                admin_up=match.group(2).strip().lower() == "enabled",
                oper_up=match.group(3).lower() == "up",
                description=first_match(_DESCRIPTION, block),
                ip_addresses=_LOCAL.findall(block),
                mac=first_match(_MAC, block),
                speed_mbps=speed_mbps(first_match(_SPEED, block)),
                mtu=to_int(first_match(_MTU, block)),
            )
        )
    return interfaces


def parse(host: str, outputs: Mapping[str, str]) -> Snapshot:
    """Snapshot of a Junos device from the outputs of :data:`COMMANDS`."""
    outputs = clean_outputs(outputs)
    config = require(host, outputs, SHOW_CONFIG)
    snapshot = new_snapshot(host, "juniper_junos", DeviceClass.NETWORK, outputs, config)
    snapshot.facts = _facts(host, outputs)
    interfaces_text = optional(outputs, SHOW_INTERFACES)
    snapshot.interfaces = _interfaces(interfaces_text)
    snapshot.resources = interface_utilisation(interfaces_text, snapshot.interfaces, _PHYSICAL, _IF_RATES)
    snapshot.security = junos_posture(config)
    return snapshot


PLATFORM = NetPlatform(
    name="juniper_junos",
    device_type="juniper_junos",
    default_device_class=DeviceClass.NETWORK,
    commands=COMMANDS,
    parse=parse,
    needs_enable=False,
    config_command=SHOW_CONFIG,
)
