"""Tables of the baselines stage (migration step 2 in :mod:`patrol.store.migrations`)::

    baselines (id PK, scope "host"|"group", target, kind "snapshot"|"template", version,
               approved_by, approved_at, reason,
               source_run, source_host,              # kind snapshot: the promoted snapshot
               platform, device_class,
               config,                               # redacted + keyed-hash-marked running config
               state {facts, interfaces, resources, security, certificates},
               template_path, template_sha256, template,   # kind template: the jinja2 source
               rendered {host: redacted config})     # kind template: rendering per member at approval

Rows are never updated or deleted: a new approval is a new version, so the history shows who
approved what, when and why. The effective baseline of a host (per kind) is its newest host
baseline, else the newest group baseline of one of its groups.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Text
from sqlalchemy.engine import Connection

from patrol.store.schema import UTCDateTime, metadata

__all__ = ["TABLES", "baselines", "create"]

baselines = Table(
    "baselines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(8), nullable=False),
    Column("target", String(255), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("approved_by", String(255), nullable=False),
    Column("approved_at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("source_run", String(64)),
    Column("source_host", String(255)),
    Column("platform", String(64)),
    Column("device_class", String(16)),
    Column("config", Text),
    Column("state", JSON),
    Column("template_path", Text),
    Column("template_sha256", String(64)),
    Column("template", Text),
    Column("rendered", JSON),
    Index("ix_baselines_target", "scope", "target", "kind", "version", unique=True),
)

TABLES: list[Table] = [baselines]


def create(conn: Connection) -> None:
    metadata.create_all(conn, tables=TABLES)
