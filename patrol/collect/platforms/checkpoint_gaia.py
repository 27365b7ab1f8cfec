"""Check Point Gaia driver (clish): ``show version all``, ``show asset all``, ``show interfaces all``,
``show uptime`` and ``show configuration``.

``PLATFORM.parse("gw1", outputs)`` gives a snapshot like::

    facts:      {"hostname": "gw1", "vendor": "Check Point", "model": "Check Point 15400",
                 "os_version": "R81.20", "serial": "LR000000000000", "boot_time": "..."}
    interfaces: [{"name": "Mgmt", "admin_up": true, "oper_up": true, "speed_mbps": 1000.0, ...}]
    security:   {"ntp_servers": [...], "logging_servers": [...], "snmp_communities": 0,
                 "snmp_v3_only": true, "telnet_enabled": false, "ssh_enabled": true, "aaa_enabled": true,
                 "password_encryption": true, "banner_present": true, "http_server_enabled": false}

Gaia's clish tells neither memory nor CPU use (they are expert-mode ``cpstat os``), so
``resources`` stays empty; the security policy lives on the management server, not here.
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
from patrol.models import DeviceClass, Facts, Interface, Snapshot

__all__ = ["COMMANDS", "PLATFORM", "gaia_posture", "parse"]

SHOW_VERSION = "show version all"
SHOW_ASSET = "show asset all"
SHOW_INTERFACES = "show interfaces all"
SHOW_UPTIME = "show uptime"
SHOW_CONFIG = "show configuration"
COMMANDS = (SHOW_VERSION, SHOW_ASSET, SHOW_INTERFACES, SHOW_UPTIME, SHOW_CONFIG)

_VERSION = re.compile(r"^Product version Check Point Gaia (\S+)", re.M)
_HOSTNAME = re.compile(r"^set hostname (\S+)", re.M)
_MODEL = re.compile(r"^Model: (.+?)\s*$", re.M)
_SERIAL = re.compile(r"^Serial Number: (\S+)", re.M)
_UPTIME = re.compile(r"\bup\s+(.+?),\s+\d+ users?\b")
_NTP = re.compile(r"^set ntp server (?:primary|secondary|tertiary) (\S+)")
_NTP_ON = re.compile(r"^set ntp active on\b")
_SYSLOG = re.compile(r"^add syslog log-remote-address (\S+)")
_COMMUNITY = re.compile(r"^set snmp community (\S+) read-(?:only|write)")
_SNMP_V3_ONLY = re.compile(r"^set snmp agent-version v3-Only\b", re.I)
_SNMP_ON = re.compile(r"^set snmp agent on\b")
_TELNET = re.compile(r"^set net-access telnet on\b")
_SSH_OFF = re.compile(r"^set net-access ssh off\b")
_AAA = re.compile(r"^(?:add|set) aaa (?:tacacs-servers|radius-servers) ")
_PLAIN = re.compile(r"^set user \S+ password \S")  # clish shows hashes only; a clear one was pasted
_BANNER = re.compile(r"^set (?:message banner|message motd) on\b")


def gaia_posture(config: str) -> dict[str, Any]:
    """Security posture of a Gaia ``show configuration``."""
    lines = config.split("\n")
    snmp_on = has_line(_SNMP_ON, lines)
    communities = len(matches(_COMMUNITY, lines)) if snmp_on and not has_line(_SNMP_V3_ONLY, lines) else 0
    return {
        "ntp_servers": matches(_NTP, lines) if has_line(_NTP_ON, lines) else [],
        "logging_servers": matches(_SYSLOG, lines),
        "snmp_communities": communities,
        "snmp_v3_only": communities == 0,
        "telnet_enabled": has_line(_TELNET, lines),
        "ssh_enabled": not has_line(_SSH_OFF, lines),
        "aaa_enabled": has_line(_AAA, lines),
        "password_encryption": not has_line(_PLAIN, lines),
        "banner_present": has_line(_BANNER, lines),
        "http_server_enabled": False,  # the Gaia portal is HTTPS only
    }


def _facts(host: str, version_text: str, asset: str, uptime: str, config: str, collected_at: datetime) -> Facts:
    version = first_match(_VERSION, version_text)
    if not version:
        raise ParseError(host, f"{SHOW_VERSION!r} output has no 'Product version Check Point Gaia' line")
    return Facts(
        hostname=first_match(_HOSTNAME, config),
        vendor="Check Point",
        model=first_match(_MODEL, asset),
        os_version=version,
        serial=first_match(_SERIAL, asset),
        boot_time=boot_time(collected_at, uptime_seconds(first_match(_UPTIME, uptime))),
    )


def _interface(row: Mapping[str, Any]) -> Interface:
    state = str(row.get("state") or "").lower()
    link = str(row.get("link_state") or "").lower()
    ip = str(row.get("ipv4_address") or "")
    return Interface(
        name=str(row["interface"]),
        admin_up=state == "on" if state else None,
        oper_up=link.endswith("up") if link else None,
        description=row.get("comment") or None,
        ip_addresses=[ip] if "." in ip else [],
        mac=row.get("mac_address") or None,
        speed_mbps=speed_mbps(row.get("speed")),
        mtu=to_int(row.get("mtu")),
    )


def parse(host: str, outputs: Mapping[str, str]) -> Snapshot:
    """Snapshot of a Gaia gateway from the outputs of :data:`COMMANDS`."""
    outputs = clean_outputs(outputs)
    version = require(host, outputs, SHOW_VERSION)
    config = require(host, outputs, SHOW_CONFIG)
    snapshot = new_snapshot(host, "checkpoint_gaia", DeviceClass.SECURITY, outputs, config)
    asset, uptime = optional(outputs, SHOW_ASSET), optional(outputs, SHOW_UPTIME)
    snapshot.facts = _facts(host, version, asset, uptime, config, snapshot.collected_at)
    interfaces_text = optional(outputs, SHOW_INTERFACES)
    rows = parse_template(host, "checkpoint_gaia_show_interfaces_all", interfaces_text) if interfaces_text else []
    snapshot.interfaces = [_interface(row) for row in rows]
    snapshot.security = gaia_posture(config)
    return snapshot


PLATFORM = NetPlatform(
    name="checkpoint_gaia",
    device_type="checkpoint_gaia",
    default_device_class=DeviceClass.SECURITY,
    commands=COMMANDS,
    parse=parse,
    config_command=SHOW_CONFIG,
)
