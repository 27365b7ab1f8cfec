"""Cisco ASA driver: ``show version``, ``show interface``, ``show running-config``.

``PLATFORM.parse("fw1", outputs)`` gives a snapshot like::

    facts:      {"hostname": "fw1", "vendor": "Cisco", "model": "ASA5516",
                 "os_version": "9.16(4)", "serial": "JAD21450ABC", "boot_time": "..."}
    interfaces: [{"name": "GigabitEthernet1/2", "admin_up": true, "oper_up": true,
                  "description": "to core-sw1", "ip_addresses": ["10.0.40.1/24"]}]
    resources:  [{"kind": "interface", "name": "GigabitEthernet1/2", "capacity": 1e9,
                  "used": 0.0, "unit": "bps"}, ...]   # max(5-minute input, output) bytes/s x 8
    security:   {"ntp_servers": [...], "logging_servers": [...], "snmp_communities": 0,
                 "snmp_v3_only": true, "telnet_enabled": true, "ssh_enabled": true,
                 "ssh_version": "2", "aaa_enabled": true, "password_encryption": true,
                 "banner_present": true, "http_server_enabled": false}
"""

from __future__ import annotations

import ipaddress
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
    uptime_seconds,
)
from patrol.errors import ParseError
from patrol.models import DeviceClass, Facts, Interface, Snapshot

__all__ = ["COMMANDS", "PLATFORM", "asa_posture", "parse"]

SHOW_VERSION = "show version"
SHOW_INTERFACE = "show interface"
SHOW_RUN = "show running-config"
COMMANDS = (SHOW_VERSION, SHOW_INTERFACE, SHOW_RUN)

_VERSION = re.compile(r"Adaptive Security Appliance Software Version (\S+)")
_HOSTNAME = re.compile(r"^hostname (\S+)", re.M)
_UPTIME = re.compile(r"^\S+ up (.+)$", re.M)
_MODEL = re.compile(r"^Hardware:\s+([^,\s]+)", re.M)
_SERIAL = re.compile(r"^Serial Number:\s*(\S+)", re.M)
_NTP = re.compile(r"^ntp server (\S+)")
_LOGHOST = re.compile(r"^logging host \S+ (\S+)")
_COMMUNITY = re.compile(r"^snmp-server (?:community (\S+)|host \S+ \S+ .*community (\S+))")
_TELNET = re.compile(r"^telnet \d+\.\d+\.\d+\.\d+ \d+\.\d+\.\d+\.\d+ \S+")
_SSH = re.compile(r"^ssh \d+\.\d+\.\d+\.\d+ \d+\.\d+\.\d+\.\d+ \S+")
_SSH_VERSION = re.compile(r"^ssh version (\d)", re.M)
_HTTP = re.compile(r"^http server enable")
_AAA = re.compile(r"^aaa authentication (?:ssh|telnet|http|enable|serial) console \S+")
_CLEAR_PASSWORD = re.compile(r"^(?:username \S+ password|enable password) (?!\S+ (?:encrypted|pbkdf2)\b)\S+")
_BANNER = re.compile(r"^banner (?:login|motd|asdm)\b")


def asa_posture(config: str) -> dict[str, Any]:
    """Security posture of an ASA running config (telnet/ssh are ``<net> <mask> <nameif>`` lines)."""
    lines = config.split("\n")
    communities = sum(1 for line in lines if _COMMUNITY.match(line))
    posture: dict[str, Any] = {
        "ntp_servers": matches(_NTP, lines),
        "logging_servers": matches(_LOGHOST, lines),
        "snmp_communities": communities,
        "snmp_v3_only": communities == 0,
        "telnet_enabled": has_line(_TELNET, lines),
        "ssh_enabled": has_line(_SSH, lines),
        "aaa_enabled": has_line(_AAA, lines),
        "password_encryption": not has_line(_CLEAR_PASSWORD, lines),
        "banner_present": has_line(_BANNER, lines),
        "http_server_enabled": has_line(_HTTP, lines),
    }
    ssh_version = first_match(_SSH_VERSION, config)
    if ssh_version:
        posture["ssh_version"] = ssh_version
    return posture


def _facts(host: str, version_text: str, config: str, collected_at: datetime) -> Facts:
    version = first_match(_VERSION, version_text)
    if not version:
        raise ParseError(host, f"{SHOW_VERSION!r} output has no 'Adaptive Security Appliance' version line")
    return Facts(
        hostname=first_match(_HOSTNAME, config),
        vendor="Cisco",
        model=first_match(_MODEL, version_text),
        os_version=version,
        serial=first_match(_SERIAL, version_text),
        boot_time=boot_time(collected_at, uptime_seconds(first_match(_UPTIME, version_text))),
    )


_IF_HEAD = re.compile(r"^Interface (\S+) ", re.M)
#: ASA counts bytes: "5 minute input rate 12 pkts/sec,  1500 bytes/sec".
_IF_RATES = (
    re.compile(r"5 minute input rate \d+ pkts/sec,\s+(\d+) (bytes/sec)"),
    re.compile(r"5 minute output rate \d+ pkts/sec,\s+(\d+) (bytes/sec)"),
)


def _interface(row: Mapping[str, Any]) -> Interface:
    interface = interface_from_row(row, speed_key="speed")
    mask = row.get("netmask")
    if row.get("ip_address") and mask:
        try:
            prefix = ipaddress.ip_network(f"0.0.0.0/{mask}").prefixlen
        except ValueError:  # not a netmask: keep the address alone
            return interface
        interface.ip_addresses = [f"{row['ip_address']}/{prefix}"]
    return interface


def parse(host: str, outputs: Mapping[str, str]) -> Snapshot:
    """Snapshot of an ASA from the outputs of :data:`COMMANDS`."""
    outputs = clean_outputs(outputs)
    version = require(host, outputs, SHOW_VERSION)
    config = require(host, outputs, SHOW_RUN)
    snapshot = new_snapshot(host, "cisco_asa", DeviceClass.SECURITY, outputs, config)
    snapshot.facts = _facts(host, version, config, snapshot.collected_at)
    rows = parse_template(host, "cisco_asa_show_interface", optional(outputs, SHOW_INTERFACE))
    snapshot.interfaces = [_interface(row) for row in rows]
    snapshot.resources = interface_utilisation(
        optional(outputs, SHOW_INTERFACE), snapshot.interfaces, _IF_HEAD, _IF_RATES
    )
    snapshot.security = asa_posture(config)
    return snapshot


PLATFORM = NetPlatform(
    name="cisco_asa",
    device_type="cisco_asa",
    default_device_class=DeviceClass.SECURITY,
    commands=COMMANDS,
    parse=parse,
    needs_enable=True,
    config_command=SHOW_RUN,
)
