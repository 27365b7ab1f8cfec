"""The snapshot store (stage 3 of the pipeline): runs, host results, snapshots, check results, findings.

``Store.open(url)`` takes any SQLAlchemy URL (SQLite file by default, PostgreSQL accepted),
migrates it, and offers the small API the runner, checks, report and CLI use.
"""

from patrol.store.migrations import SCHEMA_VERSION
from patrol.store.rows import PENDING, HostRow
from patrol.store.store import Store

__all__ = ["PENDING", "SCHEMA_VERSION", "HostRow", "Store"]
