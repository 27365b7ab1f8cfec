"""H3C / HPE Comware driver: ``display version``, ``display interface``, ``display current-configuration``,
``display memory``, ``display cpu-usage``.

``PLATFORM.parse("acc-sw1", outputs)`` gives a snapshot like::

    facts:      {"hostname": "acc-sw1", "vendor": "H3C", "model": "S6850-56HF",
                 "os_version": "7.1.070 Release 6615P07", "boot_time": "..."}
    interfaces: [{"name": "Bridge-Aggregation20", "admin_up": true, "oper_up": true, ...}]
    resources:  [{"kind": "memory", "name": "slot 1", "capacity": 1001072, "used": 315256, "unit": "KiB"},
                 {"kind": "cpu", "name": "slot 1", "capacity": 100, "used": 3, "unit": "percent"}, ...]
    security:   the common posture keys from the ``#``-separated configuration
                (``ntp-service unicast-server``, ``info-center loghost``, ``snmp-agent community``,
                ``telnet server enable``, ``local-user … password simple``)
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

__all__ = ["COMMANDS", "PLATFORM", "comware_posture", "parse"]

DISPLAY_VERSION = "display version"
DISPLAY_INTERFACE = "display interface"
DISPLAY_CONFIG = "display current-configuration"
DISPLAY_MEMORY = "display memory"
DISPLAY_CPU = "display cpu-usage"
COMMANDS = (DISPLAY_VERSION, DISPLAY_INTERFACE, DISPLAY_CONFIG, DISPLAY_MEMORY, DISPLAY_CPU)

_VERSION = re.compile(r"Comware Software, Version ([\d.]+)(?:, (Release \S+))?", re.M)
_VENDOR_MODEL = re.compile(r"^(H3C|HPE?) (\S+(?: \S+)*?)(?: Switch)? uptime is (.+)$", re.M)
_SYSNAME = re.compile(r"^ sysname (\S+)", re.M)
_NTP = re.compile(r"^ntp-service (?:ipv6 )?unicast-server (?:ipv6 )?(\S+)")
_LOGHOST = re.compile(r"^info-center loghost (?:vpn-instance \S+ )?(?:ipv6 )?(\S+)")
_COMMUNITY = re.compile(r"^snmp-agent community (?:read|write) ")
_TELNET = re.compile(r"^telnet server enable|^line vty \S+(?: \S+)? protocol inbound (?:telnet|all)\b")
_SSH = re.compile(r"^ssh server enable")
_HTTP = re.compile(r"^ip http enable")
_AAA = re.compile(r"^(?:hwtacacs|radius) scheme \S+$")
_PLAIN_PASSWORD = re.compile(r"^local-user \S+(?: class \S+)? password simple\b|^super password .*simple\b")
_BANNER = re.compile(r"^header (?:login|motd|shell)\b")
_MEMORY = re.compile(r"^Mem:\s+(\d+)\s+(\d+)\s+(\d+)", re.M)
_MEMORY_NET = re.compile(r"^-/\+ Buffers/Cache:\s+(\d+)", re.M)
_SLOT = re.compile(r"^Slot (\d+)", re.M)
_CPU = re.compile(r"(\d+)% in last 5 minutes")


def comware_posture(config: str) -> dict[str, Any]:
    """Security posture of a Comware ``display current-configuration``."""
    lines = flatten_indent(config, section_break="#")
    communities = len([line for line in lines if _COMMUNITY.match(line)])
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
    version = _VERSION.search(version_text)
    if not version:
        raise ParseError(host, f"{DISPLAY_VERSION!r} output has no 'Comware Software, Version' line")
    model = _VENDOR_MODEL.search(version_text)
    return Facts(
        hostname=first_match(_SYSNAME, config),
        vendor="H3C" if not model or model[1] == "H3C" else "HPE",
        model=model[2] if model else None,
        os_version=" ".join(part for part in version.groups() if part),
        boot_time=boot_time(collected_at, uptime_seconds(model[3] if model else None)),
    )


def _resources(memory_text: str, cpu_text: str) -> list[Resource]:
    found = []
    memory = _MEMORY.search(memory_text)
    if memory:
        slot = first_match(_SLOT, memory_text) or "0"
        net = to_int(first_match(_MEMORY_NET, memory_text))  # used minus buffers and cache
        used = net if net is not None else int(memory[2])
        found.append(Resource(kind="memory", name=f"slot {slot}", capacity=int(memory[1]), used=used, unit="KiB"))
    cpu = first_match(_CPU, cpu_text)
    if cpu:
        slot = first_match(_SLOT, cpu_text) or "0"
        found.append(Resource(kind="cpu", name=f"slot {slot}", capacity=100, used=int(cpu), unit="percent"))
    return found


def _interface(row: Mapping[str, Any]) -> Interface:
    state = str(row.get("line_status") or "").lower()
    protocol = str(row.get("protocol_status") or "").lower()
    macs = row.get("hw_address") or []
    return Interface(
        name=str(row["interface"]),
        admin_up=None if not state else "administratively" not in state,
        oper_up=(protocol or state).startswith("up") if (protocol or state) else None,
        description=row.get("description") or None,
        ip_addresses=list(row.get("ip_address") or []),
        mac=macs[0] if macs else None,
        speed_mbps=speed_mbps(row.get("bandwidth"), default_unit="k"),
        mtu=to_int(row.get("mtu")),
    )


_IF_HEAD = re.compile(r"^(\S+)\n\s*Current state:", re.M)
# "Last 300 seconds input rate: 7 bytes/sec, 56 bits/sec, …" (V7) or "Last 300 seconds input:  1 packets/sec
# 495 bytes/sec 0%" (V5 switches)
_RATE = (
    r"Last \d+ seconds {0}(?: rate)?:\s+(?:[\d.]+ bytes/sec, )?(?:[\d.]+ packets/sec )?([\d.]+) (bits/sec|bytes/sec)"
)
_IF_RATES = (re.compile(_RATE.format("input")), re.compile(_RATE.format("output")))


def parse(host: str, outputs: Mapping[str, str]) -> Snapshot:
    """Snapshot of a Comware device from the outputs of :data:`COMMANDS`."""
    outputs = clean_outputs(outputs)
    version = require(host, outputs, DISPLAY_VERSION)
    config = require(host, outputs, DISPLAY_CONFIG)
    snapshot = new_snapshot(host, "hp_comware", DeviceClass.NETWORK, outputs, config)
    snapshot.facts = _facts(host, version, config, snapshot.collected_at)
    interfaces_text = optional(outputs, DISPLAY_INTERFACE)
    rows = parse_template(host, "hp_comware_display_interface", interfaces_text) if interfaces_text else []
    snapshot.interfaces = [_interface(row) for row in rows]
    links = interface_utilisation(interfaces_text, snapshot.interfaces, _IF_HEAD, _IF_RATES)
    snapshot.resources = _resources(optional(outputs, DISPLAY_MEMORY), optional(outputs, DISPLAY_CPU)) + links
    snapshot.security = comware_posture(config)
    return snapshot


PLATFORM = NetPlatform(
    name="hp_comware",
    device_type="hp_comware",
    default_device_class=DeviceClass.NETWORK,
    commands=COMMANDS,
    parse=parse,
    config_command=DISPLAY_CONFIG,
    # netmiko's fast_cli clears the buffer before the prompt of its "screen-length disable" (sent
    # after an empty line) has arrived; that late prompt then ended the first command's read
    connect_args={"fast_cli": False},
)
