"""HTTP(S) business applications as inventory hosts (platform ``http``), with httpx on asyncio.

All targets of a batch share one event loop and one client, at most ``ctx.forks`` at a time, each
bounded by its ``patrol_connect_timeout`` (DNS, TLS) and ``patrol_command_timeout`` (the answer).
Inventory variables of a target::

    patrol_platform: http
    patrol_url: https://shop.example.com/login     # required
    patrol_expect_status: [200]                    # default [200]
    patrol_expect_text: "Sign in"                  # substring the answer must contain (optional)
    patrol_ca_file: /etc/pki/corp-ca.pem           # trust this CA instead of the system store
    patrol_transactions: [login]                   # inspect/transactions/login.yml (see .transactions)

Snapshot (``Snapshot.model_dump(mode="json")``, abridged)::

    {"host": "app-web", "device_class": "host", "platform": "http",
     "facts": {"hostname": "localhost", "vendor": "nginx/1.22.1"},
     "certificates": [{"path": "https://localhost:18443", "subject": "CN=localhost",
                       "not_after": "2026-12-14T17:00:00Z"}],
     "extra": {"http": {"url": "https://localhost:18443/", "status_code": 200, "client_status": 200,
                        "latency_ms": 12.5, "final_url": "https://localhost:18443/login",
                        "redirects": ["https://localhost:18443/ -> 302"], "content_ok": true,
                        "addresses": ["127.0.0.1"]},
               "tls": {"chain_valid": true, "hostname_match": true, "self_signed": false, ...},
               "transaction_failures": []}}

``client_status`` is the status when below 500 (5xx is judged by its own, critical check);
``content_ok`` / ``transaction_failures`` are null when nothing is expected. Certificates are
judged on the first hop only: later hops of a redirect chain are fetched without verification.

Failures are per target: a name that does not resolve or a refused connection is
``unreachable``, an endpoint that does not answer in time is ``timeout``; the message names the
URL and what to check. A bad certificate is never a failure to collect: it is collected and judged.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import httpx

from patrol.collect.base import CollectContext, Emit, failure_result
from patrol.collect.tls import TlsFacts, probe_tls
from patrol.collect.transactions import Transaction, judge_step, load_transaction
from patrol.errors import CollectError, CollectTimeout, PatrolError, UnreachableError
from patrol.models import Certificate, DeviceClass, Facts, Host, HostResult, HostStatus, Snapshot, utcnow
from patrol.paths import PROFILES_DIR

__all__ = ["HTTP_PLATFORM", "HttpCollector", "HttpPlatform"]

log = logging.getLogger(__name__)

#: at most this much of an answer is read and searched
BODY_LIMIT = 1_000_000


@dataclass
class HttpPlatform:
    """The ``http`` platform: an application endpoint, served by the ``http`` collector."""

    name: str = "http"
    collector: str = "http"
    default_device_class: DeviceClass | None = DeviceClass.HOST


HTTP_PLATFORM = HttpPlatform()


@dataclass(frozen=True)
class _Target:
    host: Host
    url: str
    hostname: str
    port: int
    https: bool

    @classmethod
    def of(cls, host: Host) -> _Target:
        url = str(host.vars.get("patrol_url") or "")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CollectError(host.name, f"patrol_url {url!r} is not an http(s) URL: set patrol_url for this host")
        https = parts.scheme == "https"
        return cls(host, url, parts.hostname, parts.port or (443 if https else 80), https)

    def where(self) -> str:
        return f"{self.url} ({self.host.name})"


def _status_list(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [int(v) for v in values]


async def _resolve(target: _Target) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(target.hostname, target.port, type=socket.SOCK_STREAM), target.host.connect_timeout
        )
    except TimeoutError:
        raise CollectTimeout(
            target.host.name,
            f"DNS lookup of {target.hostname!r} for {target.where()} did not answer in "
            f"{target.host.connect_timeout:g}s: check the resolver (/etc/resolv.conf)",
        ) from None
    except OSError as exc:
        raise UnreachableError(
            target.host.name,
            f"DNS name {target.hostname!r} of {target.where()} does not resolve ({exc}): "
            "check the name in patrol_url and the DNS records",
        ) from None
    return sorted({str(info[4][0]) for info in infos})


def _timeout(host: Host) -> httpx.Timeout:
    return httpx.Timeout(host.command_timeout, connect=host.connect_timeout)


async def _request(client: httpx.AsyncClient, target: _Target, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request; connection faults become the target's status with what to check."""
    try:
        return await client.request(method, url, timeout=_timeout(target.host), **kwargs)
    except httpx.TimeoutException as exc:
        raise CollectTimeout(
            target.host.name,
            f"{method} {url} did not answer within {target.host.command_timeout:g}s "
            f"({type(exc).__name__}): the endpoint hangs; check the application and its upstreams",
        ) from None
    except httpx.ConnectError as exc:
        raise UnreachableError(
            target.host.name, f"cannot connect to {url} ({exc}): check that the service listens and the firewall"
        ) from None
    except httpx.HTTPError as exc:
        raise CollectError(target.host.name, f"{method} {url} failed: {type(exc).__name__}: {exc}") from None


async def _fetch(client: httpx.AsyncClient, target: _Target) -> tuple[dict[str, Any], httpx.Response]:
    started = time.perf_counter()
    response = await _request(client, target, "GET", target.url)
    latency = round((time.perf_counter() - started) * 1000, 1)
    text = response.text[:BODY_LIMIT]
    status = response.status_code
    expected = _status_list(target.host.vars.get("patrol_expect_status", [200]))
    want_text = target.host.vars.get("patrol_expect_text")
    http = {
        "url": target.url,
        "status_code": status,
        "client_status": status if status < 500 else None,
        "expected_status": expected,
        "latency_ms": latency,
        "final_url": str(response.url),
        "redirects": [f"{r.url} -> {r.status_code}" for r in response.history],
        "content_ok": None if want_text is None else str(want_text) in text,
        "expected_text": want_text,
    }
    return http, response


async def _tls(target: _Target) -> TlsFacts | None:
    if not target.https:
        return None
    ca_file = target.host.vars.get("patrol_ca_file")
    try:
        return await probe_tls(target.hostname, target.port, target.hostname, target.host.connect_timeout,
                               str(ca_file) if ca_file else None)  # fmt: skip
    except TimeoutError:
        raise CollectTimeout(target.host.name, f"TLS handshake with {target.where()} did not finish in "
                             f"{target.host.connect_timeout:g}s: check the TLS listener") from None  # fmt: skip
    except OSError as exc:  # ssl.SSLError included: no handshake at all (protocol, cipher)
        return TlsFacts(verify_error=f"TLS handshake failed: {exc}", chain_valid=False)


def _transactions_dir(host: Host) -> Path:
    configured = host.vars.get("patrol_transactions_dir")
    return Path(str(configured)) if configured else PROFILES_DIR / "transactions"


async def _run_transaction(client: httpx.AsyncClient, target: _Target, transaction: Transaction) -> str | None:
    for step in transaction.steps:
        kwargs: dict[str, Any] = {"headers": step.headers}
        if step.json_ is not None:
            kwargs["json"] = step.json_
        elif step.body is not None:
            kwargs["content"] = step.body
        try:
            response = await _request(client, target, step.method, urljoin(target.url, step.url), **kwargs)
        except CollectError as exc:
            return f"{transaction.transaction}: step {step.name!r}: {exc}"
        problem = judge_step(step, response.status_code, response.text[:BODY_LIMIT])
        if problem:
            return f"{transaction.transaction}: step {step.name!r}: {problem}"
    return None


async def _transactions(client: httpx.AsyncClient, target: _Target) -> list[str] | None:
    names = target.host.vars.get("patrol_transactions")
    if not names:
        return None
    failures = []
    for name in names if isinstance(names, list) else [names]:
        try:
            transaction = load_transaction(_transactions_dir(target.host), str(name))
        except PatrolError as exc:
            failures.append(f"{name}: {exc}")
            continue
        failure = await _run_transaction(client, target, transaction)
        if failure:
            failures.append(failure)
    return failures


def _snapshot(target: _Target, addresses: list[str], http: dict[str, Any], response: httpx.Response,
              tls: TlsFacts | None, failures: list[str] | None) -> Snapshot:  # fmt: skip
    http["addresses"] = addresses
    origin = f"{'https' if target.https else 'http'}://{target.hostname}:{target.port}"
    certificates = []
    if tls is not None:
        certificates.append(Certificate(path=origin, subject=tls.subject, not_after=tls.not_after,
                                        error=None if tls.not_after else tls.verify_error))  # fmt: skip
    return Snapshot(
        host=target.host.name,
        device_class=target.host.device_class,
        platform=HTTP_PLATFORM.name,
        collected_at=utcnow(),
        facts=Facts(hostname=target.hostname, vendor=response.headers.get("server")),
        certificates=certificates,
        extra={"http": http, "tls": tls.as_dict() if tls else None, "transaction_failures": failures},
    )


async def collect_target(client: httpx.AsyncClient, host: Host) -> Snapshot:
    """One target's snapshot; raises a :class:`CollectError` for an unreachable or hanging target."""
    target = _Target.of(host)
    addresses = await _resolve(target)
    http, response = await _fetch(client, target)
    tls = await _tls(target)
    failures = await _transactions(client, target)
    return _snapshot(target, addresses, http, response, tls, failures)


class HttpCollector:
    """Collects HTTP(S) targets; see the module docstring for the variables and the shape."""

    name: ClassVar[str] = "http"

    def collect(self, hosts: Sequence[Host], ctx: CollectContext, emit: Emit) -> None:
        """Collect every target concurrently (at most ``ctx.forks`` at once); one result each."""
        if hosts:
            asyncio.run(self._collect_all(hosts, ctx, emit))

    async def _collect_all(self, hosts: Sequence[Host], ctx: CollectContext, emit: Emit) -> None:
        limit = asyncio.Semaphore(max(1, ctx.forks))
        limits = httpx.Limits(max_connections=max(1, ctx.forks), max_keepalive_connections=max(1, ctx.forks))
        async with httpx.AsyncClient(verify=False, follow_redirects=True, limits=limits,  # judged by probe_tls
                                     headers={"User-Agent": "patrol-inspection"}) as client:  # fmt: skip
            await asyncio.gather(*(self._one(client, host, ctx, emit, limit) for host in hosts))

    async def _one(
        self, client: httpx.AsyncClient, host: Host, ctx: CollectContext, emit: Emit, limit: asyncio.Semaphore
    ) -> None:
        async with limit:
            started = utcnow()
            if ctx.cancel.is_set():
                emit(HostResult(host=host.name, status=HostStatus.ABORTED, collector=self.name,
                                error="run cancelled before the target was collected", started_at=started,
                                finished_at=utcnow()))  # fmt: skip
                return
            try:
                snapshot = await collect_target(client, host)
            except Exception as exc:  # one target's failure is data, never the batch's end
                log.info("http %s: %s", host.name, type(exc).__name__)
                emit(failure_result(host, self.name, exc, started))
                return
            emit(HostResult(host=host.name, status=HostStatus.OK, collector=self.name, snapshot=snapshot,
                            started_at=started, finished_at=utcnow()))  # fmt: skip
