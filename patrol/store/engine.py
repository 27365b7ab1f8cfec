"""Connecting to the store's database and migrating it.

Any SQLAlchemy URL works (``sqlite:////var/lib/patrol/patrol.db``,
``postgresql+psycopg://patrol@db/patrol``). SQLite gets WAL journaling (readers never block
the writer), foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` for write transactions so
two processes writing at once wait for each other instead of failing.

On a full disk SQLite cannot size the WAL's shared-memory index (``-shm``), so an ordinary
open fails with "disk I/O error" and nothing can even be read. :func:`connect` then opens the
file in ``EXCLUSIVE`` locking mode, where the WAL index lives in this process's memory: reads
work (``patrol runs``, ``patrol tickets`` …), writes fail with "database or disk is full" as
they must, and another process waits for the lock (busy timeout) while the command runs.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect, select
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import SingletonThreadPool

from patrol.errors import StoreError
from patrol.models import utcnow
from patrol.store.migrations import MIGRATIONS, SCHEMA_VERSION
from patrol.store.schema import metadata, schema_version

__all__ = ["BUSY_TIMEOUT_MS", "WRITE", "connect", "migrate", "reason", "safe_url"]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 15_000
#: Execution option that marks a connection's transactions as writes (SQLite: BEGIN IMMEDIATE).
WRITE = "patrol_write"


def safe_url(url: str | URL) -> str:
    """The URL with any password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"store URL {url!r} is not a database URL: use a SQLite path like "
            "sqlite:////var/lib/patrol/patrol.db or postgresql+psycopg://user@host/db"
        ) from exc


def _prepare_sqlite_file(parsed: URL) -> None:
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    path = Path(database).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"store {path}: cannot create folder {path.parent}: {exc.strerror}") from exc


#: what SQLite says when the disk (or the quota) is full: the open is retried in exclusive mode
DISK_FULL = ("database or disk is full", "disk I/O error")


def _sqlite_events(engine: Engine, exclusive: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        if exclusive:  # before the first access: the WAL index is then kept in memory, not in -shm
            cursor.execute("PRAGMA locking_mode = EXCLUSIVE")
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")


def reason(exc: SQLAlchemyError) -> str:
    """The driver's own message when there is one (it names the file or server)."""
    return str(getattr(exc, "orig", None) or exc).strip()


def _engine(parsed: URL, exclusive: bool = False) -> Engine:
    is_sqlite = parsed.get_backend_name() == "sqlite"
    try:
        if exclusive:  # one connection per thread: a second one would wait for the first one's lock
            engine = create_engine(parsed, poolclass=SingletonThreadPool)
        else:
            engine = create_engine(parsed, pool_pre_ping=not is_sqlite)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise StoreError(f"store {safe_url(parsed)}: unsupported database or driver not installed: {exc}") from exc
    if is_sqlite:
        _sqlite_events(engine, exclusive)
    return engine


def _ping(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except SQLAlchemyError:
        engine.dispose()
        raise


def connect(url: str) -> Engine:
    """An engine for ``url`` whose database is reachable; :class:`StoreError` otherwise.

    A SQLite file on a full disk is opened in exclusive locking mode (see the module docstring).
    """
    parsed = _parse(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite:
        _prepare_sqlite_file(parsed)
    engine = _engine(parsed)
    try:
        _ping(engine)
    except SQLAlchemyError as exc:
        if not (is_sqlite and any(text in reason(exc) for text in DISK_FULL)):
            raise StoreError(f"store {safe_url(parsed)}: cannot open the database: {reason(exc)}") from exc
        log.debug("store %s: %s; opening it in exclusive mode (reads only)", safe_url(parsed), reason(exc))
        engine = _engine(parsed, exclusive=True)
        try:
            _ping(engine)
        except SQLAlchemyError:
            raise StoreError(f"store {safe_url(parsed)}: cannot open the database: {reason(exc)}") from exc
    return engine


#: PostgreSQL advisory lock key held while migrating (SQLite serialises through BEGIN IMMEDIATE)
MIGRATION_LOCK = 0x70617472  # "patr"


def _current_version(conn: Connection) -> int:
    if conn.dialect.name == "postgresql":  # two processes starting on an empty database migrate one after the other
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    metadata.create_all(conn, tables=[schema_version])
    versions = conn.execute(select(schema_version.c.version)).scalars().all()
    return max(versions, default=0)


def _up_to_date(engine: Engine) -> bool:
    """The database is at this patrol's schema version: read without taking the write lock, so that
    the many commands that only read neither wait for a writer nor write at start-up."""
    with engine.connect() as conn, conn.begin():
        if not inspect(conn).has_table(schema_version.name):
            return False
        return max(conn.execute(select(schema_version.c.version)).scalars().all(), default=0) == SCHEMA_VERSION


def migrate(engine: Engine) -> int:
    """Apply every pending migration; return the schema version. Refuses a newer database."""
    where = safe_url(engine.url)
    try:
        if _up_to_date(engine):
            return SCHEMA_VERSION
        with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            current = _current_version(conn)
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"store {where} has schema version {current}, newer than this patrol understands "
                f"({SCHEMA_VERSION}): upgrade patrol, or point it at another database"
            )
        for version, description, step in MIGRATIONS:
            if version > current:
                _apply(engine, version, description, step)
    except SQLAlchemyError as exc:
        raise StoreError(f"store {where}: migration failed: {reason(exc)}") from exc
    return SCHEMA_VERSION


def _apply(engine: Engine, version: int, description: str, step: Any) -> None:
    with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
        if _current_version(conn) >= version:  # another process migrated meanwhile
            return
        step(conn)
        conn.execute(schema_version.insert().values(version=version, description=description, applied_at=utcnow()))
    log.info("store %s migrated to schema version %d (%s)", safe_url(engine.url), version, description)
