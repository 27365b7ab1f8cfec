"""Tables of the history stage (migration step in :mod:`patrol.store.migrations`)."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from patrol.store.schema import metadata

__all__ = ["TABLES", "create"]

TABLES: list[Table] = []


def create(conn: Connection) -> None:
    metadata.create_all(conn, tables=TABLES)
