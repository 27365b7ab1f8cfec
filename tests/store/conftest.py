"""Store fixtures: a SQLite file per test, and a real PostgreSQL server when one can be started.

PostgreSQL: ``$PATROL_TEST_PG_URL`` if set; otherwise, as root with the Debian server binaries
installed, a throw-away cluster on a loopback port is started for the session (~3 s).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from patrol.store import Store

PG_BIN = Path("/usr/lib/postgresql")


def _pg_bindir() -> Path | None:
    found = sorted(PG_BIN.glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(*cmd: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    if os.environ.get("PATROL_TEST_PG_URL"):
        yield os.environ["PATROL_TEST_PG_URL"]
        return
    pytest.importorskip("psycopg", reason="psycopg not installed: pip install 'psycopg[binary]'")
    bindir = _pg_bindir()
    if bindir is None or os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("no PostgreSQL server: set PATROL_TEST_PG_URL or run as root with postgresql installed")
    base = Path(tempfile.mkdtemp(prefix="patrol-pg-"))  # pytest's tmp is not reachable by user postgres
    shutil.chown(base, "postgres")
    data = base / "data"
    port = _free_port()
    _as_postgres(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    _as_postgres(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-w",
        "-l",
        str(data.parent / "pg.log"),
        "-o",
        f"-c listen_addresses=127.0.0.1 -p {port} -k {data.parent} -c fsync=off",
        "start",
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        _as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state' / 'patrol.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'patrol.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        _reset_pg(url)
    opened = Store.open(url)
    yield opened
    opened.close()


def _reset_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
