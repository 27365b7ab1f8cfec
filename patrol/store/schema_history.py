"""Tables of the history stage (migration step 6 in :mod:`patrol.store.migrations`).

The metric history itself is Parquet (:mod:`patrol.history.metricstore`); the SQL store keeps
its catalogue, so rebuild / backfill decisions know which runs are in the metric store::

    metric_segments (run_id, table_name) PK; path (relative to the metrics dir), rows, written_at
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.engine import Connection

from patrol.store.schema import UTCDateTime, metadata

__all__ = ["TABLES", "create", "metric_segments"]

metric_segments = Table(
    "metric_segments",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("table_name", String(32), primary_key=True),
    Column("path", Text, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("written_at", UTCDateTime, nullable=False),
    Index("ix_metric_segments_table", "table_name"),
)

TABLES: list[Table] = [metric_segments]


def create(conn: Connection) -> None:
    metadata.create_all(conn, tables=TABLES)
