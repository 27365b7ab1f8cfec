"""Palo Alto PAN-OS driver: system info, hardware interfaces, running config and security policy.

``PLATFORM.parse("fw2", outputs)`` gives a snapshot like::

    facts:      {"hostname": "fw2", "vendor": "Palo Alto Networks", "model": "PA-3220",
                 "os_version": "10.2.4", "serial": "013201001234", "boot_time": "..."}
    interfaces: [{"name": "ethernet1/3", "admin_up": null, "oper_up": false,
                  "mac": "00:1b:17:00:01:13", "speed_mbps": null}]
    security:   {"ntp_servers": ["192.0.2.123", "192.0.2.124"], "logging_servers": ["192.0.2.50"],
                 "snmp_communities": 0, "snmp_v3_only": true, "telnet_enabled": false,
                 "ssh_enabled": true, "http_server_enabled": false, "banner_present": true,
                 "aaa_enabled": true, "any_any_rules": 1}

``any_any_rules`` counts rules of ``show running security-policy`` that allow any source zone,
address, destination zone and address, and any application.
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
    flatten_braces,
    has_line,
    matches,
    new_snapshot,
    optional,
    parse_template,
    require,
    speed_mbps,
    uptime_seconds,
)
from patrol.errors import ParseError
from patrol.models import DeviceClass, Facts, Interface, Snapshot

__all__ = ["COMMANDS", "PLATFORM", "count_any_any", "panos_posture", "parse"]

SHOW_SYSTEM = "show system info"
SHOW_INTERFACES = "show interface hardware"
SHOW_CONFIG = "show config running"
SHOW_POLICY = "show running security-policy"
COMMANDS = (SHOW_SYSTEM, SHOW_INTERFACES, SHOW_CONFIG, SHOW_POLICY)

_SYSTEM = r"^config devices \S+ deviceconfig system "
_NTP = re.compile(_SYSTEM + r"ntp-servers \S+ ntp-server-address (\S+)")
_SYSLOG = re.compile(r"^config shared log-settings syslog \S+ server \S+ server (\S+)")
_COMMUNITY = re.compile(_SYSTEM + r"snmp-setting access-setting version v[12]c? snmp-community-string (\S+)")
_TELNET_ON = re.compile(_SYSTEM + r"service disable-telnet no\b")
_SSH_OFF = re.compile(_SYSTEM + r"service disable-ssh yes\b")
_HTTP_ON = re.compile(_SYSTEM + r"service disable-http no\b")
_BANNER = re.compile(_SYSTEM + r"login-banner\b")
_HOSTNAME = re.compile(_SYSTEM + r"hostname (\S+)")
_AAA = re.compile(_SYSTEM + r"authentication-profile\b|^config shared server-profile (?:tacplus|radius|ldap)\b")


def panos_posture(statements: list[str]) -> dict[str, Any]:
    """Security posture of ``show config running`` flattened with :func:`flatten_braces`
    (telnet and HTTP are off unless enabled)."""
    communities = len(matches(_COMMUNITY, statements))
    return {
        "ntp_servers": matches(_NTP, statements),
        "logging_servers": matches(_SYSLOG, statements),
        "snmp_communities": communities,
        "snmp_v3_only": communities == 0,
        "telnet_enabled": has_line(_TELNET_ON, statements),
        "ssh_enabled": not has_line(_SSH_OFF, statements),
        "http_server_enabled": has_line(_HTTP_ON, statements),
        "banner_present": has_line(_BANNER, statements),
        "aaa_enabled": has_line(_AAA, statements),
    }


def _is_any(value: Any) -> bool:
    return str(value or "").strip().strip("[]").strip().lower() == "any"


def count_any_any(host: str, policy_text: str) -> int:
    """Number of ``allow`` rules from any zone/address to any zone/address for any application."""
    count = 0
    for rule in parse_template(host, "paloalto_panos_show_running_security-policy", policy_text):
        app = str(rule.get("application_service") or "").strip("[] ")
        fields = (rule.get("from"), rule.get("source"), rule.get("to"), rule.get("destination"))
        if rule.get("action") == "allow" and all(_is_any(f) for f in fields) and app.startswith("any/"):
            count += 1
    return count


def _facts(host: str, system_text: str, statements: list[str], collected_at: datetime) -> Facts:
    rows = parse_template(host, "paloalto_panos_show_system_info", system_text)
    if not rows or not rows[0].get("os"):
        raise ParseError(host, f"{SHOW_SYSTEM!r} output has no 'sw-version:' line")
    row = rows[0]
    serial = row.get("serial")
    return Facts(
        hostname=row.get("hostname") or next(iter(matches(_HOSTNAME, statements)), None),
        vendor="Palo Alto Networks",
        model=row.get("model") or None,
        os_version=row["os"],
        serial=serial if serial and serial != "unknown" else None,
        boot_time=boot_time(collected_at, uptime_seconds(row.get("uptime"))),
    )


def _interface(row: Mapping[str, Any]) -> Interface:
    state = str(row.get("state") or "").lower()
    return Interface(
        name=str(row["interface"]),
        oper_up=state.startswith("up") if state else None,
        mac=row.get("mac_address") or None,
        speed_mbps=speed_mbps(row.get("speed")),
    )


def parse(host: str, outputs: Mapping[str, str]) -> Snapshot:
    """Snapshot of a PAN-OS firewall from the outputs of :data:`COMMANDS`."""
    outputs = clean_outputs(outputs)
    system = require(host, outputs, SHOW_SYSTEM)
    config = require(host, outputs, SHOW_CONFIG)
    snapshot = new_snapshot(host, "paloalto_panos", DeviceClass.SECURITY, outputs, config)
    statements = flatten_braces(config)
    snapshot.facts = _facts(host, system, statements, snapshot.collected_at)
    rows = parse_template(host, "paloalto_panos_show_interface_hardware", optional(outputs, SHOW_INTERFACES))
    snapshot.interfaces = [_interface(row) for row in rows]
    snapshot.security = panos_posture(statements)
    policy = optional(outputs, SHOW_POLICY)
    if policy.strip():
        snapshot.security["any_any_rules"] = count_any_any(host, policy)
    return snapshot


PLATFORM = NetPlatform(
    name="paloalto_panos",
    device_type="paloalto_panos",
    default_device_class=DeviceClass.SECURITY,
    commands=COMMANDS,
    parse=parse,
    needs_enable=False,
    config_command=SHOW_CONFIG,
    # FakeNOS and many PAN-OS builds offer only "password" auth; netmiko's PAN-OS client uses
    # keyboard-interactive unless keys/agent are allowed, so allow the agent (password still used).
    connect_args={"allow_agent": True},
)
