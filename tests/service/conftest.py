"""Service fixtures: a store per test and a real ``patrol serve`` process on a free loopback port."""

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

from patrol.store import Store
from tests.conftest import ROOT, PatrolCLI


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


def start_server(cli: PatrolCLI, *args: str, env: dict[str, str] | None = None) -> Server:
    port = free_port()
    log = cli.home.parent / f"serve-{port}.log"
    cli.home.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "patrol", "serve", "--bind", f"127.0.0.1:{port}", *args],
                                cwd=ROOT, env=cli.env | (env or {}), stdout=sink, stderr=subprocess.STDOUT)  # fmt: skip
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"patrol serve exited {proc.returncode}: {log.read_text()}")
        try:
            if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.stop()
    raise AssertionError(f"patrol serve did not answer in 30 s: {log.read_text()}")


def wait_for(predicate: Any, timeout: float = 60, every: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met in {timeout} s")
