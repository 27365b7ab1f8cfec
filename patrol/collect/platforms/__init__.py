"""Platform drivers for network and security devices reached over SSH (netmiko).

Each module here exports ``PLATFORM``, a :class:`NetPlatform` registered in the
``patrol.platforms`` entry-point group. A driver is data plus one pure function: which
commands to run, and how to turn their outputs into a :class:`~patrol.models.Snapshot`.
The transport (:mod:`patrol.collect.netssh`) knows nothing of any vendor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from patrol.models import DeviceClass, Snapshot

__all__ = ["NetPlatform", "ParseFn"]

#: ``parse(host_name, outputs) -> Snapshot``; ``outputs`` maps each command to its text.
#: Raises :class:`patrol.errors.ParseError` when the device answered something unusable.
ParseFn = Callable[[str, Mapping[str, str]], Snapshot]


@dataclass(frozen=True)
class NetPlatform:
    name: str
    device_type: str  # netmiko device_type
    default_device_class: DeviceClass
    commands: tuple[str, ...]
    parse: ParseFn
    needs_enable: bool = False
    config_command: str | None = None
    #: extra keyword arguments for netmiko ConnectHandler (quirks of the platform)
    connect_args: Mapping[str, Any] = field(default_factory=dict)
    collector: str = "netmiko"
    #: napalm driver that works on this platform, run on the same SSH session when the host
    #: sets ``patrol_napalm: true``; results land in ``snapshot.extra["napalm"]``
    napalm_driver: str | None = None
    napalm_getters: tuple[str, ...] = ()
