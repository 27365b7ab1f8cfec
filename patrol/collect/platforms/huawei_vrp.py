"""Huawei VRP driver: ``display version``, ``display interface``, ``display current-configuration``.

``PLATFORM.parse("agg-sw1", outputs)`` gives a snapshot like::

    facts:      {"hostname": "agg-sw1", "vendor": "Huawei", "model": "S5720-28X-SI-AC",
                 "os_version": "5.170 (S5720 V200R019C10SPC500)", "boot_time": "...T09:53:00Z"}
    interfaces: [{"name": "GigabitEthernet0/0/2", "admin_up": true, "oper_up": false,
                  "description": "to access-sw7", "speed_mbps": 1000.0, "mtu": 9216}]
    resources:  [{"kind": "flash", "name": "flash", "capacity": 512, "used": 181, "unit": "MiB"},
                 {"kind": "interface", "name": "GigabitEthernet0/0/1", "capacity": 1e9,
                  "used": 2112.0, "unit": "bps"}, ...]   # max(300-second input, output rate)
    security:   {"ntp_servers": [...], "logging_servers": [...], "snmp_communities": 1,
                 "snmp_v3_only": false, "telnet_enabled": false, "ssh_enabled": true,
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
from patrol.models import DeviceClass, Facts, Interface, Resource, Snapshot

__all__ = ["COMMANDS", "PLATFORM", "parse", "vrp_posture"]

DISPLAY_VERSION = "display version"
DISPLAY_INTERFACE = "display interface"
DISPLAY_CONFIG = "display current-configuration"
COMMANDS = (DISPLAY_VERSION, DISPLAY_INTERFACE, DISPLAY_CONFIG)

_SYSNAME = re.compile(r"^sysname (\S+)", re.M)
_VERSION = re.compile(r"VRP \(R\) software, Version (.+)$", re.M)
_MODEL = re.compile(r"^(?:HUAWEI|Huawei) (\S+(?: \S+)*?) (?:Routing Switch |Router )?uptime is", re.M)
_UPTIME = re.compile(r"^\S.* uptime is (.+)$", re.M)
_FLASH_TOTAL = re.compile(r"FLASH Total\s+Memory Size\s*:\s*(\d+)\s*M", re.I)
_FLASH_FREE = re.compile(r"FLASH Available\s+Memory Size\s*:\s*(\d+)\s*M", re.I)
_NTP = re.compile(r"^ntp-service unicast-server (?:ipv6 )?(\S+)")
_LOGHOST = re.compile(r"^info-center loghost (?:ipv6 )?(\S+)")
_COMMUNITY = re.compile(r"^snmp-agent community (?:read|write) (?:cipher )?(\S+)")
_TELNET = re.compile(r"^telnet (?:ipv6 )?server enable|^\s*protocol inbound (?:telnet|all)\b")
_SSH = re.compile(r"^stelnet (?:ipv4 |ipv6 )?server enable")
_HTTP = re.compile(r"^http server enable")
_AAA = re.compile(r"^\s+authentication-mode (?:hwtacacs|radius)\b|^hwtacacs-server template|^radius-server template")
_PLAIN_PASSWORD = re.compile(r"^\s*local-user \S+ password simple\b")
_BANNER = re.compile(r"^header (?:login|shell) information\b")


def vrp_posture(config: str) -> dict[str, Any]:
    """Security posture of a VRP ``display current-configuration``."""
    lines = config.split("\n")
    communities = len(matches(_COMMUNITY, lines))
    return {
        "ntp_servers": matches(_NTP, lines),
        "logging_servers": matches(_LOGHOST, lines),
        "snmp_communities": communities,
        "snmp_v3_only": communities == 0,
        "telnet_enabled": has_line(_TELNET, lines),
        "ssh_enabled": has_line(_SSH, lines),
        "aaa_enabled": has_line(_AAA, lines),
        "password_encryption": not has_line(_PLAIN_PASSWORD, lines),
        "banner_present": has_line(_BANNER, lines),
        "http_server_enabled": has_line(_HTTP, lines),
    }


def _facts(host: str, version_text: str, config: str, collected_at: datetime) -> Facts:
    version = first_match(_VERSION, version_text)
    if not version:
        raise ParseError(host, f"{DISPLAY_VERSION!r} output has no 'VRP (R) software, Version' line")
    return Facts(
        hostname=first_match(_SYSNAME, config),
        vendor="Huawei",
        model=first_match(_MODEL, version_text),
        os_version=version,
        boot_time=boot_time(collected_at, uptime_seconds(first_match(_UPTIME, version_text))),
    )


def _flash(version_text: str) -> list[Resource]:
    total, free = to_int(first_match(_FLASH_TOTAL, version_text)), to_int(first_match(_FLASH_FREE, version_text))
    if total is None or free is None:
        return []
    return [Resource(kind="flash", name="flash", capacity=total, used=total - free, unit="MiB")]


_IF_HEAD = re.compile(r"^(\S+) current state", re.M)
_IF_RATES = (
    re.compile(r"Last 300 seconds input rate (\d+) (bits/sec)"),
    re.compile(r"Last 300 seconds output rate (\d+) (bits/sec)"),
)


def _interface(row: Mapping[str, Any]) -> Interface:
    link = str(row.get("link_status") or "").lower()
    protocol = str(row.get("protocol_status") or "").lower()
    return Interface(
        name=str(row["interface"]),
        admin_up=None if not link else "administratively" not in link,
        oper_up=protocol.startswith("up") if protocol else None,
        description=row.get("interface_description") or None,
        mac=row.get("mac_address") or None,
        speed_mbps=float(to_int(row.get("speed")) or 0) or None,
        mtu=to_int(row.get("mtu")),
    )


def parse(host: str, outputs: Mapping[str, str]) -> Snapshot:
    """Snapshot of a VRP device from the outputs of :data:`COMMANDS`."""
    outputs = clean_outputs(outputs)
    version = require(host, outputs, DISPLAY_VERSION)
    config = require(host, outputs, DISPLAY_CONFIG)
    snapshot = new_snapshot(host, "huawei_vrp", DeviceClass.NETWORK, outputs, config)
    snapshot.facts = _facts(host, version, config, snapshot.collected_at)
    interfaces_text = optional(outputs, DISPLAY_INTERFACE)
    rows = parse_template(host, "huawei_vrp_display_interface", interfaces_text)
    snapshot.interfaces = [_interface(row) for row in rows]
    links = interface_utilisation(interfaces_text, snapshot.interfaces, _IF_HEAD, _IF_RATES)
    snapshot.resources = _flash(version) + links
    snapshot.security = vrp_posture(config)
    return snapshot


PLATFORM = NetPlatform(
    name="huawei_vrp",
    device_type="huawei",
    default_device_class=DeviceClass.NETWORK,
    commands=COMMANDS,
    parse=parse,
    needs_enable=False,
    config_command=DISPLAY_CONFIG,
)
