"""The change index: every pass <-> fail change of every (host, check, object), kept at ingest.

Flapping and recurrence analytics need each key's outcomes in time order; scanning the check rows
of a window for that (a year of daily runs of 1,000 devices: 2 million rows in 90 days) costs a
third of a second. The metric store's writer therefore maintains, next to the per-run tables, an
index of the *changes* (a few per cent of the rows)::

    <metrics dir>/index/chain.json          the commit point (replaced atomically):
        {"version": 1, "state": "state-<token>.parquet", "changes": ["changes-<token>.parquet", ...],
         "runs": {"<run id>": "2026-11-26T02:00:00", ...},        # runs the index has taken in
         "gone": {"<run id>": "…"}}                               # rewritten/deleted without it
    <metrics dir>/index/state-<token>.parquet    per key: host, check_id, object, failing, last_at
    <metrics dir>/index/changes-<token>.parquet  host, check_id, object, at, failing, change, prev_at

A run's observation of a key is ``failing`` when any of its rows for the key is ``fail`` (a key
with only other outcomes, e.g. ``error``, is not observed). A row is written for every failing
observation and for every change: an observation that differs from the key's previous one, or is
its first one and failing (``change``); ``prev_at`` is the time of the previous observation (null
for the first one). Passing observations that change nothing — nearly all rows — are left out.

**Consistency**: every change row is computed from all runs the chain held before it. A run
written in time order (or out of order, when none of its keys was observed later) is appended in
a few milliseconds; a run that interleaves with later observations of its keys, a run written
again, or a missing or unreadable index rebuilds the index by replaying every run of the metric
store in time order (:meth:`ChangeIndex.rebuild`). A run deleted or rewritten without the index
(``index=False``) is marked gone: :meth:`ChangeIndex.covers` is false for a window around its time,
or whose runs differ from the chain's runs of that time range, and the analytics then scan the
check rows instead (same results, slower). Updates hold a thread lock and an exclusive
``flock`` on ``index/.lock`` (processes, and nodes sharing a directory that supports it).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import tempfile
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from patrol.history.metricschema import CheckRow, naive_utc

__all__ = ["CHANGES_SCHEMA", "STATE_SCHEMA", "ChangeIndex", "observations"]

log = logging.getLogger(__name__)

_TS = pa.timestamp("us")
KEY = ("host", "check_id", "object")
STATE_SCHEMA = pa.schema([("host", pa.string()), ("check_id", pa.string()), ("object", pa.string()),
                          ("failing", pa.bool_()), ("last_at", _TS)])  # fmt: skip
CHANGES_SCHEMA = pa.schema([("host", pa.string()), ("check_id", pa.string()), ("object", pa.string()),
                            ("at", _TS), ("failing", pa.bool_()), ("change", pa.bool_()),
                            ("prev_at", _TS)])  # fmt: skip
#: change files kept before they are merged into one
_MAX_CHANGE_FILES = 32
_THREAD_LOCK = threading.Lock()


class _Stale(Exception):
    """The chain cannot take the run in incrementally: replay every run."""


def observations(rows: pa.Table | Sequence[CheckRow]) -> pa.Table:
    """``host, check_id, object, failing``: one row per key a run observed (pass or fail).

    ``rows`` is a ``checks`` table (metric store columns) or the run's :class:`CheckRow` list."""
    if not isinstance(rows, pa.Table):
        kept = [r for r in rows if r.outcome in ("pass", "fail")]
        rows = pa.table({"host": pa.array([r.host for r in kept], pa.string()),
                         "check_id": pa.array([r.check_id for r in kept], pa.string()),
                         "object": pa.array([r.object for r in kept], pa.string()),
                         "outcome": pa.array([r.outcome for r in kept], pa.string())})  # fmt: skip
    table = pa.table({name: rows.column(name).cast(pa.string()) for name in (*KEY, "outcome")})
    outcome = table.column("outcome")
    table = table.filter(pc.is_in(outcome, pa.array(["pass", "fail"])))
    table = table.append_column("failing", pc.equal(table.column("outcome"), "fail")).drop_columns(["outcome"])
    grouped = table.group_by(list(KEY), use_threads=False).aggregate([("failing", "any")])
    return pa.table({**{k: grouped.column(k) for k in KEY}, "failing": grouped.column("failing_any")})


def _step(state: pa.Table, seen: pa.Table, at: datetime, strict: bool) -> tuple[pa.Table, pa.Table]:
    """The run's change rows and the new state. ``strict``: :class:`_Stale` when a key of the run
    was observed at or after ``at`` (an out-of-order run that interleaves)."""
    prev = state.rename_columns([*KEY, "prev_failing", "prev_at"])
    joined = seen.join(prev, keys=list(KEY), join_type="left outer", use_threads=False)
    prev_at = joined.column("prev_at")
    stamp = pa.scalar(at, _TS)
    if strict and joined.num_rows and pc.any(pc.greater_equal(prev_at, stamp)).as_py():
        raise _Stale
    failing, prev_failing = joined.column("failing"), joined.column("prev_failing")
    changed = pc.if_else(pc.is_null(prev_failing), failing, pc.not_equal(failing, prev_failing))
    joined = joined.append_column("change", changed)
    rows = joined.filter(pc.or_(changed, failing))
    changes = pa.table({**{k: rows.column(k) for k in KEY}, "at": pa.array([at] * rows.num_rows, _TS),
                        "failing": rows.column("failing"), "change": rows.column("change"),
                        "prev_at": rows.column("prev_at")}, schema=CHANGES_SCHEMA)  # fmt: skip
    fresh = pa.table({**{k: seen.column(k) for k in KEY}, "failing": seen.column("failing"),
                      "last_at": pa.array([at] * seen.num_rows, _TS)}, schema=STATE_SCHEMA)  # fmt: skip
    others = state.join(seen.select(list(KEY)).append_column("hit", pa.array([True] * seen.num_rows, pa.bool_())),
                        keys=list(KEY), join_type="left outer", use_threads=False)  # fmt: skip
    others = others.filter(pc.is_null(others.column("hit"))).drop_columns(["hit"])
    return changes, pa.concat_tables([others.select(STATE_SCHEMA.names).cast(STATE_SCHEMA), fresh])


class ChangeIndex:
    """The change index of one metrics directory (see the module docstring)."""

    def __init__(self, metrics_root: Path) -> None:
        self.root = Path(metrics_root) / "index"

    # -- read -----------------------------------------------------------------------------

    def chain(self) -> dict[str, Any] | None:
        """The committed chain, None when there is none (or it is unreadable)."""
        try:
            data = json.loads((self.root / "chain.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("version") == 1 else None

    def covers(self, runs: dict[str, datetime], since: datetime | None, until: datetime | None) -> list[str] | None:
        """The change files when the chain holds exactly ``runs`` (``{run id: at}``, the window's runs)
        among its runs of ``since <= at < until``; None when it does not (scan the check rows instead)."""
        chain = self.chain()
        if chain is None:
            return None
        low = naive_utc(since).isoformat() if since is not None else ""
        high = naive_utc(until).isoformat() if until is not None else "9999"
        held = {run_id for run_id, at in chain["runs"].items() if low <= at < high}
        if held != set(runs) or any(chain["runs"][r] != naive_utc(at).isoformat() for r, at in runs.items()):
            return None
        if any(low <= at < high for at in chain.get("gone", {}).values()):
            return None  # a run the chain took in was rewritten or deleted since
        files = [self.root / name for name in chain["changes"]]
        return [str(f) for f in files] if all(f.exists() for f in files) else None

    # -- write ----------------------------------------------------------------------------

    def add(self, run_id: str, at: datetime, rows: pa.Table | Sequence[CheckRow], replay: Iterator[Any]) -> None:
        """Take a written run in; ``replay()`` yields ``(run_id, at, checks table)`` of every run of
        the metric store in time order (used when the run cannot be appended: see the docstring)."""
        at = naive_utc(at)
        with self._locked():
            chain = self.chain()
            try:
                if chain is None or run_id in chain["runs"] or run_id in chain.get("gone", {}):
                    raise _Stale
                state = pq.read_table(self.root / chain["state"], schema=STATE_SCHEMA)
                changes, state = _step(state, observations(rows), at, strict=True)
                chain["runs"][run_id] = at.isoformat()
                self._commit(chain, state, changes)
            except (_Stale, OSError, pa.ArrowException) as exc:
                why = str(exc) if not isinstance(exc, _Stale) else "no index yet" if chain is None else (
                    f"run {run_id} is not the latest observation of its keys, or is written again")  # fmt: skip
                log.info("change index %s: replaying every run (%s)", self.root, why)
                self._replay(replay)

    def rebuild(self, replay: Iterator[Any]) -> int:
        """Replay every run (``(run_id, at, checks table)`` in time order); returns the change rows."""
        with self._locked():
            return self._replay(replay)

    def invalidate_run(self, run_id: str) -> None:
        """A run is rewritten or deleted without the index: the chain marks it gone, and no longer
        covers a window around its time (the change rows after it were computed with its old data;
        windows that start later only see them as changes from before the window: still exact)."""
        with self._locked():
            chain = self.chain()
            if chain is not None and run_id in chain["runs"]:
                chain.setdefault("gone", {})[run_id] = chain["runs"].pop(run_id)
                _write_chain(self.root, chain)

    def _replay(self, replay: Iterator[Any]) -> int:
        state, parts, runs = STATE_SCHEMA.empty_table(), [], {}
        for run_id, at, rows in replay:
            changes, state = _step(state, observations(rows), naive_utc(at), strict=False)
            parts.append(changes)
            runs[str(run_id)] = naive_utc(at).isoformat()
        merged = pa.concat_tables(parts) if parts else CHANGES_SCHEMA.empty_table()
        self._commit({"version": 1, "state": "", "changes": [], "runs": runs, "gone": {}}, state, merged, merge=True)
        return merged.num_rows

    def _commit(self, chain: dict[str, Any], state: pa.Table, changes: pa.Table, merge: bool = False) -> None:
        token = secrets.token_hex(6)
        names = list(chain.get("changes", []))
        if merge or len(names) >= _MAX_CHANGE_FILES:
            tables = [pq.read_table(self.root / n, schema=CHANGES_SCHEMA) for n in names]
            changes, names = pa.concat_tables([*tables, changes]), []
        names.append(f"changes-{token}.parquet")
        _atomic(changes.combine_chunks(), self.root / names[-1])
        chain |= {"state": f"state-{token}.parquet", "changes": names}
        _atomic(state.combine_chunks(), self.root / chain["state"])
        _write_chain(self.root, chain)  # the commit point
        for path in [*self.root.glob("state-*.parquet"), *self.root.glob("changes-*.parquet")]:
            if path.name not in (chain["state"], *names):  # the files of earlier commits (under the lock)
                path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with _THREAD_LOCK, open(self.root / ".lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _write_chain(root: Path, chain: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".chain.", suffix=".tmp", dir=root)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(chain, fh, separators=(",", ":"))
    os.replace(tmp, root / "chain.json")


def _atomic(table: pa.Table, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
