"""Fixtures of the tickets tests: a local SMTP server (aiosmtpd), a local HTTP server that is a
JSON webhook and speaks the few Jira REST endpoints patrol uses, stores with runs built through
the real Store API, and service files."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller

from patrol.models import CheckResult, DeviceClass, Finding, Host, HostResult, HostStatus, Outcome, Severity
from patrol.store import Store
from tests.conftest import free_ports


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@dataclass
class Smtp:
    port: int
    box: Mailbox

    @property
    def messages(self) -> list[Message]:
        return self.box.messages


@contextmanager
def running_smtp() -> Iterator[Smtp]:
    box = Mailbox()
    port = free_ports(1)[0]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield Smtp(port, box)
    controller.stop()


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    with running_smtp() as server:
        yield server


@dataclass
class HttpPeer:
    """What the HTTP stand-in received; ``fail`` makes the next N requests answer 503."""

    port: int
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    fail: int = 0
    issues: dict[str, str] = field(default_factory=dict)  # key -> status

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def posts(self, path: str) -> list[Any]:
        return [body for method, p, body in self.requests if method == "POST" and p == path]


def _route(handler: Any, peer: HttpPeer, method: str, parts: list[str], body: Any) -> None:
    """The webhook (``/hook``) and Jira's issue create / transitions / comment endpoints."""
    if parts[1:2] == ["hook"]:
        handler._answer(200, {"ok": True})
    elif parts[1:5] == ["rest", "api", "2", "issue"] and len(parts) == 5:
        key = f"OPS-{len(peer.issues) + 1}"
        peer.issues[key] = "Open"
        handler._answer(201, {"id": str(len(peer.issues)), "key": key})
    elif len(parts) == 7 and parts[6] == "transitions" and method == "GET":
        handler._answer(200, {"transitions": [{"id": "31", "name": "Done"}, {"id": "41", "name": "Reopen"}]})
    elif len(parts) == 7 and parts[6] == "transitions":
        peer.issues[parts[5]] = {"31": "Done", "41": "Open"}[body["transition"]["id"]]
        handler._answer(204)
    elif len(parts) == 7 and parts[6] == "comment":
        handler._answer(201, {"id": "1"})
    else:
        handler._answer(404, {"errorMessages": ["no such endpoint"]})


def _handler(peer: HttpPeer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def _answer(self, code: int, body: Any = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            peer.requests.append((method, self.path, body))
            if peer.fail > 0:
                peer.fail -= 1
                self._answer(503, {"error": "try later"})
                return
            _route(self, peer, method, self.path.split("/"), body)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    return Handler


@contextmanager
def running_http() -> Iterator[HttpPeer]:
    peer = HttpPeer(port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(peer))
    peer.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield peer
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_peer() -> Iterator[HttpPeer]:
    with running_http() as peer:
        yield peer


def write_service(path: Path, **data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'patrol.db'}") as opened:
        yield opened


def host(name: str, groups: Sequence[str] = ("core",)) -> Host:
    return Host(name=name, address="127.0.0.1", device_class=DeviceClass.NETWORK, platform="cisco_ios",
                collector="netmiko", groups=tuple(groups))  # fmt: skip


def make_run(
    store: Store,
    run_id: str,
    *,
    unreachable: Sequence[str] = (),
    failing: Sequence[tuple[str, str, str]] = (),
    passing: Sequence[tuple[str, str, str]] = (),
    not_evaluated: Sequence[tuple[str, str, str]] = (),
    severity: Severity = Severity.URGENT,
    groups: Sequence[str] = ("core",),
) -> str:
    """A finished run built through the real Store API: (host, check, object) results per outcome."""
    keys = [*failing, *passing, *not_evaluated]
    names = sorted({k[0] for k in keys} | set(unreachable))
    store.create_run(run_id, inventory=["inv"], profiles=["p"], limit=None, forks=1,
                     hosts=[host(n, groups) for n in names])  # fmt: skip
    for name in names:
        status = HostStatus.UNREACHABLE if name in unreachable else HostStatus.OK
        store.record_host_result(run_id, HostResult(host=name, status=status, collector="netmiko"))
    results = [CheckResult(host=h, check_id=c, object=o, outcome=Outcome.FAIL, message="bad: password s3cret-X")
               for h, c, o in failing]  # fmt: skip
    results += [CheckResult(host=h, check_id=c, object=o, outcome=Outcome.PASS) for h, c, o in passing]
    results += [CheckResult(host=h, check_id=c, object=o, outcome=Outcome.NOT_EVALUATED) for h, c, o in not_evaluated]
    findings = [
        Finding(run_id=run_id, host=h, check_id=c, object=o, severity=severity, domain=DeviceClass.NETWORK,
                title_en=f"{c} fails", title_zh="不合規", message=f"{c} failed on {h}: password s3cret-X",
                evidence={"matched_lines": ["enable password 0 s3cret-X"]})
        for h, c, o in failing
    ]  # fmt: skip
    store.record_checks(run_id, results, findings)
    from patrol.models import RunStatus

    store.finish_run(run_id, RunStatus.COMPLETED)
    return run_id
