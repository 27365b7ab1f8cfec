"""Service fixtures: a store per test, real ``patrol serve`` processes on free loopback ports, and
``api_site``: one served home with a run of core-sw1 and a token per role, shared by the API
write tests and the fuzzer (which runs after them and may add what it likes)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from patrol.service.tokens import add_token
from patrol.store import Store
from tests.conftest import LAB_INVENTORY, LAB_VAULT, ROOT, PatrolCLI


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'patrol.db'}") as opened:
        yield opened


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running ``patrol serve``; ``get``/``post`` send the given token."""

    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {})) | ({"Authorization": f"Bearer {token}"} if token else {})
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kw)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout=60)


def _spawn(cli: PatrolCLI, args: tuple[str, ...], env: dict[str, str] | None) -> Server:
    port = free_port()
    log = cli.home.parent / f"serve-{port}.log"
    cli.home.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "patrol", "serve", "--bind", f"127.0.0.1:{port}", *args],
                                cwd=ROOT, env=cli.env | (env or {}), stdout=sink, stderr=subprocess.STDOUT)  # fmt: skip
    return Server(proc, f"http://127.0.0.1:{port}", log)


def _answering(server: Server, deadline: float) -> Server:
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise AssertionError(f"patrol serve exited {server.proc.returncode}: {server.log.read_text()}")
        try:
            if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.stop()
    raise AssertionError(f"patrol serve did not answer in 30 s: {server.log.read_text()}")


def start_server(cli: PatrolCLI, *args: str, env: dict[str, str] | None = None) -> Server:
    return start_servers(1, cli, *args, env=env)[0]


def start_servers(count: int, cli: PatrolCLI, *args: str, env: dict[str, str] | None = None) -> list[Server]:
    """``count`` ``patrol serve`` processes on the same home/database, started side by side."""
    spawned = [_spawn(cli, args, env) for _ in range(count)]
    deadline = time.monotonic() + 30
    try:
        return [_answering(server, deadline) for server in spawned]
    except AssertionError:
        for server in spawned:
            server.stop()
        raise


def stop_servers(servers: list[Server]) -> list[int]:
    """SIGTERM every server first, then wait for each: their drains overlap."""
    for server in servers:
        if server.proc.poll() is None:
            server.proc.terminate()
    return [server.proc.wait(timeout=60) for server in servers]  # one SIGTERM each: a second one kills


def wait_for(predicate: Any, timeout: float = 60, every: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met in {timeout} s")


Site = tuple[PatrolCLI, Server, dict[str, str]]


@pytest.fixture(scope="session")
def api_site(tmp_path_factory: pytest.TempPathFactory, lab: Any) -> Iterator[Site]:
    cli = PatrolCLI(tmp_path_factory.mktemp("api") / "home")
    added = cli("schedule", "add", "core", "--cron", "0 2 * * *", "--limit", "core-sw1", "-i", str(LAB_INVENTORY),
                "--vault-password-file", str(LAB_VAULT))  # fmt: skip
    assert added.code == 0, added.output
    ran = cli("schedule", "run-now", "core")  # runs, hosts, findings and tickets to work on
    assert ran.code == 0, ran.output
    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        tokens = {role: add_token(store, f"t-{role}", role) for role in ("viewer", "operator", "approver")}
    server = start_server(cli, "--tick", "5")
    yield cli, server, tokens
    server.stop()
