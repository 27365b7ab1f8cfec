"""Generic HTTP collection: Prometheus metrics, JSON health endpoints and nginx ``stub_status``.

One GET of ``patrol_url`` (else ``http://ansible_host:patrol_port/<default path>``) per target,
with ``patrol_connect_timeout`` for the whole answer. Platforms:

* ``prometheus`` — Prometheus text format (Tomcat/JMX exporter, RabbitMQ, Kafka exporter …):
  samples go to ``extra.metrics`` as ``[{"name", "labels", "value"}]``; checks on them are data,
  kind ``metric`` (``patrol.checks.metric``). ``patrol_metrics_include`` (regexes) keeps only
  matching names; at most :data:`MAX_SAMPLES` samples are kept.
* ``http_json`` — a JSON body (Spring Boot actuator, RabbitMQ API …) kept under ``extra.health``;
  checks are ``equals`` / ``threshold`` on ``extra.health.<path>``.
* ``nginx`` — ``stub_status``: ``extra.nginx`` = active, accepts, handled, requests, reading,
  writing, waiting, dropped (accepts - handled).

Every target also gets ``extra.http = {"url", "status", "seconds"}``. A basic-auth login is
``patrol_db_user`` / ``patrol_db_password`` (vault); a non-2xx answer is ``error`` with the code
(401/403: ``auth_failed``).
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any, ClassVar

from patrol.collect.base import CollectContext, Emit
from patrol.collect.service import ServicePlatform, collect_all, endpoint, login, transport_error
from patrol.errors import AuthError, CollectError, ParseError
from patrol.models import Facts, Host, Snapshot, utcnow

__all__ = [
    "HTTP_JSON_PLATFORM",
    "MAX_SAMPLES",
    "NGINX_PLATFORM",
    "PROMETHEUS_PLATFORM",
    "HttpMetricsCollector",
    "parse_prometheus",
    "parse_stub_status",
]

PROMETHEUS_PLATFORM = ServicePlatform("prometheus", "http_metrics")
HTTP_JSON_PLATFORM = ServicePlatform("http_json", "http_metrics")
NGINX_PLATFORM = ServicePlatform("nginx", "http_metrics")
MAX_SAMPLES = 5000
_DEFAULTS = {"prometheus": (9100, "/metrics"), "http_json": (8080, "/health"), "nginx": (80, "/nginx_status")}
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"')
_STUB = re.compile(
    r"Active connections:\s*(\d+).*?\n\s*(\d+)\s+(\d+)\s+(\d+)"
    r".*?Reading:\s*(\d+)\s+Writing:\s*(\d+)\s+Waiting:\s*(\d+)",
    re.S,
)


def parse_prometheus(text: str, include: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Prometheus text exposition -> samples ``{"name", "labels", "value"}`` (comments skipped)."""
    keep = [re.compile(p) for p in include]
    samples = []
    for line in text.splitlines():
        match = _SAMPLE.match(line.strip())
        if not match or (keep and not any(k.search(match.group(1)) for k in keep)):
            continue
        try:
            value = float(match.group(4))
        except ValueError:
            continue
        labels = {k: v.replace('\\"', '"').replace("\\\\", "\\") for k, v in _LABEL.findall(match.group(3) or "")}
        samples.append({"name": match.group(1), "labels": labels, "value": value})
        if len(samples) >= MAX_SAMPLES:
            break
    return samples


def parse_stub_status(text: str) -> dict[str, int]:
    """nginx ``stub_status`` page -> counters; :class:`ValueError` if it is not one."""
    match = _STUB.search(text)
    if not match:
        raise ValueError("not an nginx stub_status page")
    active, accepts, handled, requests, reading, writing, waiting = (int(g) for g in match.groups())
    return {"active": active, "accepts": accepts, "handled": handled, "requests": requests, "reading": reading,
            "writing": writing, "waiting": waiting, "dropped": accepts - handled}  # fmt: skip


def _url(host: Host) -> str:
    explicit = host.vars.get("patrol_url")
    if explicit:
        return str(explicit)
    port, path = _DEFAULTS.get(host.platform, (80, "/"))
    address, port = endpoint(host, port)
    return f"http://{address}:{port}{host.vars.get('patrol_path') or path}"


def _fetch(host: Host, url: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Accept": "application/json, text/plain;q=0.9"})
    user, password = login(host)
    if user and password:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=host.connect_timeout) as answer:
            return int(answer.status), answer.read(8 * 1024 * 1024).decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise AuthError(host.name, f"{url} refused the request (HTTP {exc.code}) — check patrol_db_user / "
                            "patrol_db_password (vault)") from None  # fmt: skip
        raise CollectError(host.name, f"{url} answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason if isinstance(exc.reason, BaseException) else OSError(str(exc.reason))
        raise transport_error(host, url, reason, "The endpoint") from None
    except (TimeoutError, OSError) as exc:
        raise transport_error(host, url, exc, "The endpoint") from None


def _extra(host: Host, url: str, body: str) -> dict[str, Any]:
    try:
        if host.platform == "prometheus":
            include = host.vars.get("patrol_metrics_include") or ()
            return {"metrics": parse_prometheus(body, [str(i) for i in include])}
        if host.platform == "nginx":
            return {"nginx": parse_stub_status(body)}
        return {"health": json.loads(body)}
    except ValueError as exc:
        raise ParseError(host.name, f"{url}: the answer is not what platform {host.platform!r} reads ({exc})") from None


def collect_http(host: Host) -> Snapshot:
    """One HTTP metrics/health target's snapshot; raises CollectError on failure."""
    now, url = utcnow(), _url(host)
    started = time.monotonic()
    status, body = _fetch(host, url)
    extra = _extra(host, url, body)
    extra["http"] = {"url": url, "status": status, "seconds": round(time.monotonic() - started, 3)}
    return Snapshot(host=host.name, device_class=host.device_class, platform=host.platform, collected_at=now,
                    facts=Facts(hostname=host.name), extra=extra)  # fmt: skip


class HttpMetricsCollector:
    """Collects ``prometheus``, ``http_json`` and ``nginx`` targets concurrently."""

    name: ClassVar[str] = "http_metrics"

    def collect(self, hosts: Sequence[Host], ctx: CollectContext, emit: Emit) -> None:
        collect_all(self.name, hosts, ctx, emit, collect_http)
