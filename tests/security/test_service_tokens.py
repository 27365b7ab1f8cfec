"""Issue 14 §6 against a real `patrol serve`: tokens expire and are revoked, and looking a token
up never takes the store's write lock (a flood of bad tokens cannot hold up writers)."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from patrol.service.tokens import add_token, authenticate, list_tokens
from patrol.store import SCHEMA_VERSION, Store
from tests.conftest import PatrolCLI
from tests.service.conftest import Server, start_server, wait_for

RUNS = "/api/v1/runs"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PatrolCLI, Server]]:
    cli = PatrolCLI(tmp_path_factory.mktemp("tokens") / "home")
    assert cli("token", "list").code == 0  # the store exists before the server starts
    server = start_server(cli, "--tick", "1")
    yield cli, server
    server.stop()


def _row(cli: PatrolCLI, name: str) -> str:
    listed = cli("token", "list")
    assert listed.code == 0, listed.output
    return next(line for line in listed.stdout.splitlines() if f" {name} " in line)


def _last_used(cli: PatrolCLI, name: str) -> str:
    return [cell.strip() for cell in _row(cli, name).split("│") if cell.strip()][-1]


def test_a_token_with_expires_shows_its_expiry_and_stops_working_after_it(served: tuple[PatrolCLI, Server]) -> None:
    cli, server = served
    made = cli("token", "add", "ci", "--role", "viewer", "--expires", "90d")
    assert made.code == 0 and "expires 20" in made.stderr, made.output
    row = _row(cli, "ci")
    assert "valid" in row and len(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", row)) == 2, row  # created, expires
    assert server.call("GET", RUNS, made.stdout.strip()).status_code == 200
    bad = cli("token", "add", "x", "--role", "viewer", "--expires", "soon")
    assert bad.code == 2 and "--expires 'soon'" in bad.stderr and "90d" in bad.stderr
    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        brief = add_token(store, "brief", "viewer", timedelta(seconds=2))
    assert server.call("GET", RUNS, brief).status_code == 200
    time.sleep(2.5)
    expired = server.call("GET", RUNS, brief)
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    assert "expired" in _row(cli, "brief")


def test_a_revoked_token_is_refused_and_listed_as_revoked(served: tuple[PatrolCLI, Server]) -> None:
    cli, server = served
    secret = cli("token", "add", "laptop", "--role", "operator").stdout.strip()
    assert server.call("GET", RUNS, secret).status_code == 200
    revoked = cli("token", "revoke", "laptop")
    assert revoked.code == 0 and "revoked" in revoked.stdout
    assert server.call("GET", RUNS, secret).status_code == 401
    assert "revoked" in _row(cli, "laptop")
    assert cli("token", "revoke", "nobody").code == 2


def test_last_use_is_recorded_without_the_request_writing(served: tuple[PatrolCLI, Server]) -> None:
    cli, server = served
    secret = cli("token", "add", "screen", "--role", "viewer").stdout.strip()
    assert _last_used(cli, "screen") == "-"  # never used
    assert server.call("GET", RUNS, secret).status_code == 200
    wait_for(lambda: _last_used(cli, "screen").endswith(" UTC"), timeout=10)


def test_token_look_up_does_not_wait_for_a_writer(served: tuple[PatrolCLI, Server]) -> None:
    """Another process holds the SQLite write lock: bad and good tokens are still answered at once
    (a look-up that wrote would wait for the lock's 15 s busy timeout, then fail)."""
    cli, server = served
    good = cli("token", "add", "reader", "--role", "viewer").stdout.strip()
    holder = sqlite3.connect(cli.home / "patrol.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        assert server.call("GET", RUNS, "ptl_bad").status_code == 401
        assert server.call("GET", RUNS, good).status_code == 200
        assert time.monotonic() - started < 5
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_flood_of_bad_tokens_does_not_hold_up_a_writer(served: tuple[PatrolCLI, Server]) -> None:
    cli, server = served
    stop, answers = threading.Event(), []

    def flood() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                answers.append(client.get(server.url + RUNS, headers={"Authorization": "Bearer ptl_guess"}).status_code)

    threads = [threading.Thread(target=flood) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
            started = time.monotonic()
            for n in range(20):
                add_token(store, f"w{n}", "viewer")  # each one a write transaction
            took = time.monotonic() - started
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert took < 5, f"20 writes took {took:.1f} s under the flood"
    assert len(answers) > 50 and set(answers) == {401}


def test_a_database_from_before_token_expiry_is_migrated_and_its_tokens_keep_working(tmp_path: Path) -> None:
    """A database from before the migration (tokens without expiry/revocation columns, no sessions)
    opens, gains them, and its existing token still authenticates."""
    db = tmp_path / "old.db"
    with Store.open(f"sqlite:///{db}") as store:
        secret = add_token(store, "old", "viewer")
    with sqlite3.connect(db) as old:  # back to the schema of version 7
        old.execute("DROP TABLE web_sessions")
        old.execute("ALTER TABLE api_tokens DROP COLUMN expires_at")
        old.execute("ALTER TABLE api_tokens DROP COLUMN revoked_at")
        old.execute("DROP TABLE change_leases")  # migration 9, after this one
        old.execute("DELETE FROM schema_version WHERE version > 7")
    with Store.open(f"sqlite:///{db}") as store:
        info = authenticate(store, secret)
        assert info is not None and info.expires_at is None and info.revoked_at is None
        assert [t.name for t in list_tokens(store)] == ["old"]
    with sqlite3.connect(db) as upgraded:
        assert max(v for (v,) in upgraded.execute("SELECT version FROM schema_version")) == SCHEMA_VERSION
        columns = {row[1] for row in upgraded.execute("PRAGMA table_info(api_tokens)")}
        assert {"expires_at", "revoked_at"} <= columns
        assert upgraded.execute("SELECT count(*) FROM web_sessions").fetchone() == (0,)
