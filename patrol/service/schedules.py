"""Schedules: stored in the database, declarable in ``inspect/schedules.yml`` (which wins on start-up).

A schedule, as stored and as returned by the API (``Schedule.public()``)::

    {"name": "daily-net", "cron": "0 2 * * *", "timezone": "Asia/Shanghai", "jitter": 60,
     "limit": "network", "inventory": ["/srv/inventory"], "profiles": ["inspect/"], "forks": null,
     "report": {"format": "html", "lang": "zh", "recipients": ["noc@example.net"]},
     "paused": false, "source": "cli", "next_due": "2026-11-26T18:00:37+00:00",
     "last_run_id": "20261125-180012-9f3a", "last_status": "completed"}

``source`` says who made it: ``cli``, ``file`` (``inspect/schedules.yml``) or ``api`` (the REST
API: inventories and profiles confined to the configured roots, run with the server's vault
secret — :mod:`patrol.service.roots`).

``cron`` is a 5-field expression (minute hour day month weekday), or 6 fields whose last one is
seconds; it is evaluated in ``timezone`` (an IANA name) by croniter, so "0 2 * * *" in
Asia/Shanghai fires at 02:00 local time whatever the server's zone. ``jitter`` (seconds) delays
each firing by a random 0..jitter so many schedules do not hit the fleet at the same second.

Two kinds (``Schedule.kind``): an **inspection** schedule runs ``patrol run`` on its inventory and
writes the run report (``report.format``: html, md, json, junit or xlsx) for its recipients; a
**report** schedule (``report: {period: monthly, format: html|md|xlsx|docx, ...}``, no inventory
needed) only delivers the monthly service report of the month before its firing (a firing on
2026-12-01 in its zone delivers 2026-11) through :func:`patrol.history.delivery.deliver_report`,
on the delivery timer of ``patrol serve`` (:mod:`patrol.service.deliveries`), separate from the
inspection scheduler and the SLA timer. ``report.recipients`` name targets of the service file's
``notify:`` list; :func:`check_recipients` refuses unknown ones at ``schedule add``, over the API
and when ``patrol serve`` reads ``inspect/schedules.yml``.

Misfire policy (runs missed while no ``patrol serve`` was up): missed firings are coalesced into
one; it runs at start-up when it is late by at most :data:`MISFIRE_GRACE` (1 hour), otherwise it is
skipped (``last_status`` = "missed") and the schedule waits for its next regular firing. The same
holds for report schedules.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from croniter import CroniterBadCronError, croniter
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Row

from patrol.errors import NotFoundError
from patrol.i18n import LANG_CHOICES
from patrol.models import utcnow
from patrol.paths import PROFILES_DIR
from patrol.service.errors import ScheduleError
from patrol.store import Store
from patrol.store.schema_service import schedules
from patrol.tickets import ServiceContract

__all__ = [
    "MISFIRE_GRACE",
    "SCHEDULES_FILE",
    "ReportDelivery",
    "Schedule",
    "add_schedule",
    "check_recipients",
    "get_schedule",
    "list_schedules",
    "load_declared",
    "next_fire",
    "previous_month",
    "remove_schedule",
    "schedule_from_row",
    "set_paused",
    "sync_declared",
    "validate",
]

MISFIRE_GRACE = timedelta(hours=1)
SCHEDULES_FILE = PROFILES_DIR / "schedules.yml"
FORMATS, LANGS = ("html", "md", "json", "junit", "xlsx"), LANG_CHOICES
#: the monthly report's formats (:data:`patrol.history.period_render.FORMATS`, not imported: no openpyxl here)
PERIOD_FORMATS = ("html", "md", "xlsx", "docx")
PERIODS = ("monthly",)


@dataclass(frozen=True)
class ReportDelivery:
    """Which report a scheduled run writes and who receives it."""

    format: str = "html"
    lang: str = "en"
    recipients: tuple[str, ...] = ()
    period: str | None = None  # "monthly": a report schedule (no inspection)


@dataclass(frozen=True)
class Schedule:
    name: str
    cron: str
    inventory: tuple[str, ...]
    timezone: str = "UTC"
    jitter: int = 0
    limit: str | None = None
    profiles: tuple[str, ...] = (str(PROFILES_DIR),)
    forks: int | None = None
    vault_password_file: str | None = None
    report: ReportDelivery = field(default_factory=ReportDelivery)
    paused: bool = False
    source: str = "cli"
    next_due: datetime | None = None
    last_run_id: str | None = None
    last_status: str | None = None
    last_error: str | None = None

    @property
    def kind(self) -> str:
        """``report`` when the schedule only delivers a period report, else ``inspection``."""
        return "report" if self.report.period else "inspection"

    def public(self) -> dict[str, Any]:
        data = asdict(self) | {"kind": self.kind}
        data["report"]["recipients"] = list(self.report.recipients)
        data["next_due"] = self.next_due.isoformat() if self.next_due else None
        return data


def _zone(schedule: str, name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(schedule, f"unknown time zone {name!r}: use an IANA name like 'Asia/Shanghai' or 'UTC'",
                            key="timezone") from exc  # fmt: skip


def validate(s: Schedule) -> Schedule:
    """Raise :class:`ScheduleError` naming the key and the fix; returns ``s``."""
    if not s.name or not s.name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ScheduleError(s.name, "a name is letters, digits, '-', '_' or '.'", key="name")
    _zone(s.name, s.timezone)
    fields = s.cron.split()
    if len(fields) not in (5, 6) or not croniter.is_valid(s.cron):
        raise ScheduleError(s.name, f"invalid cron expression {s.cron!r}: expected 5 fields 'minute hour day "
                            "month weekday' (or a 6th for seconds), e.g. '0 2 * * *'", key="cron")  # fmt: skip
    if s.jitter < 0 or s.jitter > 3600:
        raise ScheduleError(s.name, f"jitter {s.jitter} out of range: 0..3600 seconds", key="jitter")
    _validate_report(s)
    return s


def _validate_report(s: Schedule) -> None:
    r = s.report
    if r.period is not None and r.period not in PERIODS:
        raise ScheduleError(s.name, f"report period {r.period!r}: the only period is 'monthly'", key="report.period")
    if not r.period and not s.inventory:
        raise ScheduleError(s.name, "needs an inventory (-i PATH), or report period 'monthly' for a report-only "
                            "schedule", key="inventory")  # fmt: skip
    formats = PERIOD_FORMATS if r.period else FORMATS
    if r.format not in formats or r.lang not in LANGS:
        what = "a monthly report" if r.period else "a run report"
        raise ScheduleError(s.name, f"report format {r.format!r} / lang {r.lang!r}: {what} is one of "
                            f"{', '.join(formats)} in {' or '.join(LANGS)}", key="report.format")  # fmt: skip


def check_recipients(s: Schedule, contract: ServiceContract) -> Schedule:
    """Refuse report recipients that are not targets of the service file's ``notify:`` list."""
    known = sorted(t.name for t in contract.notify)
    if unknown := sorted(set(s.report.recipients) - set(known)):
        raise ScheduleError(s.name, f"unknown report recipient(s) {', '.join(unknown)}: not a target in the 'notify:' "
                            f"list of {contract.source}; known: {', '.join(known) or 'none (add a target there)'}",
                            key="report.recipients")  # fmt: skip
    return s


def previous_month(s: Schedule, fired: datetime) -> str:
    """``YYYY-MM`` of the month before ``fired`` in the schedule's zone (what a monthly firing reports)."""
    local = fired.astimezone(_zone(s.name, s.timezone))
    return (local.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def next_fire(s: Schedule, after: datetime, rng: random.Random | None = None) -> datetime:
    """The next firing strictly after ``after`` (UTC), cron evaluated in the schedule's zone, plus jitter."""
    local = after.astimezone(_zone(s.name, s.timezone))
    try:
        fire: datetime = croniter(s.cron, local).get_next(datetime)
    except CroniterBadCronError as exc:
        raise ScheduleError(s.name, f"invalid cron expression {s.cron!r}: {exc}", key="cron") from exc
    jitter = (rng or random).uniform(0, s.jitter) if s.jitter else 0.0
    return fire.astimezone(after.tzinfo) + timedelta(seconds=jitter)


def schedule_from_row(r: Row[Any]) -> Schedule:
    report = r.report or {}
    return Schedule(
        name=r.name, cron=r.cron, timezone=r.timezone, jitter=r.jitter, limit=r.limit_expr,
        inventory=tuple(r.inventory), profiles=tuple(r.profiles), forks=r.forks,
        vault_password_file=r.vault_password_file,
        report=ReportDelivery(report.get("format", "html"), report.get("lang", "en"),
                              tuple(report.get("recipients", ())), report.get("period")),
        paused=bool(r.paused), source=r.source, next_due=r.next_due, last_run_id=r.last_run_id,
        last_status=r.last_status, last_error=r.last_error,
    )  # fmt: skip


def _values(s: Schedule, now: datetime) -> dict[str, Any]:
    return {
        "cron": s.cron, "timezone": s.timezone, "jitter": s.jitter, "limit_expr": s.limit,
        "inventory": list(s.inventory), "profiles": list(s.profiles), "forks": s.forks,
        "vault_password_file": s.vault_password_file, "source": s.source, "updated_at": now,
        "report": {"format": s.report.format, "lang": s.report.lang, "recipients": list(s.report.recipients),
                   "period": s.report.period},
    }  # fmt: skip


def add_schedule(store: Store, s: Schedule, now: datetime | None = None,
                 contract: ServiceContract | None = None) -> Schedule:  # fmt: skip
    """Store a new schedule; :class:`ScheduleError` if it is invalid, the name exists or (given the
    ``contract``) a recipient is unknown — nothing changes then."""
    now = now or utcnow()
    validate(s)
    if contract is not None:
        check_recipients(s, contract)
    with store.write() as conn:
        if conn.execute(select(schedules.c.name).where(schedules.c.name == s.name)).first():
            raise ScheduleError(s.name, "exists already: pick another name or `patrol schedule remove` it first")
        conn.execute(insert(schedules).values(name=s.name, paused=s.paused, created_at=now,
                                              next_due=next_fire(s, now), **_values(s, now)))  # fmt: skip
        return _get(conn, s.name)


def _get(conn: Connection, name: str) -> Schedule:
    row = conn.execute(select(schedules).where(schedules.c.name == name)).first()
    if row is None:
        raise NotFoundError("schedule", name, "`patrol schedule list` shows the schedules")
    return schedule_from_row(row)


def get_schedule(store: Store, name: str) -> Schedule:
    with store.read() as conn:
        return _get(conn, name)


def list_schedules(store: Store) -> list[Schedule]:
    with store.read() as conn:
        return [schedule_from_row(r) for r in conn.execute(select(schedules).order_by(schedules.c.name))]


def set_paused(store: Store, name: str, paused: bool, now: datetime | None = None) -> Schedule:
    """Pause or resume; resuming computes the next firing from now (paused firings are not caught up)."""
    now = now or utcnow()
    with store.write() as conn:
        s = _get(conn, name)
        values: dict[str, Any] = {"paused": paused, "updated_at": now}
        if not paused:
            values["next_due"] = next_fire(s, now)
        conn.execute(update(schedules).where(schedules.c.name == name).values(values))
        return _get(conn, name)


def remove_schedule(store: Store, name: str) -> None:
    with store.write() as conn:
        _get(conn, name)
        conn.execute(delete(schedules).where(schedules.c.name == name))


# -- inspect/schedules.yml ------------------------------------------------------------------


def _declared(name: str, spec: Any, source: str, base: Path) -> Schedule:
    if not isinstance(spec, dict):
        raise ScheduleError(name, "expected a mapping with at least 'cron' and 'inventory'", source=source)
    known = {"cron", "timezone", "jitter", "limit", "inventory", "profiles", "forks", "vault_password_file",
             "report", "paused"}  # fmt: skip
    if unknown := sorted(set(spec) - known):
        raise ScheduleError(name, f"unknown key(s) {unknown}; known: {sorted(known)}", key=unknown[0], source=source)
    paths = {k: tuple(str((base / p).resolve()) for p in _list(spec.get(k) or ())) for k in ("inventory", "profiles")}
    report = spec.get("report") or {}
    try:
        s = Schedule(
            name=name, cron=str(spec.get("cron", "")), timezone=str(spec.get("timezone", "UTC")),
            jitter=int(spec.get("jitter", 0)), limit=spec.get("limit"), inventory=paths["inventory"],
            profiles=paths["profiles"] or (str(PROFILES_DIR),), forks=spec.get("forks"),
            vault_password_file=spec.get("vault_password_file"), paused=bool(spec.get("paused", False)),
            report=ReportDelivery(str(report.get("format", "html")), str(report.get("lang", "en")),
                                  tuple(_list(report.get("recipients", ()))),
                                  str(report["period"]) if report.get("period") else None),
            source="file",
        )  # fmt: skip
        return validate(s)
    except ScheduleError as exc:
        raise ScheduleError(name, exc.detail, key=exc.key, source=source) from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise ScheduleError(name, f"bad value: {exc}", source=source) from exc


def _list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def load_declared(path: Path) -> list[Schedule]:
    """Parse a schedules file ``{schedules: {NAME: {cron:, inventory:, ...}}}``; [] when absent."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ScheduleError("-", f"not valid YAML: {exc}", source=str(path)) from exc
    entries = data.get("schedules") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise ScheduleError("-", "expected a top-level mapping 'schedules: {NAME: {...}}'", source=str(path))
    return [_declared(str(name), spec, str(path), path.parent.parent) for name, spec in entries.items()]


def _check_declared(declared: list[Schedule], contract: ServiceContract, path: Path) -> None:
    for s in declared:
        try:
            check_recipients(s, contract)
        except ScheduleError as exc:
            raise ScheduleError(s.name, exc.detail, key=exc.key, source=str(path)) from exc


def sync_declared(store: Store, path: Path = SCHEDULES_FILE, now: datetime | None = None,
                  contract: ServiceContract | None = None) -> list[str]:  # fmt: skip
    """Write the file's schedules over the stored ones of the same name (the file wins); their names.

    Every entry is parsed (and its recipients checked against ``contract``) before anything is written.
    """
    now = now or utcnow()
    declared = load_declared(path)
    if contract is not None:
        _check_declared(declared, contract, path)
    with store.write() as conn:
        for s in declared:
            row = conn.execute(select(schedules).where(schedules.c.name == s.name)).first()
            values = _values(s, now) | {"paused": s.paused}
            if row is None:
                first = next_fire(s, now)
                conn.execute(insert(schedules).values(name=s.name, created_at=now, next_due=first, **values))
                continue
            if row.cron != s.cron or row.timezone != s.timezone or row.next_due is None:
                values["next_due"] = next_fire(s, now)
            conn.execute(update(schedules).where(schedules.c.name == s.name).values(values))
    return [s.name for s in declared]
