"""Cisco IOS-XR driver: ``show version``, ``show interfaces``, ``show running-config``, memory and CPU.

``PLATFORM.parse("pe1", outputs)`` gives a snapshot like::

    facts:      {"hostname": "pe1", "vendor": "Cisco", "model": "NCS-5500", "os_version": "6.1.4"}
    interfaces: [{"name": "TenGigE0/3/0/0", "admin_up": true, "oper_up": true, "speed_mbps": 10000.0, ...}]
    resources:  [{"kind": "memory", "name": "physical", "capacity": 12288, "used": 2962, "unit": "MiB"},
                 {"kind": "cpu", "name": "system", "capacity": 100, "used": 3, "unit": "percent"}, ...]
    security:   the common posture keys, read from the section-structured XR config
                (``ntp`` / `` server …``, ``logging 192.0.2.50 vrf …``, ``telnet vrf default ipv4 server``)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from patrol.collect.platforms import NetPlatform
from patrol.collect.platforms._indent import flatten_indent
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

__all__ = ["COMMANDS", "PLATFORM", "parse", "xr_posture"]

SHOW_VERSION = "show version"
SHOW_INTERFACES = "show interfaces"
SHOW_RUN = "show running-config"
SHOW_MEMORY = "show memory summary"
SHOW_CPU = "show processes cpu"
COMMANDS = (SHOW_VERSION, SHOW_INTERFACES, SHOW_RUN, SHOW_MEMORY, SHOW_CPU)

_VERSION = re.compile(r"IOS[ -]XR Software,? Version (\S+?)(?:\[|\s|$)", re.M)
_HOSTNAME = re.compile(r"^hostname (\S+)", re.M)
_NTP = re.compile(r"^ntp (?:vrf \S+ )?server (?:vrf \S+ )?(?:ipv[46] )?(\S+)")
_LOG_HOST = re.compile(r"^logging (\d[\d.]+\d|[0-9a-f]*:[0-9a-f:]+)(?:\s|$)", re.I)
_COMMUNITY = re.compile(r"^snmp-server community (\S+)")
_TELNET = re.compile(r"^telnet (?:vrf \S+ )?ipv[46] server\b")
_SSH = re.compile(r"^ssh server\b")
_AAA = re.compile(r"^aaa authentication login \S+ group\b|^tacacs-server host\b|^radius-server host\b")
_WEAK_PASSWORD = re.compile(r"^username \S+ password (?:0|7)\s")
_BANNER = re.compile(r"^banner (?:motd|login|exec)\b")
_HTTP = re.compile(r"^http server\b")
_MEMORY = re.compile(r"Physical Memory:\s+(\d+)M total \((\d+)M available\)")
_CPU = re.compile(r"CPU utilization for one minute: (\d+)%; five minutes: (\d+)%")


def xr_posture(config: str) -> dict[str, Any]:
    """Security posture of an IOS-XR running config (sections flattened first)."""
    lines = flatten_indent(config)
    communities = len(matches(_COMMUNITY, lines))
    return {
        "ntp_servers": matches(_NTP, lines),
        "logging_servers": matches(_LOG_HOST, lines),
        "snmp_communities": communities,
        "snmp_v3_only": communities == 0,
        "telnet_enabled": has_line(_TELNET, lines),
        "ssh_enabled": has_line(_SSH, lines),
        "aaa_enabled": has_line(_AAA, lines),
        "password_encryption": not has_line(_WEAK_PASSWORD, lines),
        "banner_present": has_line(_BANNER, lines),
        "http_server_enabled": has_line(_HTTP, lines),
    }


def _facts(host: str, version_text: str, config: str, collected_at: datetime) -> Facts:
    version = first_match(_VERSION, version_text)
    if not version:
        raise ParseError(host, f"{SHOW_VERSION!r} output has no 'Cisco IOS XR Software, Version' line")
    rows = parse_template(host, "cisco_xr_show_version", version_text)
    row = rows[0] if rows else {}
    return Facts(
        hostname=first_match(_HOSTNAME, config),
        vendor="Cisco",
        model=(row.get("hardware") or "").strip() or None,
        os_version=version,
        boot_time=boot_time(collected_at, uptime_seconds(row.get("uptime"))),
    )


def _resources(memory_text: str, cpu_text: str) -> list[Resource]:
    found = []
    memory = _MEMORY.search(memory_text)
    if memory:
        total, available = int(memory[1]), int(memory[2])
        found.append(Resource(kind="memory", name="physical", capacity=total, used=total - available, unit="MiB"))
    cpu = _CPU.search(cpu_text)
    if cpu:
        found.append(Resource(kind="cpu", name="system", capacity=100, used=int(cpu[2]), unit="percent"))
    return found


def _interface(row: Mapping[str, Any]) -> Interface:
    link = str(row.get("link_status") or "").lower()
    protocol = str(row.get("admin_state") or "").lower()  # the template's name for "line protocol"
    ip = str(row.get("ip_address") or "")
    return Interface(
        name=str(row["interface"]),
        admin_up=None if not link else "administratively" not in link,
        oper_up=protocol.startswith("up") if protocol else None,
        description=row.get("description") or None,
        ip_addresses=[ip] if "/" in ip else [],
        mac=row.get("mac_address") or None,
        speed_mbps=speed_mbps(row.get("speed")) or speed_mbps(row.get("bandwidth"), default_unit="k"),
        mtu=to_int(row.get("mtu")),
        in_errors=to_int(row.get("input_errors")),
        out_errors=to_int(row.get("output_errors")),
    )


_IF_HEAD = re.compile(r"^(\S+) is [\w ]+?, line protocol is", re.M)
_IF_RATES = (
    re.compile(r"input rate (\d+) (bits/sec)"),
    re.compile(r"output rate (\d+) (bits/sec)"),
)


def parse(host: str, outputs: Mapping[str, str]) -> Snapshot:
    """Snapshot of an IOS-XR router from the outputs of :data:`COMMANDS`."""
    outputs = clean_outputs(outputs)
    version = require(host, outputs, SHOW_VERSION)
    config = require(host, outputs, SHOW_RUN)
    snapshot = new_snapshot(host, "cisco_xr", DeviceClass.NETWORK, outputs, config)
    snapshot.facts = _facts(host, version, config, snapshot.collected_at)
    interfaces_text = optional(outputs, SHOW_INTERFACES)
    rows = parse_template(host, "cisco_xr_show_interfaces", interfaces_text) if interfaces_text else []
    snapshot.interfaces = [_interface(row) for row in rows]
    links = interface_utilisation(interfaces_text, snapshot.interfaces, _IF_HEAD, _IF_RATES)
    memory, cpu = optional(outputs, SHOW_MEMORY), optional(outputs, SHOW_CPU)
    snapshot.resources = _resources(memory, cpu) + links
    snapshot.security = xr_posture(config)
    return snapshot


PLATFORM = NetPlatform(
    name="cisco_xr",
    device_type="cisco_xr",
    default_device_class=DeviceClass.NETWORK,
    commands=COMMANDS,
    parse=parse,
    config_command=SHOW_RUN,
    napalm_driver="iosxr",
    napalm_getters=("get_facts", "get_interfaces", "get_interfaces_ip", "get_lldp_neighbors"),
)
