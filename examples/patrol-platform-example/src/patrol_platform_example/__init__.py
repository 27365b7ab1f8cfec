"""Dell Networking OS9 (FTOS) for patrol: ``show version`` and ``show running-config``.

A complete platform in one small module, written the way docs/platforms.md describes: the
commands, a parse function built from patrol's helpers, and the security posture read from the
configuration with the same keys as every other network driver (so inspect/network.yml's
checks apply unchanged)::

    PLATFORM.parse("tor1", {"show version": ..., "show running-config": ...})
    # facts: {"vendor": "Dell", "model": "S4820T", "os_version": "9.9(0.0)", ...}
    # security: {"ntp_servers": [...], "telnet_enabled": false, "snmp_v3_only": true, ...}
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
    matches,
    new_snapshot,
    require,
    uptime_seconds,
)
from patrol.errors import ParseError
from patrol.models import DeviceClass, Facts, Snapshot

__all__ = ["PLATFORM", "parse", "posture"]

SHOW_VERSION = "show version"
SHOW_RUN = "show running-config"

_VERSION = re.compile(r"^Dell Application Software Version:\s+(\S+)", re.M)
_MODEL = re.compile(r"^System Type:\s+(\S+)", re.M)
_UPTIME = re.compile(r"uptime is (.+)$", re.M)
_HOSTNAME = re.compile(r"^hostname (\S+)", re.M)
_NTP = re.compile(r"^ntp server (?:vrf \S+ )?(\S+)")
_LOG_HOST = re.compile(r"^logging (?:vrf \S+ )?(\d[\d.]+\d)\b")
_COMMUNITY = re.compile(r"^snmp-server community (\S+)")
_TELNET_OFF = re.compile(r"^no ip telnet server enable")
_SSH = re.compile(r"^ip ssh server enable")
_AAA = re.compile(r"^aaa authentication login \S+ tacacs\+|^tacacs-server host ")
_CLEAR = re.compile(r"^(?:username \S+ password 0 |enable password 0 )")
_BANNER = re.compile(r"^banner (?:login|motd|exec)\b")
_HTTP = re.compile(r"^ip http server")


def posture(config: str) -> dict[str, Any]:
    """The ``security`` keys of an OS9 running config (OS9 enables telnet unless told not to)."""
    lines = config.split("\n")
    communities = len(matches(_COMMUNITY, lines))
    return {
        "ntp_servers": matches(_NTP, lines),
        "logging_servers": matches(_LOG_HOST, lines),
        "snmp_communities": communities,
        "snmp_v3_only": communities == 0,
        "telnet_enabled": not has_line(_TELNET_OFF, lines),
        "ssh_enabled": has_line(_SSH, lines),
        "aaa_enabled": has_line(_AAA, lines),
        "password_encryption": not has_line(_CLEAR, lines),
        "banner_present": has_line(_BANNER, lines),
        "http_server_enabled": has_line(_HTTP, lines),
    }


def parse(host: str, outputs: Mapping[str, str]) -> Snapshot:
    """Snapshot of an OS9 switch from ``show version`` and ``show running-config``."""
    outputs = clean_outputs(outputs)
    version_text = require(host, outputs, SHOW_VERSION)
    config = require(host, outputs, SHOW_RUN)
    version = first_match(_VERSION, version_text)
    if not version:
        raise ParseError(host, f"{SHOW_VERSION!r} output has no 'Dell Application Software Version' line")
    snapshot = new_snapshot(host, "dell_os9", DeviceClass.NETWORK, outputs, config)
    snapshot.facts = Facts(
        hostname=first_match(_HOSTNAME, config),
        vendor="Dell",
        model=first_match(_MODEL, version_text),
        os_version=version,
        boot_time=boot_time(snapshot.collected_at, uptime_seconds(first_match(_UPTIME, version_text))),
    )
    snapshot.security = posture(config)
    return snapshot


PLATFORM = NetPlatform(
    name="dell_os9",
    device_type="dell_force10",  # netmiko's driver for OS9
    default_device_class=DeviceClass.NETWORK,
    commands=(SHOW_VERSION, SHOW_RUN),
    parse=parse,
    needs_enable=True,
    config_command=SHOW_RUN,
)
