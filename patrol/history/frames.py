"""The history of a time window: small pandas frames plus DuckDB views over the metric store.

``load_history(store, since, until)`` -> :class:`History`. The heavy per-run facts are read from
the Parquet metric store (:mod:`patrol.history.metricstore`) through DuckDB, so analytics push
their aggregations into SQL (``h.sql("SELECT … FROM checks …")``) instead of loading millions of
rows; only the results come back as pandas frames. Tickets and their events stay in SQL (small).

Frames (pandas) and views (DuckDB, restricted to the window's runs)::

    runs      run_id, at, status, hosts, inspected                     frame + view
    tickets   id, priority, state, host, check_id, clock_start, created_at, resolved_at, recurrence
    events    ticket_id, at, action ("opened" | "reopened" | "resolved": the moves of
              :mod:`patrol.history.ticketflow`) of the defect tickets that moved in the window,
              earlier moves of those tickets included (a clock may start before the window)
    hosts     run_id, at, host, status, domain, platform, os_version, groups      view
    checks    run_id, at, host, domain, check_id, object, outcome                  view
    findings  run_id, at, host, domain, check_id, object, severity                 view
    resources run_id, at, host, kind, name, used, capacity, used_percent, unit    view
    changes   host, check_id, object, at, failing, change, prev_at    view, when ``indexed`` (the change
              index, :mod:`patrol.history.changeindex`, holds exactly the window's runs)

**Threads**: a DuckDB connection refuses a call while another thread's call runs on it (and a
result another thread left open): ``h.con`` is the calling thread's connection — ``h.db`` in the
thread that loaded the window, a cursor of it (same in-memory database, same views) in any other
— and ``h.sql`` uses it, so one :class:`History` may serve several threads (the dashboard and the
delivery timer). ``h.once(key, compute)`` keeps a figure several analytics of one window share
(the pass/fail transitions, the resource series) in ``h.cache``, computed once even when threads
ask at the same time.

A run's time (``at``) is when its devices were observed: the earliest ``host_results.started_at``
(falls back to ``runs.started_at``). The window is ``since <= at < until``; only runs the SQL
store knows as finished are in it. A finished run the metric store lacks (a store from before the
metric store, a lost metrics directory) is backfilled from SQL first, with a log message.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
from sqlalchemy import DateTime, and_, or_, select, type_coerce

from patrol.errors import StoreError
from patrol.history.metricschema import SCHEMAS, naive_utc
from patrol.history.metricstore import MetricStore, finished_runs, ingest_run, missing_runs
from patrol.history.ticketflow import MOVES, moves
from patrol.store import Store

__all__ = ["History", "latest_versions", "load_history", "run_times"]

log = logging.getLogger(__name__)

_EMPTY: dict[str, list[str]] = {
    "runs": ["run_id", "at", "status", "hosts", "inspected"],
    "tickets": ["id", "priority", "state", "host", "check_id", "clock_start", "created_at", "resolved_at",
                "recurrence"],
    "events": ["ticket_id", "at", "action"],
}  # fmt: skip
VIEWS = ("hosts", "checks", "findings", "resources")


@dataclass
class History:
    """The runs in ``since <= at < until`` (``None``: unbounded), their metric views, the tickets."""

    since: datetime | None
    runs: pd.DataFrame
    tickets: pd.DataFrame
    events: pd.DataFrame
    db: duckdb.DuckDBPyConnection
    until: datetime | None = None
    #: the window has a ``changes`` view: the change index holds exactly its runs
    indexed: bool = False
    cache: dict[Any, Any] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    owner: int = field(default_factory=threading.get_ident, repr=False, compare=False)
    local: threading.local = field(default_factory=threading.local, repr=False, compare=False)

    @property
    def empty(self) -> bool:
        return self.runs.empty

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The calling thread's connection to the views (see the module docstring: *Threads*)."""
        con: duckdb.DuckDBPyConnection | None = getattr(self.local, "con", None)
        if con is None:
            if threading.get_ident() == self.owner:
                con = self.db
            else:
                with self.lock:
                    con = self.db.cursor()
            self.local.con = con
        return con

    def once(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``cache[key]``, computed by the first caller (other threads wait for it, not for other keys)."""
        with self.lock:
            slot = self.cache.get(key)
            if slot is None:
                slot = self.cache[key] = _Once()
        with slot.lock:
            if not slot.done:  # a failed computation is not kept: the next caller tries again
                slot.value, slot.done = compute(), True
        return slot.value

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """A query over the views as a pandas frame (timestamps as UTC-aware ``at``-style columns)."""
        frame = self.con.execute(query, params or []).df()
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]) and frame[column].dt.tz is None:
                frame[column] = frame[column].dt.tz_localize("UTC")
        return frame


@dataclass
class _Once:
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False
    value: Any = None


def _utc(frame: pd.DataFrame, columns: tuple[str, ...] = ("at", "clock_start", "created_at", "resolved_at")) -> None:
    for column in columns:
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], utc=True)


def _connect(ms: MetricStore, since: datetime | None, until: datetime | None,
             run_ids: list[str]) -> tuple[Any, bool]:  # fmt: skip
    """The window's DuckDB views (see the module docstring), and whether it has ``changes`` too (the
    change index holds exactly the window's runs)."""
    db = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    bounds, params = ["true"], []
    if since is not None:
        bounds.append('"at" >= ?')
        params.append(naive_utc(since))
    if until is not None:
        bounds.append('"at" < ?')
        params.append(naive_utc(until))
    where = " AND ".join(bounds)
    db.register("known_ids", pa.table({"run_id": pa.array(run_ids, pa.string())}))
    for table in ("runs", *VIEWS):
        files = ms.files(table, since, until)
        if files:
            source = f"read_parquet({_list(files)})"
        else:
            db.register(f"empty_{table}_arrow", SCHEMAS[table].empty_table())  # this connection only:
            db.execute(f"CREATE TABLE empty_{table} AS SELECT * FROM empty_{table}_arrow")  # cursors see a table
            source = f"empty_{table}"
        if table == "runs":
            db.execute(f"CREATE TABLE runs AS SELECT DISTINCT ON (run_id) run_id::VARCHAR AS run_id, \"at\", "
                       f"status::VARCHAR AS status, hosts, inspected FROM {source} "
                       f"WHERE {where} AND run_id IN (SELECT run_id FROM known_ids) ORDER BY run_id",
                       params)  # fmt: skip
            in_files = db.execute(f"SELECT count(*) FROM {source} WHERE {where}", params).fetchall()[0][0]
            extra = in_files != db.execute("SELECT count(*) FROM runs").fetchall()[0][0]
            # only when the files hold runs SQL does not know (deleted, or still being written) the
            # views filter on the run set; otherwise the time bounds select the same rows, faster
            keep = " AND run_id::VARCHAR IN (SELECT run_id FROM runs)" if extra else ""
        else:
            db.execute(f"CREATE VIEW {table} AS SELECT * FROM {source} WHERE {_inline(where, params)}{keep}")
    changes = None if keep else ms.index.covers(dict(db.execute("SELECT run_id, \"at\" FROM runs").fetchall()),
                                                  since, until)  # fmt: skip
    if changes:
        db.execute(f"CREATE VIEW changes AS SELECT * FROM read_parquet({_list(changes)}) "
                   f"WHERE {_inline(where, params)}")  # fmt: skip
    return db, bool(changes)


def _list(files: list[str]) -> str:
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"


def _inline(where: str, params: list[Any]) -> str:
    """Views cannot take parameters: the bounds as timestamp literals (values are datetimes)."""
    for value in params:
        where = where.replace("?", f"TIMESTAMP '{value:%Y-%m-%d %H:%M:%S.%f}'", 1)
    return where


def _backfill(store: Store, ms: MetricStore, ids: list[str]) -> None:
    missing = missing_runs(store, ms, ids)
    if not missing:
        return
    log.warning("metric store %s lacks %d finished run(s) of the window; backfilling them from the SQL store "
                "(`patrol history rebuild` does it ahead of time)", ms.root, len(missing))  # fmt: skip
    for run_id in missing:
        ingest_run(store, run_id, ms, index=False)
    ms.rebuild_index()  # once, not once per backfilled run


def run_times(store: Store, since: datetime | None = None, until: datetime | None = None) -> pd.DataFrame:
    """``runs`` frame: one row per finished run in the window, oldest first."""
    return load_history(store, since, until, tickets=False).runs


def _tickets(store: Store, since: datetime | None, until: datetime | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    from patrol.store.schema_tickets import ticket_events, tickets

    k, e = tickets.c, ticket_events.c
    raw = DateTime(timezone=True)  # the driver's values; _utc() makes them UTC-aware, vectorised
    tq = select(k.id, k.priority, k.state, k.host, k.check_id, type_coerce(k.clock_start, raw),
                type_coerce(k.created_at, raw), type_coerce(k.resolved_at, raw),
                k.recurrence).where(k.klass == "defect")  # fmt: skip
    move = or_(e.action.in_(MOVES), and_(e.action == "state", e.to_state == "resolved"))
    defect = e.ticket_id.in_(select(k.id).where(k.klass == "defect"))
    moved = select(e.ticket_id).where(move)  # tickets that moved in the window: all their moves (clocks)
    eq = select(e.ticket_id, type_coerce(e.at, raw), e.action, e.to_state).where(move, defect).order_by(e.at, e.id)
    if since is not None:
        moved = moved.where(e.at >= since)
    if until is not None:
        tq, eq, moved = tq.where(k.created_at < until), eq.where(e.at < until), moved.where(e.at < until)
    eq = eq.where(e.ticket_id.in_(moved)) if since is not None else eq
    with store.read() as conn:
        frames = (pd.DataFrame([tuple(r) for r in conn.execute(q).all()], columns=columns)
                  for q, columns in ((tq, _EMPTY["tickets"]), (eq, [*_EMPTY["events"], "to_state"])))  # fmt: skip
        tf, ef = next(frames), next(frames)
    _utc(tf)
    _utc(ef)
    return tf, moves(ef)


def load_history(store: Store, since: datetime | None = None, until: datetime | None = None, *,
                 tickets: bool = True) -> History:  # fmt: skip
    """Finished runs with ``since <= at < until``, their metric views, and (``tickets``) the tickets.

    Tickets are those created before ``until``; events the moves before ``until`` of the tickets
    that moved in the window (:mod:`patrol.history.ticketflow` counts only the window's). :class:`StoreError`
    when the metric store cannot be read (its message names the directory).
    """
    ms = MetricStore.for_store(store)
    known = finished_runs(store)  # the window is on the observation time ("at"): applied in DuckDB
    floor = since - timedelta(days=1) if since is not None else None
    _backfill(store, ms, [i for i, started in known.items() if floor is None or started >= floor])
    ids = list(known)
    try:
        db, indexed = _connect(ms, since, until, ids)
        runs = db.execute('SELECT run_id, "at", status, hosts, inspected FROM runs ORDER BY "at", run_id').df()
    except duckdb.Error as exc:
        raise StoreError(f"metric store {ms.root}: cannot read it: {exc}; rebuild it from the SQL store with "
                         f"`patrol history rebuild --since all`") from exc  # fmt: skip
    runs = runs.astype({"hosts": int, "inspected": int}) if not runs.empty else pd.DataFrame(columns=_EMPTY["runs"])
    _utc(runs, ("at",))
    if tickets:
        tf, ef = _tickets(store, since, until)
    else:
        tf, ef = pd.DataFrame(columns=_EMPTY["tickets"]), pd.DataFrame(columns=_EMPTY["events"])
    return History(since, runs, tf, ef, db, until, indexed)


def latest_versions(store: Store, h: History) -> pd.DataFrame:
    """``host, platform, os_version`` from each host's latest snapshot among the window's runs."""
    frame = h.sql("SELECT host::VARCHAR AS host, arg_max(platform, \"at\")::VARCHAR AS platform, "
                  "arg_max(os_version, \"at\")::VARCHAR AS os_version FROM hosts WHERE status = 'ok' "
                  "GROUP BY ALL ORDER BY host")  # fmt: skip
    return frame.dropna(subset=["os_version"]).reset_index(drop=True)
