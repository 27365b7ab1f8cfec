"""Tables of the notification stage added after the tickets (migration step 7 in
:mod:`patrol.store.migrations`).

A queued message's attachments, one row each, in the order the message lists them; the file
itself stays on disk (a report in the reports folder) and is read at delivery time::

    outbox_attachments (outbox_id -> outbox.id, position) PK; filename, content_type, path
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.engine import Connection

from patrol.store.schema import metadata

__all__ = ["TABLES", "create", "outbox_attachments"]

outbox_attachments = Table(
    "outbox_attachments",
    metadata,
    Column("outbox_id", Integer, ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(255), nullable=False),
    Column("path", Text, nullable=False),
)

TABLES: list[Table] = [outbox_attachments]


def create(conn: Connection) -> None:
    metadata.create_all(conn, tables=TABLES)
