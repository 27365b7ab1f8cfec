"""Time travel: one host's config and state between any two points (runs, dates, its baseline).

A point reference is a run (id, unique prefix or ``latest``), a date or time in UTC
(``2026-11-26`` = the end of that day, ``2026-11-26T14:30``), or ``baseline`` (the host's
effective snapshot baseline). A date means "the newest snapshot collected at or before it".

::

    before = resolve_point(store, "core-sw1", "2026-11-20")
    after = resolve_point(store, "core-sw1", "latest")
    report = diff_points(DriftData.load(), before, after)
    report.config    # [DiffItem(...)], report.state  # [StateChange(...)]
    report.rows      # side by side: [Row(depth=0, left="interface Gi2", right="interface Gi2", status="same"), ...]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from patrol.drift.baselines import effective
from patrol.drift.confdiff import DiffItem, Ignored, Node, diff_trees, secret_changed
from patrol.drift.engine import DriftData
from patrol.drift.state import StateChange, diff_state, state_fields
from patrol.errors import NotFoundError
from patrol.models import Snapshot
from patrol.redact import mask_markers
from patrol.store import Store
from patrol.store import schema as t

__all__ = ["DiffReport", "Point", "Row", "diff_points", "parse_when", "point_at", "resolve_point", "side_by_side"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?(Z|[+-]\d{2}:?\d{2})?$")


@dataclass(frozen=True)
class Point:
    """One side of a diff: where it comes from and what it holds."""

    ref: str
    label: str
    host: str
    platform: str
    device_class: str
    config: str | None
    state: dict[str, Any] | None
    at: datetime | None = None
    run_id: str | None = None


@dataclass(frozen=True)
class Row:
    """One line of the side-by-side view; ``left``/``right`` None where that side has no line."""

    depth: int
    left: str | None
    right: str | None
    status: str  # same | added | removed | secret
    left_line: int | None = None
    right_line: int | None = None


@dataclass
class DiffReport:
    host: str
    before: Point
    after: Point
    config: list[DiffItem] = field(default_factory=list)
    state: list[StateChange] = field(default_factory=list)
    ignored_before: list[Ignored] = field(default_factory=list)
    ignored_after: list[Ignored] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


def parse_when(ref: str) -> datetime | None:
    """A UTC datetime for a date/time reference (date only = end of that day), else None."""
    if not _DATE.match(ref.strip()):
        return None
    try:
        value = datetime.fromisoformat(ref.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if len(ref.strip()) == 10:
        value = datetime.combine(value.date(), time.max)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _point(ref: str, label: str, snapshot: Snapshot, run_id: str | None) -> Point:
    return Point(
        ref, label, snapshot.host, snapshot.platform, snapshot.device_class.value, snapshot.config,
        state_fields(snapshot), snapshot.collected_at, run_id,
    )  # fmt: skip


def _at_date(store: Store, host: str, ref: str, when: datetime) -> Point:
    sn = t.snapshots.c
    with store.read() as conn:
        row = conn.execute(
            select(sn.run_id, sn.document)
            .where(sn.host == host, sn.collected_at <= when + timedelta(microseconds=1))
            .order_by(sn.collected_at.desc())
            .limit(1)
        ).first()
    if row is None:
        raise NotFoundError("snapshot of host", host, f"none collected at or before {when:%Y-%m-%d %H:%M} UTC")
    snapshot = Snapshot.model_validate(row.document)
    return _point(ref, f"run {row.run_id} ({snapshot.collected_at:%Y-%m-%d %H:%M} UTC)", snapshot, row.run_id)


def _first_between(store: Store, host: str, ref: str, start: datetime, end: datetime) -> Point | None:
    sn = t.snapshots.c
    with store.read() as conn:
        row = conn.execute(
            select(sn.run_id, sn.document)
            .where(sn.host == host, sn.collected_at >= start, sn.collected_at <= end)
            .order_by(sn.collected_at)
            .limit(1)
        ).first()
    if row is None:
        return None
    snapshot = Snapshot.model_validate(row.document)
    return _point(ref, f"run {row.run_id} ({snapshot.collected_at:%Y-%m-%d %H:%M} UTC)", snapshot, row.run_id)


def point_at(store: Store, host: str, ref: str, when: datetime, day_end: datetime | None = None) -> Point:
    """The host's newest snapshot at or before ``when``; with ``day_end`` (a "from" day), the first one
    collected between ``when`` and ``day_end`` when there is one (a run on that day), else the newest before."""
    if day_end is not None and (first := _first_between(store, host, ref, when, day_end)) is not None:
        return first
    return _at_date(store, host, ref, when)


def _baseline(store: Store, host: str, ref: str) -> Point:
    groups: tuple[str, ...] = ()
    hr = t.host_results.c
    with store.read() as conn:
        found = conn.execute(select(hr.groups).where(hr.host == host).order_by(hr.started_at.desc()).limit(1)).first()
    if found is not None:
        groups = tuple(found.groups or ())
    baseline = effective(store, host, groups, "snapshot")
    if baseline is None or (baseline.config is None and baseline.state is None):
        raise NotFoundError("baseline of host", host, "approve one with `patrol baseline approve`")
    return Point(
        ref, f"baseline {baseline.label}", host, baseline.platform or "", baseline.device_class or "",
        baseline.config, baseline.state, baseline.approved_at, baseline.source_run,
    )  # fmt: skip


def resolve_point(store: Store, host: str, ref: str) -> Point:
    """The point ``ref`` names for ``host`` (see the module docstring); :class:`NotFoundError` otherwise."""
    if ref.strip().lower() == "baseline":
        return _baseline(store, host, ref)
    when = parse_when(ref)
    if when is not None:
        return _at_date(store, host, ref, when)
    run_id = store.resolve_run(ref)
    snapshot = store.snapshot(run_id, host)
    if snapshot is None:
        raise NotFoundError("snapshot of host", host, f"run {run_id} did not inspect it (see `patrol show {run_id}`)")
    return _point(ref, f"run {run_id} ({snapshot.collected_at:%Y-%m-%d %H:%M} UTC)", snapshot, run_id)


def diff_points(data: DriftData, before: Point, after: Point) -> DiffReport:
    """Config items, state changes, ignored lines and the side-by-side rows between two points."""
    platform, device_class = after.platform or before.platform, after.device_class or before.device_class
    old = data.parse(before.config or "", platform, device_class)
    new = data.parse(after.config or "", platform, device_class)
    report = DiffReport(after.host, before, after, ignored_before=old.ignored, ignored_after=new.ignored)
    report.config = diff_trees(old, new, data.rules.ordering)
    report.rows = side_by_side(old.root, new.root)
    if before.state is not None and after.state is not None:
        noise = data.noise.for_host(platform, device_class, "state")
        report.state, hidden = diff_state(before.state, after.state, noise)
        report.ignored_after.extend(hidden)
    return report


def _subtree(node: Node, depth: int, status: str) -> list[Row]:
    rows = []
    for offset, child in [(0, node), *((d + 1, c) for d, c in node.walk())]:
        text = mask_markers(child.text)
        left, right = (text, None) if status == "removed" else (None, text)
        lines = (child.line, None) if status == "removed" else (None, child.line)
        rows.append(Row(depth + offset, left, right, status, *lines))
    return rows


def _pair(old: Node, new: Node, depth: int) -> list[Row]:
    status = "secret" if old.text != new.text and secret_changed(old.text, new.text) else "same"
    rows = [Row(depth, mask_markers(old.text), mask_markers(new.text), status, old.line, new.line)]
    if old.children or new.children:
        rows.extend(side_by_side(old, new, depth + 1))
    return rows


def side_by_side(old: Node, new: Node, depth: int = 0) -> list[Row]:
    """Both trees merged in the newer order; removed lines stay where they were."""
    before = {c.key: c for c in old.children}
    after = {c.key: c for c in new.children}
    position = {c.key: i for i, c in enumerate(old.children)}
    rows: list[Row] = []
    next_old = 0
    for node in new.children:
        previous = before.get(node.key)
        if previous is None:
            rows.extend(_subtree(node, depth, "added"))
            continue
        while next_old <= position[node.key]:
            candidate = old.children[next_old]
            if candidate.key not in after:
                rows.extend(_subtree(candidate, depth, "removed"))
            next_old += 1
        rows.extend(_pair(previous, node, depth))
    for candidate in old.children[next_old:]:
        if candidate.key not in after:
            rows.extend(_subtree(candidate, depth, "removed"))
    return rows
