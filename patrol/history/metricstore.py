"""The metric history: per-run facts in partitioned Parquet, scanned by DuckDB (issue 5).

SQL (SQLite / PostgreSQL) keeps runs, findings and tickets; this store keeps the per-run facts
the analytics scan (see :mod:`patrol.history.metricschema` for the tables and columns)::

    <metrics dir>/<table>/month=YYYY-MM/run-<run id>.parquet    one file per run and table
    <metrics dir>/<table>/month=YYYY-MM/compact.parquet         a closed month's runs, merged

* **Where**: the ``metrics_dir`` setting (``PATROL_METRICS_DIR``, default ``<PATROL_HOME>/metrics``)
  for the store the settings name; another SQLite store keeps its metrics next to its database
  file (``<db dir>/metrics``); :meth:`MetricStore.bind` pins a directory to a ``Store``.
  Several execution nodes may write into one shared directory: files are per run.
* **Writes** are atomic (temporary file + rename) and idempotent per run: re-ingesting a run
  replaces its files (and takes it out of a compacted month). ``runs`` is written last, and
  readers take the run set from ``runs``, so a half-written run is never seen.
* **Compaction** merges a closed month's run files into ``compact.parquet`` (a year of daily
  runs is then 12 files per table instead of 365: cold scans open far fewer files). It is
  crash-safe: a compact file names the run files it holds in its footer (``patrol.covers``),
  is fsynced and renamed in before those files are deleted, and readers (:meth:`MetricStore.files`)
  skip a run file its month's compact file covers. A kill -9 between the rename and the deletes
  leaves no duplicate rows; the next compaction deletes the covered files.
* **Catalogue**: each written file is recorded in SQL ``metric_segments`` (migration 6), so
  :func:`missing_runs` can tell which finished runs still need a backfill.
* **Change index** (``<metrics dir>/index/``, :mod:`patrol.history.changeindex`): each write also
  records the run's pass <-> fail changes, so flapping and recurrence analytics read a few per
  cent of the check rows; a writer of many runs (``rebuild``, a backfill) rebuilds it once.

Writers: :func:`ingest_run` (the history run processor, ``patrol history rebuild``) builds a
:class:`~patrol.history.metricschema.RunMetrics` from the SQL rows of the run — already redacted —
with :func:`collect_run` and writes it with :meth:`MetricStore.write`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import make_url

from patrol.errors import StoreError
from patrol.history.changeindex import ChangeIndex
from patrol.history.metricschema import (
    SCHEMAS,
    TABLES,
    CheckRow,
    FindingRow,
    HostMetric,
    ResourceRow,
    RunMetrics,
    RunRow,
    arrow_tables,
    naive_utc,
)
from patrol.models import utcnow
from patrol.store import Store
from patrol.store import schema as t
from patrol.store.schema_history import metric_segments

__all__ = ["COMPACT", "MetricStore", "collect_run", "finished_runs", "ingest_run", "missing_runs", "rebuild"]

log = logging.getLogger(__name__)

COMPACT = "compact.parquet"
#: Footer key of a compact file: the JSON list of the run file names merged into it.
COVERS = b"patrol.covers"
_BOUND: weakref.WeakKeyDictionary[Store, Path] = weakref.WeakKeyDictionary()
_CATALOGUED: weakref.WeakSet[Store] = weakref.WeakSet()
_LOCK = threading.Lock()


def _safe(run_id: str) -> str:
    """The run id as a file-name part (anything but ``[A-Za-z0-9._-]`` is %-escaped)."""
    return re.sub(r"[^A-Za-z0-9._-]", lambda m: f"%{ord(m[0]):02X}", run_id)


def _month(at: datetime) -> str:
    return f"month={naive_utc(at):%Y-%m}"


class MetricStore:
    """One metrics directory: write runs, list the files of a time window, compact months."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"MetricStore({str(self.root)!r})"

    # -- where ----------------------------------------------------------------------------

    @staticmethod
    def bind(store: Store, root: Path) -> None:
        """Use ``root`` as the metrics directory of ``store`` (for as long as the object lives)."""
        _BOUND[store] = Path(root)

    @classmethod
    def for_store(cls, store: Store) -> MetricStore:
        """The metric store of ``store`` (see the module docstring: *Where*)."""
        bound = _BOUND.get(store)
        if bound is not None:
            return cls(bound)
        from patrol.config import load_settings
        from patrol.store.engine import safe_url

        settings = load_settings()
        url = make_url(store.url) if "://" in store.url else None
        if store.url == safe_url(settings.db_url) or os.environ.get("PATROL_METRICS_DIR"):
            root = settings.metrics_dir
        elif url is not None and url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            root = Path(str(url.database)).resolve().parent / "metrics"
        elif url is not None and url.get_backend_name() == "sqlite":  # in memory: a private directory
            root = Path(tempfile.mkdtemp(prefix="patrol-metrics-"))
            weakref.finalize(store, shutil.rmtree, root, True)
        else:
            root = settings.metrics_dir
        _BOUND[store] = root
        return cls(root)

    # -- write ----------------------------------------------------------------------------

    def write(self, metrics: RunMetrics, *, index: bool = True) -> dict[str, tuple[str, int]]:
        """Write (or replace) one run; returns ``{table: (path relative to the root, rows)}``.

        ``index``: take the run into the change index too (:mod:`patrol.history.changeindex`); a
        writer of many runs passes False and calls :meth:`rebuild_index` once at the end."""
        run_id = metrics.run.run_id
        tables = arrow_tables(metrics)
        with _LOCK:
            self._forget(run_id)
            written = {}
            for name in TABLES:
                rel = Path(name) / _month(metrics.run.at) / f"run-{_safe(run_id)}.parquet"
                self._atomic(tables[name], self.root / rel)
                written[name] = (rel.as_posix(), tables[name].num_rows)
            try:
                if index:
                    self.index.add(run_id, metrics.run.at, metrics.checks, self.replay_checks())
                else:
                    self.index.invalidate_run(run_id)
            except (OSError, pa.ArrowException) as exc:  # the analytics scan the check rows meanwhile
                log.warning("metric store %s: change index not updated for run %s (%s); the next write or "
                            "`patrol history rebuild` rebuilds it", self.root, run_id, exc)  # fmt: skip
        return written

    def delete_run(self, run_id: str) -> None:
        """Take the run out of the store (its run files, and its rows in a compacted month)."""
        with _LOCK:
            self._forget(run_id)
            self.index.invalidate_run(run_id)

    # -- change index ---------------------------------------------------------------------

    @property
    def index(self) -> ChangeIndex:
        return ChangeIndex(self.root)

    def rebuild_index(self) -> int:
        """Rebuild the change index from every run of the store; returns its change rows."""
        with _LOCK:
            return self.index.rebuild(self.replay_checks())

    def replay_checks(self) -> Iterator[tuple[str, datetime, pa.Table]]:
        """``(run id, at, checks table)`` of every run in the store, in time order (a month at a time)."""
        files = self.files("runs")
        runs = pa.concat_tables([pq.read_table(f, columns=["run_id", "at"]) for f in files]) if files else None
        if runs is None or not runs.num_rows:
            return
        order = sorted(zip(runs.column("at").to_pylist(), runs.column("run_id").cast(pa.string()).to_pylist(),
                           strict=True))  # fmt: skip
        by_month: dict[str, list[tuple[datetime, str]]] = {}
        for at, run_id in order:
            by_month.setdefault(_month(at), []).append((at, run_id))
        for month, members in sorted(by_month.items()):
            parts = _live(sorted((self.root / "checks" / month).glob("*.parquet")))
            checks = pa.concat_tables([pq.read_table(p, schema=SCHEMAS["checks"]) for p in parts]) if parts else None
            ids = checks.column("run_id").cast(pa.string()) if checks is not None else None
            for at, run_id in members:
                rows = checks.filter(pc.equal(ids, run_id)) if checks is not None else SCHEMAS["checks"].empty_table()
                yield run_id, at, rows

    def _forget(self, run_id: str) -> None:
        name = f"run-{_safe(run_id)}.parquet"
        for table in ("runs", *TABLES[:-1]):  # runs first: readers stop seeing it at once
            for path in (self.root / table).glob(f"month=*/{name}"):
                path.unlink(missing_ok=True)
        months = {c.parent.name for c in (self.root / "runs").glob(f"month=*/{COMPACT}") if run_id in _compact_ids(c)}
        for table in ("runs", *TABLES[:-1]):
            for path in (self.root / table).glob(f"month=*/{COMPACT}"):
                covers = _covers(path)
                if path.parent.name in months or name in covers:  # also a table compacted before a crash
                    data = pq.read_table(path)
                    keep = pc.not_equal(data.column("run_id").cast(pa.string()), run_id)
                    self._atomic(data.filter(keep), path, covers=covers - {name})

    @staticmethod
    def _atomic(table: pa.Table, path: Path, covers: Iterable[str] | None = None) -> None:
        """Write ``table`` to a temporary file and rename it to ``path``. ``covers`` (a compact file):
        record the run file names it holds in the footer, and fsync the file and its folder first."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            if covers is not None:
                meta = {**(table.schema.metadata or {}), COVERS: json.dumps(sorted(covers)).encode()}
                table = table.replace_schema_metadata(meta)
            pq.write_table(table, tmp, compression="zstd", row_group_size=1 << 20)
            if covers is not None:
                _fsync(Path(tmp))
            os.replace(tmp, path)
            if covers is not None:
                _fsync(path.parent)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # -- compaction -----------------------------------------------------------------------

    def compact(self, before: datetime | None = None) -> list[str]:
        """Merge the run files of every month that ended before ``before`` (default: now) into
        ``compact.parquet``; returns the months compacted (``["2026-09", …]``)."""
        limit = f"month={naive_utc(before or utcnow()):%Y-%m}"
        months = sorted({p.parent.name for table in TABLES for p in (self.root / table).glob("month=*/run-*.parquet")})
        done = []
        for month in (m for m in months if m < limit):
            with _LOCK:
                for table in TABLES:  # runs last, as for a write
                    self._compact_folder(table, self.root / table / month)
            done.append(month.removeprefix("month="))
        return done

    def _compact_folder(self, table: str, folder: Path) -> None:
        """Merge the run files the compact file does not cover yet; rename it in; then delete them all
        (files a crash left behind after the rename are covered: only deleted)."""
        compact = folder / COMPACT
        parts = sorted(folder.glob("run-*.parquet"))
        covers = _covers(compact)
        fresh = [p for p in parts if p.name not in covers]
        if fresh:
            sources = [compact, *fresh] if compact.exists() else fresh
            merged = pa.concat_tables([pq.read_table(p, schema=SCHEMAS[table]) for p in sources])
            merged = merged.sort_by([("at", "ascending")]).unify_dictionaries().combine_chunks()
            self._atomic(merged, compact, covers=covers | {p.name for p in fresh})
        for part in parts:
            part.unlink(missing_ok=True)

    # -- read -----------------------------------------------------------------------------

    def files(self, table: str, start: datetime | None = None, end: datetime | None = None) -> list[str]:
        """The Parquet files of ``table`` whose month overlaps [start, end), without the run files
        the month's compact file already holds (left behind by a compaction that was killed)."""
        low = _month(start) if start is not None else ""
        high = _month(end) if end is not None else "month=9999-99"
        return [str(p) for p in _live(sorted((self.root / table).glob("month=*/*.parquet")))
                if low <= p.parent.name <= high]  # fmt: skip

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.root.rglob("*.parquet"))


# -- from the SQL store -------------------------------------------------------------------


def collect_run(store: Store, run_id: str) -> RunMetrics | None:
    """The run's metrics from its SQL rows (already redacted); None if it is unknown or still running."""
    r, hr, sn, c, f = t.runs.c, t.host_results.c, t.snapshots.c, t.check_results.c, t.findings.c
    with store.read() as conn:
        run = conn.execute(select(r.id, r.status, r.started_at).where(r.id == run_id)).first()
        if run is None or run.status == "running":
            return None
        hosts = conn.execute(select(hr.host, hr.status, hr.device_class, hr.platform, hr.groups, hr.started_at)
                             .where(hr.run_id == run_id)).all()  # fmt: skip
        docs = conn.execute(select(sn.host, sn.document).where(sn.run_id == run_id)).all()
        checks = conn.execute(select(c.host, c.check_id, c.object, c.outcome).where(c.run_id == run_id)).all()
        found = conn.execute(select(f.host, f.domain, f.check_id, f.object, f.severity)
                             .where(f.run_id == run_id)).all()  # fmt: skip
    starts = [h.started_at for h in hosts if h.started_at is not None]
    at = min(starts) if starts else run.started_at
    snaps = {d.host: d.document or {} for d in docs}
    domain = {h.host: h.device_class for h in hosts}
    metrics = RunMetrics(RunRow(run_id, at, run.status, len(hosts), sum(h.status == "ok" for h in hosts)))
    for h in hosts:
        doc = snaps.get(h.host, {})
        facts = doc.get("facts") or {}
        metrics.hosts.append(HostMetric(h.host, h.status, h.device_class, doc.get("platform") or h.platform,
                                        facts.get("os_version"), tuple(h.groups or ())))  # fmt: skip
    for host, doc in snaps.items():
        for res in doc.get("resources") or []:
            used, capacity, percent = res.get("used"), res.get("capacity"), res.get("used_percent")
            if percent is None and used is not None and capacity:
                percent = round(100.0 * used / capacity, 2)
            metrics.resources.append(ResourceRow(host, str(res.get("kind")), str(res.get("name")), used, capacity,
                                                 percent, str(res.get("unit") or "bytes")))  # fmt: skip
    metrics.checks = [CheckRow(x.host, domain.get(x.host), x.check_id, x.object, x.outcome) for x in checks]
    metrics.findings = [FindingRow(x.host, x.domain, x.check_id, x.object, x.severity) for x in found]
    return metrics


def _catalogue(store: Store) -> None:
    if store not in _CATALOGUED:  # a database migrated while step 6 was still an empty reservation
        with store.write() as conn:
            metric_segments.create(conn, checkfirst=True)
        _CATALOGUED.add(store)


def record_segments(store: Store, run_id: str, written: dict[str, tuple[str, int]]) -> None:
    """Record the run's files in the SQL catalogue (``metric_segments``), replacing earlier ones."""
    _catalogue(store)
    now = utcnow()
    rows = [{"run_id": run_id, "table_name": name, "path": path, "rows": n, "written_at": now}
            for name, (path, n) in written.items()]  # fmt: skip
    with store.write() as conn:
        conn.execute(delete(metric_segments).where(metric_segments.c.run_id == run_id))
        conn.execute(insert(metric_segments), rows)


def ingest_run(store: Store, run_id: str, metrics_store: MetricStore | None = None, *,
               index: bool = True) -> RunMetrics | None:  # fmt: skip
    """Write the finished run ``run_id`` from the SQL store to the metric store (None: not finished);
    ``index``: see :meth:`MetricStore.write`."""
    ms = metrics_store or MetricStore.for_store(store)
    metrics = collect_run(store, run_id)
    if metrics is None:
        return None
    try:
        written = ms.write(metrics, index=index)
    except OSError as exc:
        raise StoreError(f"metric store {ms.root}: cannot write run {run_id}: {exc}; check the directory "
                         f"(setting metrics_dir / PATROL_METRICS_DIR) is writable") from exc  # fmt: skip
    record_segments(store, run_id, written)
    return metrics


def finished_runs(store: Store, since: datetime | None = None) -> dict[str, datetime]:
    """``{run id: started_at}`` of the SQL store's finished runs started since ``since`` minus a day
    (a run is observed after it starts; the margin covers clock skew between nodes)."""
    r = t.runs.c
    query = select(r.id, r.started_at).where(r.status != "running")
    if since is not None:
        query = query.where(r.started_at >= since - timedelta(days=1))
    with store.read() as conn:
        return {str(row.id): row.started_at for row in conn.execute(query)}


def missing_runs(store: Store, ms: MetricStore, run_ids: Iterable[str]) -> list[str]:
    """Those of ``run_ids`` whose ``runs`` file the catalogue does not know or the directory lacks."""
    _catalogue(store)
    wanted = list(run_ids)
    s = metric_segments.c
    with store.read() as conn:
        known = {row.run_id: row.path for row in conn.execute(
            select(s.run_id, s.path).where(s.table_name == "runs"))}  # fmt: skip
    present = _present(ms, {known[run_id] for run_id in wanted if run_id in known})  # only the wanted runs' files
    return [run_id for run_id in wanted if known.get(run_id) not in present]


def _present(ms: MetricStore, paths: set[str]) -> set[str]:
    """Catalogue paths that exist (a run moved into ``compact.parquet`` counts as present); one
    directory listing per month instead of a ``stat`` per run."""
    by_folder: dict[Path, list[str]] = {}
    for rel in paths:
        by_folder.setdefault((ms.root / rel).parent, []).append(rel)
    found = set()
    for folder, rels in by_folder.items():
        try:
            names = set(os.listdir(folder))
        except OSError:  # the month's directory is gone
            continue
        merged = _compact_index(folder / COMPACT)[1] if COMPACT in names else set()
        for rel in rels:
            name = rel.rsplit("/", 1)[-1]
            if name in names or name.removeprefix("run-").removesuffix(".parquet") in merged:
                found.add(rel)
    return found


_COMPACT_IDS: dict[tuple[str, int, int], tuple[set[str], set[str]]] = {}
_COVERS: dict[tuple[str, int, int], frozenset[str]] = {}


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _covers(compact: Path) -> frozenset[str]:
    """The run file names ``compact`` holds (its footer; cached while unchanged); none if it is absent."""
    try:
        stat = compact.stat()
    except FileNotFoundError:
        return frozenset()
    key = (str(compact), stat.st_mtime_ns, stat.st_size)
    found = _COVERS.get(key)
    if found is None:
        meta = pq.read_schema(compact).metadata or {}
        found = _COVERS[key] = frozenset(json.loads(meta.get(COVERS, b"[]")))
    return found


def _live(paths: list[Path]) -> list[Path]:
    """``paths`` without the run files their folder's compact file covers."""
    covered: dict[Path, frozenset[str]] = {}
    live = []
    for path in paths:
        if path.name != COMPACT:
            if path.parent not in covered:
                covered[path.parent] = _covers(path.parent / COMPACT)
            if path.name in covered[path.parent]:
                continue
        live.append(path)
    return live


def _compact_index(compact: Path) -> tuple[set[str], set[str]]:
    """Run ids in a month's ``runs`` compact file, and their file-name forms (cached while unchanged)."""
    stat = compact.stat()
    key = (str(compact), stat.st_mtime_ns, stat.st_size)
    found = _COMPACT_IDS.get(key)
    if found is None:
        ids = {str(v) for v in pq.read_table(compact, columns=["run_id"]).column("run_id").to_pylist()}
        found = _COMPACT_IDS[key] = (ids, {_safe(i) for i in ids})
    return found


def _compact_ids(compact: Path) -> set[str]:
    return _compact_index(compact)[0]


def rebuild(store: Store, since: datetime | None = None, *, only_missing: bool = False,
            metrics_store: MetricStore | None = None) -> list[str]:  # fmt: skip
    """(Re)write every finished run since ``since`` from SQL, then the change index from every run;
    returns the run ids written."""
    ms = metrics_store or MetricStore.for_store(store)
    ids = list(finished_runs(store, since))
    if only_missing:
        ids = missing_runs(store, ms, ids)
    done = [run_id for run_id in ids if ingest_run(store, run_id, ms, index=False) is not None]
    if done:
        ms.compact()
    ms.rebuild_index()  # also when nothing was missing: the command's way to repair the index
    return done
