"""Helpers shared by the platform drivers: cached TextFSM templates, output hygiene, small parsers.

Everything here is a pure function of text, cheap in CPU (TextFSM templates are compiled once
per process and reused) and safe on hostile output: ANSI/control characters are removed and
over-long lines are cut before any regex sees them.

Typical use inside a driver's ``parse``::

    outputs = clean_outputs(outputs)                       # {"show version": "...", ...}
    version = require(host, outputs, "show version")       # ParseError if missing / an error banner
    rows = parse_template(host, "cisco_ios_show_version", version)
    # -> [{"version": "17.3.1a", "hostname": "core-sw1", "uptime": "1 day, 2 hours", ...}]
    seconds = uptime_seconds(rows[0]["uptime"])            # 93600
    links = interface_utilisation(text, interfaces, head=HEAD, rates=(IN_RATE, OUT_RATE))
    # -> [Resource(kind="interface", name="Gi1", capacity=1e9, used=2000.0, unit="bps")]
    lines = flatten_braces("system {\\n ntp {\\n server 192.0.2.1;\\n }\\n}")
    # -> ["system ntp server 192.0.2.1"]
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import ntc_templates
import textfsm

from patrol.errors import ParseError
from patrol.models import DeviceClass, Interface, Resource, Snapshot, utcnow

__all__ = [
    "MAX_LINE",
    "boot_time",
    "clean_outputs",
    "clean_text",
    "first_match",
    "flatten_braces",
    "has_line",
    "interface_from_row",
    "interface_utilisation",
    "matches",
    "new_snapshot",
    "optional",
    "parse_template",
    "require",
    "speed_mbps",
    "to_int",
    "uptime_seconds",
]

#: Lines longer than this are cut before parsing (a hostile device cannot make regexes crawl).
MAX_LINE = 4096

_TEMPLATE_DIR = os.path.join(os.path.dirname(ntc_templates.__file__), "templates")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: What a CLI answers instead of output when it does not know a command or it failed.
_ERROR_BANNER = re.compile(
    r"^\s*(?:% ?Invalid input|% ?Unknown command|% ?Incomplete command|% ?Ambiguous command|"
    r"Error: |ERROR: |unknown command|syntax error|Unrecognized command)",
    re.I,
)


# --------------------------------------------------------------------------- hygiene


def clean_text(text: str) -> str:
    """``text`` with CRLF normalised, ANSI and control characters removed, long lines cut."""
    text = _CONTROL.sub("", _ANSI.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))
    if len(text) > MAX_LINE and any(len(line) > MAX_LINE for line in text.split("\n")):
        text = "\n".join(line[:MAX_LINE] for line in text.split("\n"))
    return text


def clean_outputs(outputs: Mapping[str, str]) -> dict[str, str]:
    """Every output cleaned with :func:`clean_text` (the snapshot's ``raw``)."""
    return {command: clean_text(output or "") for command, output in outputs.items()}


def require(host: str, outputs: Mapping[str, str], command: str) -> str:
    """The output of ``command``; :class:`ParseError` if it is missing, empty or an error banner."""
    text = outputs.get(command, "")
    if not text.strip():
        raise ParseError(host, f"{command!r} returned no output; check the account's privilege level")
    first = next(line for line in text.split("\n") if line.strip())
    if _ERROR_BANNER.match(first):
        raise ParseError(
            host,
            f"{command!r} was rejected by the device ({first.strip()[:120]!r}); "
            "check the platform in the inventory and the account's privilege level",
        )
    return text


def optional(outputs: Mapping[str, str], command: str) -> str:
    """The output of ``command``, or ``""`` when it is missing or an error banner."""
    text = outputs.get(command, "")
    first = next((line for line in text.split("\n") if line.strip()), "")
    return "" if _ERROR_BANNER.match(first) else text


# --------------------------------------------------------------------------- TextFSM


class _Template:
    """One compiled TextFSM template; TextFSM objects keep state, so parsing holds a lock."""

    def __init__(self, name: str) -> None:
        with open(os.path.join(_TEMPLATE_DIR, f"{name}.textfsm"), encoding="utf-8") as handle:
            self.fsm = textfsm.TextFSM(handle)
        self.lock = threading.Lock()

    def parse(self, text: str) -> list[dict[str, Any]]:
        with self.lock:
            self.fsm.Reset()
            rows = self.fsm.ParseText(text)
            header = [column.lower() for column in self.fsm.header]
        return [dict(zip(header, row, strict=True)) for row in rows]


_TEMPLATES: dict[str, _Template] = {}
_TEMPLATES_LOCK = threading.Lock()


def _template(name: str) -> _Template:
    with _TEMPLATES_LOCK:
        if name not in _TEMPLATES:
            _TEMPLATES[name] = _Template(name)
        return _TEMPLATES[name]


def parse_template(host: str, name: str, text: str) -> list[dict[str, Any]]:
    """Rows of ntc-templates' ``name`` over ``text``, keys lower-cased.

    ``parse_template("r1", "cisco_ios_show_version", out)`` ->
    ``[{"version": "17.3.1a", "hostname": "r1", "serial": ["9ESG..."], ...}]``.
    A template that rejects the text raises :class:`ParseError` naming host and template.
    """
    try:
        return _template(name).parse(text)
    except textfsm.TextFSMError as exc:
        raise ParseError(host, f"output does not match TextFSM template {name}: {exc}") from exc


# --------------------------------------------------------------------------- values


_UPTIME_UNITS = {"year": 31536000, "week": 604800, "day": 86400, "hour": 3600, "minute": 60, "second": 1}
_UPTIME_PART = re.compile(r"(\d+)\s*(year|week|day|hour|minute|second|[ywdhms]\b)", re.I)
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?\b")


def uptime_seconds(text: str | None) -> int | None:
    """Seconds of an uptime phrase, ``None`` if none is recognised.

    ``"1 week, 3 days, 16 hours, 11 minutes"`` -> 921060; ``"2 days, 2:38:49"`` -> 182329;
    ``"1 hour and 5 minutes"`` -> 3900; ``"114 days 18 hours"`` -> 9914400.
    """
    if not text:
        return None
    total, found = 0, False
    clock = _CLOCK.search(text)
    if clock:
        hours, minutes, seconds = (int(part or 0) for part in clock.groups())
        total, found = hours * 3600 + minutes * 60 + seconds, True
        text = text[: clock.start()] + text[clock.end() :]
    for number, unit in _UPTIME_PART.findall(text):
        key = next(name for name in _UPTIME_UNITS if name.startswith(unit.lower()[0]))
        total, found = total + int(number) * _UPTIME_UNITS[key], True
    return total if found else None


def boot_time(collected_at: datetime, seconds: int | None) -> datetime | None:
    """``collected_at - seconds`` rounded to the minute (stable across runs), or ``None``."""
    if seconds is None:
        return None
    moment = collected_at - timedelta(seconds=seconds)
    return (moment + timedelta(seconds=30)).replace(second=0, microsecond=0)


def to_int(value: Any) -> int | None:
    """``"1,234"`` -> 1234; anything that is not a number -> ``None``."""
    if isinstance(value, list):
        value = value[0] if value else None
    digits = str(value or "").replace(",", "").strip()
    return int(digits) if digits.isdigit() else None


_SPEED = re.compile(r"(\d+(?:\.\d+)?)\s*([KMG])?(?:b|bit|bps)?", re.I)
_SPEED_FACTOR = {"k": 0.001, "m": 1.0, "g": 1000.0, "": 1.0}


def speed_mbps(value: str | None, default_unit: str = "m") -> float | None:
    """``"1000 Mbps"`` -> 1000.0, ``"10Gb/s"`` -> 10000.0, ``"100000 Kbit"`` -> 100.0."""
    match = _SPEED.search(value or "")
    if not match:
        return None
    unit = (match.group(2) or default_unit).lower()
    return float(match.group(1)) * _SPEED_FACTOR.get(unit, 1.0)


def first_match(pattern: re.Pattern[str], text: str, group: int = 1) -> str | None:
    """Group ``group`` of the first match of ``pattern`` in ``text``, stripped, or ``None``."""
    match = pattern.search(text)
    return match.group(group).strip() if match else None


def matches(pattern: re.Pattern[str], lines: Iterable[str], group: int = 1) -> list[str]:
    """Group ``group`` of every line that matches ``pattern``, in order, without duplicates."""
    found: list[str] = []
    for line in lines:
        match = pattern.match(line)
        if match and match.group(group) not in found:
            found.append(match.group(group))
    return found


def has_line(pattern: re.Pattern[str], lines: Iterable[str]) -> bool:
    """Whether any line matches ``pattern``."""
    return any(pattern.match(line) for line in lines)


# --------------------------------------------------------------------------- curly configs


_BRACE_COMMENT = re.compile(r"/\*.*?\*/|##.*$|#.*$", re.M)


def flatten_braces(text: str) -> list[str]:
    """Junos / PAN-OS curly configuration as flat statements (like ``display set`` minus ``set``).

    ``"system {\\n  ntp {\\n    server 192.0.2.1;\\n  }\\n}"`` -> ``["system ntp server 192.0.2.1"]``;
    an empty block ``"telnet;"`` inside ``system services`` gives ``"system services telnet"``.
    Comments (``/* */``, ``##``, ``#``) are ignored; inactive statements keep their ``inactive:``.
    """
    path: list[str] = []
    flat: list[str] = []
    for raw_line in _BRACE_COMMENT.sub("", text).split("\n"):
        line = raw_line.strip()
        if not line:
            continue
        if line.endswith("{"):
            path.append(line[:-1].strip())
        elif line.startswith("}"):
            if path:
                path.pop()
        else:
            flat.append(" ".join([*path, line.rstrip(";").strip()]))
    return flat


# --------------------------------------------------------------------------- snapshot


def new_snapshot(
    host: str, platform: str, device_class: DeviceClass, outputs: Mapping[str, str], config: str | None
) -> Snapshot:
    """An empty snapshot of ``host`` stamped now, with ``raw`` = the cleaned outputs."""
    return Snapshot(
        host=host,
        device_class=device_class,
        platform=platform,
        collected_at=utcnow(),
        config=config,
        raw=dict(outputs),
    )


def _up(value: str | None, up_words: tuple[str, ...] = ("up",)) -> bool | None:
    if not value:
        return None
    return value.strip().lower().startswith(up_words)


def interface_from_row(row: Mapping[str, Any], speed_key: str = "bandwidth") -> Interface:
    """An :class:`Interface` from a TextFSM row using ntc-templates' common column names.

    Columns used: interface, link_status (admin), protocol_status (oper), description,
    mac_address, mtu, input_errors, output_errors, ``speed_key``, ip_address + prefix_length.
    IOS/ASA say ``administratively down`` for a shut interface: admin down, oper down.
    """
    link = str(row.get("link_status") or "").lower()
    admin_up = None if not link else not link.startswith("admin") and not link.startswith("disabled")
    ips = row.get("ip_address") or []
    ips = ips if isinstance(ips, list) else [ips]
    prefix = row.get("prefix_length") or ""
    prefixes = prefix if isinstance(prefix, list) else [prefix] * len(ips)
    return Interface(
        name=str(row["interface"]),
        admin_up=admin_up,
        oper_up=_up(row.get("protocol_status")),
        description=(row.get("description") or None),
        ip_addresses=[f"{ip}/{pl}" if pl else ip for ip, pl in zip(ips, prefixes, strict=False) if ip],
        mac=row.get("mac_address") or None,
        speed_mbps=speed_mbps(row.get(speed_key), default_unit="k" if speed_key == "bandwidth" else "m"),
        mtu=to_int(row.get("mtu")),
        in_errors=to_int(row.get("input_errors")),
        out_errors=to_int(row.get("output_errors")),
    )


# --------------------------------------------------------------------------- utilisation


#: Bits per second of one unit of a rate as devices print it.
_RATE_FACTOR = {"bits/sec": 1.0, "bps": 1.0, "kbps": 1e3, "mbps": 1e6, "gbps": 1e9, "bytes/sec": 8.0}


def _rate_bps(block: str, pattern: re.Pattern[str]) -> float | None:
    """Group 1 (number) x group 2 (unit, see ``_RATE_FACTOR``) of ``pattern``'s first match."""
    match = pattern.search(block)
    if not match:
        return None
    return float(match.group(1)) * _RATE_FACTOR.get(match.group(2).lower(), 1.0)


def interface_utilisation(
    text: str,
    interfaces: Iterable[Interface],
    head: re.Pattern[str],
    rates: tuple[re.Pattern[str], re.Pattern[str]],
) -> list[Resource]:
    """Per-interface link utilisation from a ``show interfaces``-like output.

    ``head`` matches the first line of each interface's block (group 1 = the interface name as
    in ``interfaces``); ``rates`` are the input and output rate patterns (group 1 = number,
    group 2 = unit: bits/sec, bps, kbps, Mbps, Gbps or bytes/sec), searched in that block.
    Each interface with a known speed and at least one rate gives
    ``Resource(kind="interface", name=<ifname>, capacity=<speed in bits/s>,
    used=max(input, output) in bits/s, unit="bps")``; the others give nothing.
    """
    speeds = {i.name: i.speed_mbps for i in interfaces if i.speed_mbps}
    heads = list(head.finditer(text))
    found = []
    for start, following in zip(heads, [*heads[1:], None], strict=True):
        name = start.group(1)
        block = text[start.end() : following.start() if following else len(text)]
        measured = [r for r in (_rate_bps(block, pattern) for pattern in rates) if r is not None]
        if name in speeds and measured:
            found.append(
                Resource(kind="interface", name=name, capacity=speeds[name] * 1e6, used=max(measured), unit="bps")
            )
    return found
