"""Typed rows of one run's metrics and the Parquet (Arrow) schema of each metric table.

A :class:`RunMetrics` is what the metric store writes for one finished run (see
:mod:`patrol.history.metricstore`); it is built from the SQL store's rows of the run (already
redacted) by :func:`patrol.history.metricstore.collect_run`, or directly by the benchmark.
``run_id`` and ``at`` (the run's time, naive UTC) are added to every table when it is written::

    runs      run_id, at, status, hosts, inspected
    hosts     run_id, at, host, status, domain, platform, os_version, groups (list)
    checks    run_id, at, host, domain, check_id, object, outcome
    findings  run_id, at, host, domain, check_id, object, severity
    resources run_id, at, host, kind, name, used, capacity, used_percent, unit

String columns with few distinct values are dictionary-encoded (Arrow ``dictionary<int32, string>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import pyarrow as pa

__all__ = ["SCHEMAS", "TABLES", "CheckRow", "FindingRow", "HostMetric", "ResourceRow", "RunMetrics", "RunRow",
           "arrow_tables", "naive_utc"]  # fmt: skip


class RunRow(NamedTuple):
    run_id: str
    at: datetime
    status: str
    hosts: int
    inspected: int


class HostMetric(NamedTuple):
    host: str
    status: str
    domain: str | None
    platform: str | None
    os_version: str | None
    groups: tuple[str, ...]


class CheckRow(NamedTuple):
    host: str
    domain: str | None
    check_id: str
    object: str
    outcome: str


class FindingRow(NamedTuple):
    host: str
    domain: str
    check_id: str
    object: str
    severity: str


class ResourceRow(NamedTuple):
    host: str
    kind: str
    name: str
    used: float | None
    capacity: float | None
    used_percent: float | None
    unit: str


@dataclass
class RunMetrics:
    """Everything the metric store keeps of one run."""

    run: RunRow
    hosts: list[HostMetric] = field(default_factory=list)
    checks: list[CheckRow] = field(default_factory=list)
    findings: list[FindingRow] = field(default_factory=list)
    resources: list[ResourceRow] = field(default_factory=list)


_DICT = pa.dictionary(pa.int32(), pa.string())
_TS = pa.timestamp("us")

SCHEMAS: dict[str, pa.Schema] = {
    "runs": pa.schema([("run_id", pa.string()), ("at", _TS), ("status", pa.string()), ("hosts", pa.int32()),
                       ("inspected", pa.int32())]),
    "hosts": pa.schema([("run_id", _DICT), ("at", _TS), ("host", _DICT), ("status", _DICT), ("domain", _DICT),
                        ("platform", _DICT), ("os_version", _DICT), ("groups", pa.list_(pa.string()))]),
    "checks": pa.schema([("run_id", _DICT), ("at", _TS), ("host", _DICT), ("domain", _DICT), ("check_id", _DICT),
                         ("object", _DICT), ("outcome", _DICT)]),
    "findings": pa.schema([("run_id", _DICT), ("at", _TS), ("host", _DICT), ("domain", _DICT),
                           ("check_id", _DICT), ("object", _DICT), ("severity", _DICT)]),
    "resources": pa.schema([("run_id", _DICT), ("at", _TS), ("host", _DICT), ("kind", _DICT), ("name", _DICT),
                            ("used", pa.float64()), ("capacity", pa.float64()), ("used_percent", pa.float64()),
                            ("unit", _DICT)]),
}  # fmt: skip
#: Written in this order: ``runs`` last, so a reader never sees a run whose other tables are missing.
TABLES = ("hosts", "checks", "findings", "resources", "runs")


def naive_utc(value: datetime) -> datetime:
    """The naive UTC wall time of ``value`` (a naive value is taken as UTC already)."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _table(name: str, rows: Sequence[tuple[Any, ...]], run_id: str, at: datetime) -> pa.Table:
    schema = SCHEMAS[name]
    n = len(rows)
    columns: list[pa.Array] = []
    fields = [f.name for f in schema][2:]
    values = list(zip(*rows, strict=True)) if rows else [() for _ in fields]
    columns.append(pa.array([run_id] * n, pa.string()))
    columns.append(pa.array([at] * n, _TS))
    for f, column in zip(fields, values, strict=True):
        kind = schema.field(f).type
        if pa.types.is_dictionary(kind):
            columns.append(pa.array(column, pa.string()).dictionary_encode())
        elif pa.types.is_list(kind):
            columns.append(pa.array([list(v) for v in column], kind))
        else:
            columns.append(pa.array(column, kind))
    if pa.types.is_dictionary(schema.field("run_id").type):
        columns[0] = columns[0].dictionary_encode()
    return pa.Table.from_arrays(columns, schema=schema)


def arrow_tables(metrics: RunMetrics) -> dict[str, pa.Table]:
    """One Arrow table per metric table (``TABLES`` order)."""
    run = metrics.run
    at = naive_utc(run.at)
    rows: dict[str, Sequence[tuple[Any, ...]]] = {
        "hosts": metrics.hosts, "checks": metrics.checks, "findings": metrics.findings,
        "resources": metrics.resources, "runs": [run[2:]],
    }  # fmt: skip
    return {name: _table(name, rows[name], run.run_id, at) for name in TABLES}
