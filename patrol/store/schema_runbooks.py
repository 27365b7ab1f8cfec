"""Tables of the emergency plans (migration step 10 in :mod:`patrol.store.migrations`).

A drill (``patrol runbook drill ID``) walked a plan on the lab: its steps were read out, its linked
playbook run in check mode on a lab host; one row per drill::

    runbook_drills  id PK; runbook, at, actor, host, playbook, outcome (passed | failed | walked),
                    steps (JSON list of the steps walked), detail (what the playbook run said)
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, String, Table, Text
from sqlalchemy.engine import Connection

from patrol.store.schema import UTCDateTime, metadata

__all__ = ["TABLES", "create", "runbook_drills"]

runbook_drills = Table(
    "runbook_drills",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("runbook", String(100), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("host", String(255)),
    Column("playbook", Text),
    Column("outcome", String(20), nullable=False),
    Column("steps", JSON, nullable=False),
    Column("detail", Text, nullable=False, default=""),
)

TABLES: list[Table] = [runbook_drills]


def create(conn: Connection) -> None:
    metadata.create_all(conn, tables=TABLES)
