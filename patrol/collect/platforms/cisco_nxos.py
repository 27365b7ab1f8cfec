"""Cisco NX-OS driver: ``show version``, ``show interface``, ``show running-config``, ``show system resources``.

``PLATFORM.parse("dc-leaf1", outputs)`` gives a snapshot like::

    facts:      {"hostname": "dc-leaf1", "vendor": "Cisco", "model": "C93108TC-EX",
                 "os_version": "10.3(6)", "serial": "FDO23490570", "boot_time": "..."}
    interfaces: [{"name": "Ethernet1/1", "admin_up": true, "oper_up": true, "speed_mbps": 10000.0, ...}]
    resources:  [{"kind": "memory", "name": "system", "capacity": 16402544, "used": 5947200, "unit": "KiB"},
                 {"kind": "cpu", "name": "system", "capacity": 100, "used": 3.6, "unit": "percent"},
                 {"kind": "interface", ...}]     # max(input, output rate) of every interface
    security:   the keys of ios_style_posture (NX-OS syntax: ``feature telnet``, ``ntp server``,
                ``logging server``, ``snmp-server community``, ``username … password 0``)
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
    speed_mbps,
    to_int,
    uptime_seconds,
)
from patrol.errors import ParseError
from patrol.models import DeviceClass, Facts, Interface, Resource, Snapshot

__all__ = ["COMMANDS", "PLATFORM", "nxos_posture", "parse"]

SHOW_VERSION = "show version"
SHOW_INTERFACE = "show interface"
SHOW_RUN = "show running-config"
SHOW_RESOURCES = "show system resources"
COMMANDS = (SHOW_VERSION, SHOW_INTERFACE, SHOW_RUN, SHOW_RESOURCES)

_VERSION = re.compile(r"^\s+(?:NXOS|system):\s+version\s+(\S+)", re.M)
_NTP = re.compile(r"^ntp server (\S+)")
_LOG_HOST = re.compile(r"^logging server (\S+)")
_COMMUNITY = re.compile(r"^snmp-server community (\S+)")
_TELNET = re.compile(r"^feature telnet\b")
_NO_SSH = re.compile(r"^no feature ssh\b")
_AAA = re.compile(r"^aaa authentication login default group\b|^(?:tacacs|radius)-server host\b")
_CLEAR_PASSWORD = re.compile(r"^username \S+ password 0 ")
_BANNER = re.compile(r"^banner (?:motd|exec)\b")
_HTTP = re.compile(r"^nxapi http\b|^feature nxapi\b")
_MEM = re.compile(r"Memory usage:\s+(\d+)K total,\s+(\d+)K used")
_CPU_IDLE = re.compile(r"CPU states\s*:.*?([\d.]+)% idle")


def nxos_posture(config: str) -> dict[str, Any]:
    """Security posture of an NX-OS running config (the ``security`` keys every driver gives)."""
    lines = config.split("\n")
    communities = len(matches(_COMMUNITY, lines))
    return {
        "ntp_servers": matches(_NTP, lines),
        "logging_servers": matches(_LOG_HOST, lines),
        "snmp_communities": communities,
        "snmp_v3_only": communities == 0,
        "telnet_enabled": has_line(_TELNET, lines),
        "ssh_enabled": not has_line(_NO_SSH, lines),
        "aaa_enabled": has_line(_AAA, lines),
        "password_encryption": not has_line(_CLEAR_PASSWORD, lines),
        "banner_present": has_line(_BANNER, lines),
        "http_server_enabled": has_line(_HTTP, lines),
    }


def _facts(host: str, version_text: str, config: str, collected_at: datetime) -> Facts:
    rows = parse_template(host, "cisco_nxos_show_version", version_text)
    row = rows[0] if rows else {}
    version = row.get("os") or first_match(_VERSION, version_text)
    if not version:
        raise ParseError(host, f"{SHOW_VERSION!r} output has no 'NXOS: version' line")
    hostname = row.get("hostname") or first_match(re.compile(r"^hostname (\S+)", re.M), config)
    return Facts(
        hostname=hostname or None,
        vendor="Cisco",
        model=row.get("platform") or None,
        os_version=version.split()[0],
        serial=row.get("serial") or None,
        boot_time=boot_time(collected_at, uptime_seconds(row.get("uptime"))),
    )


def _resources(text: str) -> list[Resource]:
    found = []
    memory = _MEM.search(text)
    if memory:
        total, used = int(memory[1]), int(memory[2])
        found.append(Resource(kind="memory", name="system", capacity=total, used=used, unit="KiB"))
    idle = first_match(_CPU_IDLE, text)
    if idle:
        busy = round(100 - float(idle), 2)
        found.append(Resource(kind="cpu", name="system", capacity=100, used=busy, unit="percent"))
    return found


def _interface(row: Mapping[str, Any]) -> Interface:
    link = str(row.get("link_status") or "").lower()
    admin = str(row.get("admin_state") or "").lower()
    ip = row.get("ip_address") or ""
    if "administratively" in link:
        admin_up: bool | None = False
    elif "(" in link:  # "down (VLAN/BD is down)": down for a reason other than shutdown
        admin_up = True
    else:  # the template keeps only "u" of a bare "admin state is up" line
        admin_up = admin.startswith("u") if admin else None
    return Interface(
        name=str(row["interface"]),
        admin_up=admin_up,
        oper_up=link.startswith("up") if link else None,
        description=row.get("description") or None,
        ip_addresses=[f"{ip}/{row.get('prefix_length')}"] if ip else [],
        mac=row.get("mac_address") or None,
        speed_mbps=speed_mbps(row.get("bandwidth"), default_unit="k"),
        mtu=to_int(row.get("mtu")),
        in_errors=to_int(row.get("input_errors")),
        out_errors=to_int(row.get("output_errors")),
    )


_IF_HEAD = re.compile(r"^(\S+) is (?:up|down|admin)", re.M)
_IF_RATES = (
    re.compile(r"^\s+\d+ (?:seconds|minutes?) input rate (\d+) (bits/sec)", re.M),
    re.compile(r"^\s+\d+ (?:seconds|minutes?) output rate (\d+) (bits/sec)", re.M),
)


def parse(host: str, outputs: Mapping[str, str]) -> Snapshot:
    """Snapshot of an NX-OS switch from the outputs of :data:`COMMANDS`."""
    outputs = clean_outputs(outputs)
    version = require(host, outputs, SHOW_VERSION)
    config = require(host, outputs, SHOW_RUN)
    snapshot = new_snapshot(host, "cisco_nxos", DeviceClass.NETWORK, outputs, config)
    snapshot.facts = _facts(host, version, config, snapshot.collected_at)
    interfaces_text = optional(outputs, SHOW_INTERFACE)
    rows = parse_template(host, "cisco_nxos_show_interface", interfaces_text) if interfaces_text else []
    snapshot.interfaces = [_interface(row) for row in rows]
    links = interface_utilisation(interfaces_text, snapshot.interfaces, _IF_HEAD, _IF_RATES)
    snapshot.resources = _resources(optional(outputs, SHOW_RESOURCES)) + links
    snapshot.security = nxos_posture(config)
    return snapshot


PLATFORM = NetPlatform(
    name="cisco_nxos",
    device_type="cisco_nxos",
    default_device_class=DeviceClass.NETWORK,
    commands=COMMANDS,
    parse=parse,
    config_command=SHOW_RUN,
    napalm_driver="nxos_ssh",
    napalm_getters=("get_facts", "get_interfaces", "get_interfaces_ip", "get_lldp_neighbors"),
)
