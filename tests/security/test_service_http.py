"""Issue 14 §6 against a real `patrol serve`: bounded request bodies, docs behind a token, the
dashboard cookie is a server-side session (ended at logout), and HTTPS with --certfile/--keyfile."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from patrol.service.tokens import add_token
from patrol.store import Store
from tests.conftest import PatrolCLI
from tests.service.conftest import Server, _spawn, start_server

Site = tuple[PatrolCLI, Server, dict[str, str]]
JSON = {"Content-Type": "application/json"}


def _tokens(cli: PatrolCLI) -> dict[str, str]:
    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        return {role: add_token(store, f"h-{role}", role) for role in ("viewer", "operator")}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    cli = PatrolCLI(tmp_path_factory.mktemp("http") / "home")
    tokens = _tokens(cli)
    server = start_server(cli, "--tick", "1")
    yield cli, server, tokens
    server.stop()


def test_request_bodies_over_one_mib_are_refused(site: Site) -> None:
    _, server, tokens = site
    big = b'{"title": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    for token in (None, tokens["operator"]):  # before authentication, before the body is read
        answer = server.call("POST", "/api/v1/tickets", token, content=big, headers=JSON)
        assert answer.status_code == 413 and "at most 1048576 bytes" in answer.json()["detail"], answer.text

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"title": "'
        for _ in range(20):
            yield b"y" * 65536
        yield b'"}'

    streamed = server.call("POST", "/api/v1/tickets", tokens["operator"], content=chunks(), headers=JSON)
    assert streamed.status_code == 413, streamed.text
    small = server.call("POST", "/api/v1/tickets", tokens["operator"], json={})
    assert small.status_code == 422  # an ordinary body still reaches validation
    assert server.call("GET", "/healthz").status_code == 200


def test_docs_need_a_token(site: Site) -> None:
    _, server, tokens = site
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert server.call("GET", path).status_code == 401, path
        assert server.call("GET", path, "ptl_wrong").status_code == 401, path
        assert server.call("GET", path, tokens["viewer"]).status_code == 200, path
    assert "/api/v1/runs" in server.call("GET", "/openapi.json", tokens["viewer"]).json()["paths"]


def test_public_docs_opens_them(tmp_path: Path) -> None:
    cli = PatrolCLI(tmp_path / "home")
    _tokens(cli)
    server = start_server(cli, "--public-docs")
    try:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert server.call("GET", path).status_code == 200, path
        assert server.call("GET", "/api/v1/runs").status_code == 401  # the API itself stays closed
    finally:
        server.stop()


def _login(client: httpx.Client, url: str, token: str) -> httpx.Response:
    return client.post(url + "/ui/login", data={"token": token})


def test_the_dashboard_cookie_is_a_server_side_session_ended_at_logout(site: Site) -> None:
    cli, server, tokens = site
    with httpx.Client(timeout=30) as client:
        answer = _login(client, server.url, tokens["operator"])
        assert answer.status_code == 303, answer.text
        cookie = answer.headers["set-cookie"]
        session = client.cookies["patrol_session"]
        assert tokens["operator"] not in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "Secure" not in cookie  # plain HTTP here; see the HTTPS test
        assert client.get(server.url + "/ui/tickets").status_code == 200
        assert client.get(server.url + "/openapi.json").status_code == 200  # a browser session reads the docs
        with sqlite3.connect(cli.home / "patrol.db") as db:
            stored = [r[0] for r in db.execute("SELECT id_hash FROM web_sessions")]
        assert hashlib.sha256(session.encode()).hexdigest() in stored and session not in stored
        assert client.post(server.url + "/ui/logout").status_code == 303
    replay = httpx.get(server.url + "/ui/tickets", cookies={"patrol_session": session}, timeout=30)
    assert replay.status_code == 303 and replay.headers["location"] == "/ui/login"  # ended on the server
    token_as_cookie = httpx.get(server.url + "/ui/tickets", cookies={"patrol_session": tokens["operator"]}, timeout=30)
    assert token_as_cookie.status_code == 303  # the raw token is no session
    assert httpx.get(server.url + "/docs", cookies={"patrol_session": session}, timeout=30).status_code == 401


def test_revoking_a_token_ends_its_dashboard_sessions(site: Site) -> None:
    cli, server, _ = site
    secret = cli("token", "add", "wall", "--role", "viewer").stdout.strip()
    with httpx.Client(timeout=30) as client:
        assert _login(client, server.url, secret).status_code == 303
        assert client.get(server.url + "/ui/fleet").status_code == 200
        assert cli("token", "revoke", "wall").code == 0
        answer = client.get(server.url + "/ui/fleet")
        assert answer.status_code == 303 and answer.headers["location"] == "/ui/login"
        assert _login(client, server.url, secret).status_code == 401


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)  # fmt: skip
    return cert, key


def _https(server: Server, cert: Path) -> Server:
    server.url = server.url.replace("http://", "https://")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.proc.poll() is None, server.log.read_text()
        try:
            if httpx.get(server.url + "/healthz", verify=str(cert), timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"no HTTPS answer in 30 s: {server.log.read_text()}")


def test_serve_https_with_certfile_and_keyfile(tmp_path: Path, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    cli = PatrolCLI(tmp_path / "home")
    tokens = _tokens(cli)
    server = _https(_spawn(cli, ("--certfile", str(cert), "--keyfile", str(key)), None), cert)
    try:
        with httpx.Client(verify=str(cert), timeout=30) as client:
            assert client.get(server.url + "/api/v1/runs", headers={"Authorization": f"Bearer {tokens['viewer']}"}
                              ).status_code == 200  # fmt: skip
            login = _login(client, server.url, tokens["viewer"])
            assert login.status_code == 303 and "Secure" in login.headers["set-cookie"]
        with pytest.raises(httpx.TransportError):  # no plain HTTP on that port
            httpx.get(server.url.replace("https://", "http://") + "/healthz", timeout=5)
    finally:
        server.stop()
    half = cli("serve", "--bind", "127.0.0.1:1", "--certfile", str(cert))
    assert half.code == 2 and "both --certfile and --keyfile" in half.stderr
