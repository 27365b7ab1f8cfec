"""SNMP collection (v2c, or v1 via ``patrol_snmp_version: 1``) with pysnmp 7 asyncio.

All hosts of a batch run concurrently in one event loop, at most ``ctx.forks`` at a time. Per
host: a GET of the system group, then walks of hrStorageTable, ifTable and ifXTable.

Snapshot of a storage device (``Snapshot.model_dump(mode="json")``, abridged)::

    {"host": "nas1", "device_class": "storage", "platform": "snmp",
     "facts": {"hostname": "nas1", "vendor": "NetApp", "model": null, "os_version": "9.13.1P4",
               "boot_time": "2026-11-20T01:10:00Z"},
     "interfaces": [{"name": "e0a", "admin_up": true, "oper_up": true, "description": "data",
                     "speed_mbps": 10000, "mtu": 9000, "mac": "00:a0:98:11:22:01",
                     "in_errors": 0, "out_errors": 0}],
     "resources": [{"kind": "volume", "name": "/vol/data", "capacity": 2.2e12, "used": 2.0e12,
                    "unit": "bytes", "used_percent": 92.0},
                   {"kind": "memory", "name": "Physical memory", "capacity": 3.4e10, "used": 2.2e10}],
     "extra": {"sys_descr": "NetApp Release 9.13.1P4: ...", "sys_object_id": "1.3.6.1.4.1.789.2.5",
               "sys_location": "DC1 row 3 rack 7", "snmp_version": "2c"}}

hrStorage types map to resource kinds: fixed/network/flash disk -> ``volume``, RAM ->
``memory``, virtual memory -> ``swap``; other rows (buffers, removable media) are left out.
Interface utilisation is not collected over SNMP: ifHCInOctets/ifHCOutOctets are counters,
and a rate needs two polls some seconds apart (a second apart, the counters of a quiet link barely
move and the rate is noise), which would hold every SNMP host of the run for that long. The link's
capacity is in ``interfaces[].speed_mbps`` (ifHighSpeed, else ifSpeed); utilisation comes from the
CLI platforms, whose devices print their own 5-minute rates (``resources`` of kind ``interface``).
A wrong community is silence, so no answer is a ``timeout`` whose message says so. The
community never appears in a message or a log.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from patrol.collect.base import CollectContext, Emit, failure_result
from patrol.errors import CollectError, CollectTimeout
from patrol.models import DeviceClass, Facts, Host, HostResult, HostStatus, Interface, Resource, Snapshot, utcnow

__all__ = ["SNMP_PLATFORM", "SnmpCollector", "SnmpPlatform", "new_engine", "snapshot_from_tables"]

log = logging.getLogger(__name__)

SYS = "1.3.6.1.2.1.1"
SYSTEM_OIDS = {
    "sys_descr": f"{SYS}.1.0",
    "sys_object_id": f"{SYS}.2.0",
    "sys_uptime": f"{SYS}.3.0",
    "sys_name": f"{SYS}.5.0",
    "sys_location": f"{SYS}.6.0",
}
HR_STORAGE_ENTRY = "1.3.6.1.2.1.25.2.3.1"
IF_ENTRY = "1.3.6.1.2.1.2.2.1"
IFX_ENTRY = "1.3.6.1.2.1.31.1.1.1"
_HR_TYPES = "1.3.6.1.2.1.25.2.1."
STORAGE_KINDS = {
    _HR_TYPES + "2": "memory",
    _HR_TYPES + "3": "swap",
    _HR_TYPES + "4": "volume",
    _HR_TYPES + "9": "volume",
    _HR_TYPES + "10": "volume",
}
#: IANA private enterprise numbers of common storage and network vendors.
VENDORS = {
    "9": "Cisco", "11": "HPE", "311": "Microsoft", "674": "Dell", "789": "NetApp", "1139": "Dell EMC",
    "1981": "Dell EMC", "2011": "Huawei", "2021": "net-snmp", "2636": "Juniper", "6574": "Synology",
    "8072": "net-snmp", "12356": "Fortinet", "24681": "QNAP", "25461": "Palo Alto Networks",
    "30065": "Arista", "40482": "Pure Storage",
}  # fmt: skip
_VERSION_PATTERN = re.compile(r"\b(?:Release|Version|version)\s+v?([0-9][\w.()-]*)")

#: ``{column number: {row index: value}}`` of one SNMP table.
Table = dict[int, dict[str, Any]]


@dataclass
class SnmpPlatform:
    """The ``snmp`` platform: served by the ``snmp`` collector; the inventory gives the class."""

    name: str = "snmp"
    collector: str = "snmp"
    default_device_class: DeviceClass | None = None


SNMP_PLATFORM = SnmpPlatform()


# ---- tables -> snapshot --------------------------------------------------------------------


def _boot_time(uptime_ticks: Any, now: datetime) -> datetime | None:
    if uptime_ticks is None:
        return None
    boot = now - timedelta(seconds=int(uptime_ticks) / 100)
    return (boot + timedelta(seconds=30)).replace(second=0, microsecond=0)


def _facts(system: dict[str, Any], now: datetime) -> Facts:
    object_id = str(system.get("sys_object_id") or "")
    enterprise = object_id.split(".")[6] if object_id.startswith("1.3.6.1.4.1.") else ""
    version = _VERSION_PATTERN.search(str(system.get("sys_descr") or ""))
    return Facts(
        hostname=_text(system.get("sys_name")),
        vendor=VENDORS.get(enterprise),
        os_version=version.group(1) if version else None,
        boot_time=_boot_time(system.get("sys_uptime"), now),
    )


def _resources(storage: Table) -> list[Resource]:
    resources = []
    for index, type_oid in sorted(storage.get(2, {}).items(), key=lambda item: int(item[0])):
        kind = STORAGE_KINDS.get(str(type_oid))
        units = int(storage.get(4, {}).get(index) or 0)
        size, used = storage.get(5, {}).get(index), storage.get(6, {}).get(index)
        if kind is None or not units or size is None:
            continue
        name = _text(storage.get(3, {}).get(index)) or f"storage {index}"
        resources.append(
            Resource(kind=kind, name=name, capacity=int(size) * units, used=None if used is None else int(used) * units)
        )
    return resources


def _mac(value: Any) -> str | None:
    raw = bytes(value) if isinstance(value, bytes | bytearray) else b""
    return ":".join(f"{b:02x}" for b in raw) if len(raw) == 6 else None


def _speed(if_table: Table, ifx_table: Table, index: str) -> float | None:
    high = ifx_table.get(15, {}).get(index)
    if high:
        return float(high)
    speed = if_table.get(5, {}).get(index)
    return None if speed is None else int(speed) / 1_000_000


def _text(value: Any) -> str | None:
    """An SNMP string as text; ``None`` when absent or empty."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", errors="replace")
    return str(value) if value not in (None, "") else None


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _interface(if_table: Table, ifx_table: Table, index: str) -> Interface:
    def col(table: Table, number: int) -> Any:
        return table.get(number, {}).get(index)

    name = _text(col(ifx_table, 1)) or _text(col(if_table, 2)) or f"ifIndex {index}"
    admin, oper = col(if_table, 7), col(if_table, 8)
    return Interface(
        name=name,
        admin_up=None if admin is None else int(admin) == 1,
        oper_up=None if oper is None else int(oper) == 1,
        description=_text(col(ifx_table, 18)),
        mac=_mac(col(if_table, 6)),
        speed_mbps=_speed(if_table, ifx_table, index),
        mtu=_optional_int(col(if_table, 4)),
        in_errors=_optional_int(col(if_table, 14)),
        out_errors=_optional_int(col(if_table, 20)),
    )


def snapshot_from_tables(
    host: Host, system: dict[str, Any], storage: Table, if_table: Table, ifx_table: Table, now: datetime
) -> Snapshot:
    """Build ``host``'s snapshot from the system group values and the walked tables."""
    indexes = sorted(if_table.get(2, {}) or if_table.get(1, {}), key=int)
    return Snapshot(
        host=host.name,
        device_class=host.device_class,
        platform=SNMP_PLATFORM.name,
        collected_at=now,
        facts=_facts(system, now),
        interfaces=[_interface(if_table, ifx_table, index) for index in indexes],
        resources=_resources(storage),
        extra={
            "sys_descr": system.get("sys_descr"),
            "sys_object_id": system.get("sys_object_id"),
            "sys_location": system.get("sys_location"),
            "snmp_version": _version(host),
        },
    )


# ---- SNMP transport ------------------------------------------------------------------------


def _version(host: Host) -> str:
    return "1" if str(host.vars.get("patrol_snmp_version", "2c")).strip().lower() in ("1", "v1") else "2c"


def _plain(value: Any) -> Any:
    """pysnmp value -> int, str, bytes (MAC-like octets) or dotted OID string."""
    name = type(value).__name__
    if name in ("NoSuchObject", "NoSuchInstance", "EndOfMibView", "Null"):
        return None
    if name == "ObjectIdentifier":
        return str(value)
    if name in ("OctetString", "DisplayString", "PhysAddress"):
        raw = bytes(value.asOctets())
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw
        return text if text.isprintable() else raw
    return int(value)


class _Session:
    """One host's SNMP target; raises :class:`CollectTimeout` when the agent is silent."""

    def __init__(self, api: Any, engine: Any, host: Host) -> None:
        self.api, self.engine, self.host = api, engine, host
        self.where = f"{host.address}:{host.port or 161}"
        community = host.credentials.snmp_community
        if community is None:
            raise CollectError(
                host.name, "no SNMP community: set patrol_snmp_community (vault-encrypted) for this host"
            )
        model = 0 if _version(host) == "1" else 1
        self.auth = api.CommunityData(community.get_secret_value(), mpModel=model)
        self.context = api.ContextData()
        self.target: Any = None

    async def open(self) -> None:
        timeout = self.host.connect_timeout
        self.target = await self.api.UdpTransportTarget.create(
            (self.host.address, self.host.port or 161), timeout=timeout / 2, retries=1
        )

    def _check(self, indication: Any, status: Any) -> None:
        if indication is not None:
            text = str(indication)
            if "timeout" in text.lower() or "no snmp response" in text.lower():
                raise CollectTimeout(
                    self.host.name,
                    f"no SNMP answer from {self.where} within {self.host.connect_timeout:g}s — "
                    "wrong community, wrong version, or the agent is down",
                )
            raise CollectError(self.host.name, f"SNMP error from {self.where}: {text}")
        if status is not None and int(status) != 0:
            raise CollectError(self.host.name, f"SNMP error status from {self.where}: {status.prettyPrint()}")

    async def get(self, oids: dict[str, str]) -> dict[str, Any]:
        types = [self.api.ObjectType(self.api.ObjectIdentity(oid)) for oid in oids.values()]
        indication, status, _index, binds = await self.api.get_cmd(
            self.engine, self.auth, self.target, self.context, *types, lookupMib=False
        )
        if status is not None and int(status) != 0 and _version(self.host) == "1":
            return await self._get_one_by_one(oids)  # v1 fails a whole GET on one missing OID
        self._check(indication, status)
        values = {str(oid): _plain(value) for oid, value in binds}
        return {key: values.get(oid) for key, oid in oids.items()}

    async def _get_one_by_one(self, oids: dict[str, str]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, oid in oids.items():
            obj = self.api.ObjectType(self.api.ObjectIdentity(oid))
            indication, status, _i, binds = await self.api.get_cmd(
                self.engine, self.auth, self.target, self.context, obj, lookupMib=False
            )
            self._check(indication, None)
            result[key] = _plain(binds[0][1]) if binds and not int(status or 0) else None
        return result

    async def walk(self, root: str) -> Table:
        """Every value under ``root`` as ``{column: {row index: value}}``."""
        table: Table = defaultdict(dict)
        start = self.api.ObjectType(self.api.ObjectIdentity(root))
        if _version(self.host) == "1":
            rows = self.api.walk_cmd(self.engine, self.auth, self.target, self.context, start,
                                     lexicographicMode=False, lookupMib=False)  # fmt: skip
        else:
            rows = self.api.bulk_walk_cmd(self.engine, self.auth, self.target, self.context, 0, 25, start,
                                          lexicographicMode=False, lookupMib=False)  # fmt: skip
        async for indication, status, _index, binds in rows:
            self._check(indication, None if _version(self.host) == "1" else status)
            for oid, value in binds:
                column, _, index = str(oid)[len(root) + 1 :].partition(".")
                if column.isdigit() and index:
                    table[int(column)][index] = _plain(value)
        return dict(table)


class _NoMibCompiler:
    """Stands in for pysmi's MIB compiler: patrol sends numeric OIDs only, so no MIB is ever
    compiled, and building pysmi's parser would cost ~1.6 CPU-s per engine."""

    def compile(self, *names: str, **_options: Any) -> dict[str, str]:
        return dict.fromkeys(names, "missing")


def new_engine(api: Any) -> Any:
    """A pysnmp ``SnmpEngine`` whose MIB view never builds the pysmi compiler."""
    import pysnmp.smi
    from pysnmp.smi import builder, view

    engine = api.SnmpEngine()
    mib_builder = builder.MibBuilder()
    mib_builder.set_mib_compiler(_NoMibCompiler(), str(Path(pysnmp.smi.__file__).parent / "mibs"))
    engine.cache["mibViewController"] = view.MibViewController(mib_builder)
    return engine


# ---- the collector -------------------------------------------------------------------------


async def _collect_host(api: Any, engine: Any, host: Host) -> Snapshot:
    session = _Session(api, engine, host)
    await session.open()
    system = await session.get(SYSTEM_OIDS)
    storage = await session.walk(HR_STORAGE_ENTRY)
    if_table = await session.walk(IF_ENTRY)
    ifx_table = await session.walk(IFX_ENTRY) if if_table else {}
    return snapshot_from_tables(host, system, storage, if_table, ifx_table, utcnow())


class SnmpCollector:
    """Collects storage (and other SNMP-only) devices; see the module docstring for the shape."""

    name: ClassVar[str] = "snmp"

    def collect(self, hosts: Sequence[Host], ctx: CollectContext, emit: Emit) -> None:
        """Collect every host concurrently (at most ``ctx.forks`` at once); one result each."""
        if hosts:
            asyncio.run(self._collect_all(hosts, ctx, emit))

    async def _collect_all(self, hosts: Sequence[Host], ctx: CollectContext, emit: Emit) -> None:
        from pysnmp.hlapi.v3arch import asyncio as api  # heavy import, only when SNMP hosts exist

        engine = new_engine(api)
        limit = asyncio.Semaphore(max(1, ctx.forks))
        try:
            await asyncio.gather(*(self._one(api, engine, host, ctx, emit, limit) for host in hosts))
        finally:
            engine.close_dispatcher()

    async def _one(
        self, api: Any, engine: Any, host: Host, ctx: CollectContext, emit: Emit, limit: asyncio.Semaphore
    ) -> None:
        async with limit:
            started = utcnow()
            if ctx.cancel.is_set():
                emit(self._aborted(host, started))
                return
            try:
                snapshot = await _collect_host(api, engine, host)
            except Exception as exc:  # one host's failure is data, never the batch's end
                log.info("snmp %s: %s", host.name, type(exc).__name__)
                emit(failure_result(host, self.name, exc, started))
                return
            emit(HostResult(host=host.name, status=HostStatus.OK, collector=self.name, snapshot=snapshot,
                            started_at=started, finished_at=utcnow()))  # fmt: skip

    def _aborted(self, host: Host, started: datetime) -> HostResult:
        return HostResult(host=host.name, status=HostStatus.ABORTED, collector=self.name,
                          error="run cancelled before the host was collected", started_at=started,
                          finished_at=utcnow())  # fmt: skip
