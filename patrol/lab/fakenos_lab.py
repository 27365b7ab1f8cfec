"""The demo lab's network and security devices: FakeNOS over SSH on 127.0.0.1.

Each device's own outputs live in ``lab/fakenos/<device>/``, one text file per command, the
command's words joined by ``_`` (``show running-config`` -> ``show_running-config.txt``).
They override FakeNOS' stock captures, so every device shows its own hostname, interfaces,
configuration and seeded faults; commands without a file keep FakeNOS' stock answer.

A file may contain one uptime placeholder, ``<<uptime=41d17h32m|{d} days, {h} hours, {m} minutes>>``:
the device booted ``41d17h32m`` before the lab started and the text shows the time since then
(fields ``d h m s`` and ``H``/``M``/``S`` zero-padded), so ``facts.boot_time`` is stable across runs.

Usage::

    lab = FakeNOSLab()
    lab.start(STATE_DIR)   # [Endpoint("core-sw1", "fakenos:cisco_ios", "127.0.0.1", 6001), ...]
    lab.stop()
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patrol.errors import LabError
from patrol.lab.base import Endpoint
from patrol.lab.fleet import Fleet, FleetDevice, start_fleet
from patrol.paths import LAB_DIR

__all__ = ["DATA_DIR", "LAB_SPECS", "FakeNOSLab", "LabDeviceSpec", "device_commands", "lab_devices"]

log = logging.getLogger(__name__)

DATA_DIR = LAB_DIR / "fakenos"

# Lab-only credentials, the same values as the vault-encrypted inventory group_vars
# (FakeNOS accepts any enable password, so the enable secret is not needed here).
_NET_USER, _NET_PASSWORD = "patrol", "Lab-Net-Pass1"
_SEC_USER, _SEC_PASSWORD = "patrol", "Lab-Sec-Pass1"

#: Commands only answered at the privileged (``#``) prompt, per platform.
_PRIVILEGED: dict[str, frozenset[str]] = {
    "cisco_ios": frozenset({"show version", "show running-config"}),
    "arista_eos": frozenset({"show version", "show running-config"}),
    "cisco_asa": frozenset({"show running-config"}),
}
#: Platforms whose lab devices take configuration (``configure terminal``, ``write memory``) like the
#: tests' remediation fleet (:mod:`patrol.lab.config_mode`), so the remediation playbooks apply to them.
_CONFIG_MODE = frozenset({"cisco_ios", "arista_eos", "cisco_asa"})
#: Commands netmiko's driver sends while preparing a session, per platform (FakeNOS lacks them):
#: FortiOS asks for VDOMs, the release and the console output mode (``standard``: no paging to undo).
_SESSION_COMMANDS: dict[str, dict[str, str]] = {
    "fortinet": {
        "get system status | grep Virtual": "Virtual domain configuration: disable",
        "get system status | grep Version": "Version: FortiGate-60E-POE v7.4.1,build2463,230830 (GA.F)",
        "get system console": "output              : standard",
        "config system console": "",
        "set output standard": "",
        "set output more": "",
        "end": "",
    },
}
_UPTIME = re.compile(r"<<uptime=(\d+)d(\d+)h(\d+)m\|(.*?)>>")


@dataclass(frozen=True)
class LabDeviceSpec:
    """One lab device: inventory name, FakeNOS platform, port and which credential set it uses."""

    name: str
    platform: str
    port: int
    security: bool = False


#: The inventory's FakeNOS hosts (branch-sw9 on 6099 is deliberately absent: it is unreachable).
LAB_SPECS: tuple[LabDeviceSpec, ...] = (
    LabDeviceSpec("core-sw1", "cisco_ios", 6001),
    LabDeviceSpec("core-sw2", "cisco_ios", 6002),
    LabDeviceSpec("dist-sw1", "arista_eos", 6003),
    LabDeviceSpec("edge-r1", "juniper_junos", 6004),
    LabDeviceSpec("agg-sw1", "huawei_vrp", 6005),
    LabDeviceSpec("fw1", "cisco_asa", 6011, security=True),
    LabDeviceSpec("fw2", "paloalto_panos", 6012, security=True),
    # issue 19's vendors (seeded: telnet + a v2c community on dc-leaf1, an unapproved XR release on
    # pe-r1, telnet + a v2c community + two dead ports on acc-h3c1, telnet on fw3)
    LabDeviceSpec("dc-leaf1", "cisco_nxos", 6006),
    LabDeviceSpec("pe-r1", "cisco_xr", 6007),
    LabDeviceSpec("acc-h3c1", "hp_comware", 6008),
    LabDeviceSpec("fw3", "checkpoint_gaia", 6013, security=True),
    # FortiGate (seeded: telnet + http admin access, a v2c community)
    LabDeviceSpec("fw4", "fortinet", 6014, security=True),
)


def _uptime_output(text: str, booted_at: float) -> Callable[..., str]:
    """A FakeNOS output callable that renders the uptime placeholder of ``text`` at call time."""

    def render(*_args: Any, **_kwargs: Any) -> str:
        def one(match: re.Match[str]) -> str:
            days, hours, minutes = (int(match.group(i)) for i in (1, 2, 3))
            seconds = int(time.time() - booted_at) + ((days * 24 + hours) * 60 + minutes) * 60
            d, rest = divmod(seconds, 86400)
            h, rest = divmod(rest, 3600)
            m, s = divmod(rest, 60)
            fields = {"d": d, "h": h, "m": m, "s": s, "H": f"{h:02d}", "M": f"{m:02d}", "S": f"{s:02d}"}
            return match.group(4).format(**fields)

        return _UPTIME.sub(one, text)

    return render


def _command_spec(platform: str, command: str, text: str, booted_at: float) -> dict[str, Any]:
    output: str | Callable[..., str] = _uptime_output(text, booted_at) if _UPTIME.search(text) else text
    spec: dict[str, Any] = {"output": output, "help": f"lab output of {command}"}
    if command in _PRIVILEGED.get(platform, frozenset()):
        spec["prompt"] = ["{base_prompt}#"]
    return spec


def device_commands(name: str, platform: str, booted_at: float | None = None) -> dict[str, dict[str, Any]]:
    """FakeNOS custom commands of lab device ``name`` read from ``lab/fakenos/<name>/*.txt``.

    ``{"show version": {"output": <callable>, "prompt": ["{base_prompt}#"], "help": ...}, ...}``.
    Raises :class:`LabError` naming the folder when it is missing or empty.
    """
    folder = DATA_DIR / name
    files = sorted(folder.glob("*.txt")) if folder.is_dir() else []
    if not files:
        raise LabError(f"lab device {name!r}: no command outputs in {folder}; add <command_words>.txt files")
    started = time.time() if booted_at is None else booted_at
    commands = {
        path.stem.replace("_", " "): _command_spec(platform, path.stem.replace("_", " "),
                                                   path.read_text(encoding="utf-8"), started)
        for path in files
    }
    for command, text in _SESSION_COMMANDS.get(platform, {}).items():
        commands.setdefault(command, {"output": text, "help": f"lab session set-up: {command}"})
    return commands


def lab_devices(
    specs: tuple[LabDeviceSpec, ...] = LAB_SPECS, port_offset: int = 0, booted_at: float | None = None
) -> list[FleetDevice]:
    """The lab's :class:`FleetDevice` list; ``port_offset`` moves every port (tests use free ports)."""
    return [
        FleetDevice(
            name=spec.name,
            platform=spec.platform,
            port=spec.port + port_offset,
            username=_SEC_USER if spec.security else _NET_USER,
            password=_SEC_PASSWORD if spec.security else _NET_PASSWORD,
            commands=device_commands(spec.name, spec.platform, booted_at),
            config_mode=spec.platform in _CONFIG_MODE,
        )
        for spec in specs
    ]


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


class FakeNOSLab:
    """Lab component serving the network and security devices (see the module docstring)."""

    name = "fakenos"

    def __init__(self, port_offset: int = 0) -> None:
        self._port_offset = port_offset
        self._fleet: Fleet | None = None

    def start(self, state_dir: Path) -> list[Endpoint]:
        """Start every lab device; returns their endpoints once all accept TCP connections."""
        if self._fleet is not None:
            raise LabError("FakeNOS lab is already running; stop it first")
        devices = lab_devices(port_offset=self._port_offset)
        taken = [f"tcp/127.0.0.1:{d.port}" for d in devices if _listening(d.port)]
        if taken:  # (FakeNOS binds with SO_REUSEPORT: a second lab would share the ports silently)
            raise LabError(f"{', '.join(taken)} already accept connections: another lab or program serves them "
                           f"(`ss -ltnp` names its pid); stop it first")  # fmt: skip
        self._fleet = start_fleet(devices)
        log.info("FakeNOS lab up: %d devices (state dir %s unused)", len(LAB_SPECS), state_dir)
        return self._fleet.endpoints

    @property
    def fleet(self) -> Fleet | None:
        """The running fleet (for drift demos: ``fleet.update_commands(name, {...})``)."""
        return self._fleet

    def stop(self) -> None:
        """Stop every device this component started; a no-op when not running."""
        if self._fleet is not None:
            self._fleet.stop()
            self._fleet = None
