"""Cisco IOS / IOS-XE driver: four show commands, posture read from the running config.

``PLATFORM.parse("core-sw1", outputs)`` gives a snapshot like::

    facts:      {"hostname": "core-sw1", "vendor": "Cisco", "model": "CSR1000V",
                 "os_version": "17.3.1a", "serial": "9ESGOBARV9D", "boot_time": "...T08:27:00Z"}
    interfaces: [{"name": "GigabitEthernet2", "admin_up": true, "oper_up": false,
                  "description": "uplink to dist-sw1", "speed_mbps": 1000.0, "in_errors": 0, ...}]
    resources:  [{"kind": "memory", "name": "processor", "capacity": 919638648, "used": 236752096},
                 {"kind": "interface", "name": "GigabitEthernet1", "capacity": 1e9, "used": 2000.0,
                  "unit": "bps"}, ...]   # max(5-minute input, output rate) of every interface
    security:   {"ntp_servers": ["192.0.2.99"], "logging_servers": [...], "snmp_communities": 1,
                 "snmp_v3_only": false, "telnet_enabled": true, "ssh_enabled": true,
                 "ssh_version": "2", "aaa_enabled": true, "password_encryption": false,
                 "banner_present": true, "http_server_enabled": false}
    config:     the running configuration;  raw: every command's output
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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

__all__ = ["COMMANDS", "PLATFORM", "ios_style_posture", "parse"]

SHOW_VERSION = "show version"
SHOW_INTERFACES = "show interfaces"
SHOW_RUN = "show running-config"
SHOW_MEMORY = "show processes memory sorted"
COMMANDS = (SHOW_VERSION, SHOW_INTERFACES, SHOW_RUN, SHOW_MEMORY)

_ANY_VERSION = re.compile(r"\bVersion ([\w.()]+?),? ")
_NTP = re.compile(r"^ntp server (?:vrf \S+ )?(?:ip |ipv6 )?(\S+)")
_LOG_HOST = re.compile(r"^logging (?:host )?(?:vrf \S+ )?(?:ipv6 )?(\d[\d.]+\d|[0-9a-f:]+:[0-9a-f:]*)\b", re.I)
_SNMP_COMMUNITY = re.compile(r"^snmp-server community (\S+)")
_VTY_TRANSPORT = re.compile(r"^\s+transport input (.+)$")
_SSH_VERSION = re.compile(r"^ip ssh version (\d)", re.M)
_AAA = re.compile(r"^aaa new-model")
_PW_ENCRYPTION = re.compile(r"^service password-encryption")
_CLEAR_PASSWORD = re.compile(r"^(?:username \S+ .*|enable )(?:password|secret) 0 ")
_BANNER = re.compile(r"^banner (?:login|motd|exec)\b")
_HTTP = re.compile(r"^ip http server")


def ios_style_posture(config: str) -> dict[str, Any]:
    """Security posture of an IOS-like running config (``security`` keys, see SECURITY_KEYS).

    ``"ntp server 192.0.2.1\\nline vty 0 4\\n transport input telnet ssh"`` ->
    ``{"ntp_servers": ["192.0.2.1"], "telnet_enabled": True, "ssh_enabled": True, ...}``
    """
    lines = config.split("\n")
    transports = " ".join(matches(_VTY_TRANSPORT, lines)).split()
    communities = len(matches(_SNMP_COMMUNITY, lines))
    return {
        "ntp_servers": matches(_NTP, lines),
        "logging_servers": matches(_LOG_HOST, lines),
        "snmp_communities": communities,
        "snmp_v3_only": communities == 0,
        "telnet_enabled": "telnet" in transports or "all" in transports,
        "ssh_enabled": "ssh" in transports or "all" in transports,
        "aaa_enabled": has_line(_AAA, lines),
        "password_encryption": has_line(_PW_ENCRYPTION, lines) and not has_line(_CLEAR_PASSWORD, lines),
        "banner_present": has_line(_BANNER, lines),
        "http_server_enabled": has_line(_HTTP, lines),
    }


def _facts(host: str, version_text: str, collected_at: Any) -> Facts:
    rows = parse_template(host, "cisco_ios_show_version", version_text)
    row = rows[0] if rows else {}
    version = row.get("version") or first_match(_ANY_VERSION, version_text)
    if not version:
        raise ParseError(host, f"{SHOW_VERSION!r} output has no IOS version line")
    return Facts(
        hostname=row.get("hostname") or None,
        vendor="Cisco",
        model=(row.get("hardware") or [None])[0],
        os_version=version,
        serial=(row.get("serial") or [None])[0],
        boot_time=boot_time(collected_at, uptime_seconds(row.get("uptime"))),
    )


def _memory(host: str, text: str) -> list[Resource]:
    if not text:
        return []
    rows = parse_template(host, "cisco_ios_show_processes_memory_sorted", text)
    if not rows or to_int(rows[0].get("memory_total")) is None:
        return []
    row = rows[0]
    return [
        Resource(
            kind="memory",
            name="processor",
            capacity=to_int(row["memory_total"]),
            used=to_int(row.get("memory_used")),
            unit="bytes",
        )
    ]


_IF_HEAD = re.compile(r"^(\S+) is ([\w ]+?), line protocol is (\w+)", re.M)
_IF_RATES = (
    re.compile(r"5 minute input rate (\d+) (bits/sec)"),
    re.compile(r"5 minute output rate (\d+) (bits/sec)"),
)
_IF_FIELDS = {
    "mac_address": re.compile(r"Hardware is [^\n]*?address is ([0-9a-fA-F.:]+)"),
    "description": re.compile(r"^\s+Description: (.*?)\s*$", re.M),
    "ip": re.compile(r"Internet address is ([\d.]+)/(\d+)"),
    "mtu": re.compile(r"MTU (\d+) bytes"),
    "bandwidth": re.compile(r"BW (\d+ \w+)/sec"),
    "input_errors": re.compile(r"(\d+) input errors"),
    "output_errors": re.compile(r"(\d+) output errors"),
}


def interface_rows(text: str) -> list[dict[str, Any]]:
    """``show interfaces`` -> rows with ntc-templates' column names (what interface_from_row reads).

    A small regex parser instead of the TextFSM template: the template costs ~30 µs per line and
    ``show interfaces`` is the longest output of an inspection (most of the client's CPU per
    device); these seven fields are all the snapshot keeps.
    """
    heads = list(_IF_HEAD.finditer(text))
    rows = []
    for head, following in zip(heads, [*heads[1:], None], strict=True):
        block = text[head.end() : following.start() if following else len(text)]
        row: dict[str, Any] = {"interface": head[1], "link_status": head[2], "protocol_status": head[3]}
        for key, pattern in _IF_FIELDS.items():
            found = pattern.search(block)
            if key == "ip":
                row["ip_address"], row["prefix_length"] = (found[1], found[2]) if found else ("", "")
            else:
                row[key] = found[1] if found else ""
        rows.append(row)
    return rows


def parse(host: str, outputs: Mapping[str, str]) -> Snapshot:
    """Snapshot of an IOS device from the outputs of :data:`COMMANDS` (see the module docstring)."""
    outputs = clean_outputs(outputs)
    version = require(host, outputs, SHOW_VERSION)
    config = require(host, outputs, SHOW_RUN)
    snapshot = new_snapshot(host, "cisco_ios", DeviceClass.NETWORK, outputs, config)
    snapshot.facts = _facts(host, version, snapshot.collected_at)
    interfaces_text = optional(outputs, SHOW_INTERFACES)
    snapshot.interfaces = [interface_from_row(row) for row in interface_rows(interfaces_text)]
    links = interface_utilisation(interfaces_text, snapshot.interfaces, _IF_HEAD, _IF_RATES)
    snapshot.resources = _memory(host, optional(outputs, SHOW_MEMORY)) + links
    snapshot.security = ios_style_posture(config)
    ssh_version = first_match(_SSH_VERSION, config)
    if ssh_version:
        snapshot.security["ssh_version"] = ssh_version
    return snapshot


PLATFORM = NetPlatform(
    name="cisco_ios",
    device_type="cisco_ios",
    default_device_class=DeviceClass.NETWORK,
    commands=COMMANDS,
    parse=parse,
    needs_enable=True,
    config_command=SHOW_RUN,
    napalm_driver="ios",
    napalm_getters=("get_facts", "get_interfaces", "get_interfaces_ip", "get_lldp_neighbors"),
)
