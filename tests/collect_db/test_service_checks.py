"""The shipped profiles (inspect/database.yml, middleware.yml) on snapshots of real servers, and the
generic HTTP collector (Prometheus text, JSON health, nginx stub_status) against a real HTTP server."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from patrol.checks import evaluate, findings_for, load_profiles
from patrol.collect.httpmetrics import HttpMetricsCollector, parse_prometheus, parse_stub_status
from patrol.collect.postgres import PostgresCollector
from patrol.collect.redis import RedisCollector
from patrol.lab.db_servers import Server
from patrol.models import Host, HostResult, HostStatus, Outcome
from patrol.paths import PROFILES_DIR
from tests.collect_db.conftest import PASSWORD, collect, service_host

PROFILES = load_profiles([PROFILES_DIR])
METRICS = """# HELP up scrape ok
# TYPE up gauge
up{job="tomcat",instance="app1:8080"} 1
up{job="tomcat",instance="app2:8080"} 0
rabbitmq_queue_messages_ready{queue="orders",vhost="/"} 25000
rabbitmq_queue_messages_ready{queue="audit",vhost="/"} 3
tomcat_threadpool_currentthreadsbusy{name="http-nio-8080"} 12
process_start_time_seconds 1.7e9
"""
STUB = "Active connections: 3 \nserver accepts handled requests\n 100 97 250 \nReading: 0 Writing: 1 Waiting: 2 \n"
PAGES = {"/metrics": ("text/plain", METRICS), "/health": ("application/json", json.dumps(
    {"status": "DOWN", "components": {"db": {"status": "DOWN"}}})), "/nginx_status": ("text/plain", STUB),
    "/secret": ("text/plain", "")}  # fmt: skip


def _failed(host: Host, result: HostResult) -> list[str]:
    results = evaluate(PROFILES, host, result.snapshot, result.status)
    assert [r for r in results if r.outcome is Outcome.ERROR] == []
    findings = findings_for("r1", host, results, PROFILES, result)
    assert all(f.title_en and f.title_zh and "{actual" not in f.title_en for f in findings)
    return sorted(f"{f.check_id} {f.object}".strip() for f in findings)


def test_database_profile_finds_the_seeded_faults(pg_pair: tuple[Server, Server], tmp_path: Path) -> None:
    primary, replica = pg_pair
    hosts = [service_host("pg1", "postgresql", "postgresql", primary.port, patrol_expect_replicas=2,
                          patrol_db_capacity_bytes=20_000_000),
             service_host("pg2", "postgresql", "postgresql", replica.port)]  # fmt: skip
    results = collect(PostgresCollector(), hosts, tmp_path)
    assert _failed(hosts[0], results["pg1"]) == [
        "db.backup.recent", "db.replica.missing", "db.size.used pg_default"]  # fmt: skip
    assert _failed(hosts[1], results["pg2"]) == []


def test_a_database_down_is_a_coverage_gap(closed_port: int, tmp_path: Path) -> None:
    host = service_host("pg9", "postgresql", "postgresql", closed_port, timeout=2)
    result = collect(PostgresCollector(), [host], tmp_path)["pg9"]
    assert result.status is HostStatus.UNREACHABLE
    finding = findings_for("r1", host, evaluate(PROFILES, host, None, result.status), PROFILES, result)
    assert [f.check_id for f in finding] == ["coverage.not_inspected"] and "patrol_db_port" in finding[0].message


def test_middleware_profile_on_redis(redis_server: Server, tmp_path: Path) -> None:
    from tests.collect_db.test_redis_mysql import _fill

    _fill(redis_server.port, 2000)
    host = service_host("redis1", "redis", "redis", redis_server.port, user=None)
    result = collect(RedisCollector(), [host], tmp_path)["redis1"]
    assert _failed(host, result) == ["mw.redis.evictions", "mw.redis.memory"]


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/hang":
            time.sleep(5)
        if self.path == "/secret" and self.headers.get("Authorization") is None:
            self.send_response(401)
            self.end_headers()
            return
        kind, body = PAGES.get(self.path, ("text/plain", "nope"))
        self.send_response(200 if self.path in PAGES else 404)
        self.send_header("Content-Type", kind)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError):  # the client gave up (the hang case)
            self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def http_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_http_targets_and_their_checks(http_port: int, tmp_path: Path) -> None:
    def target(name: str, platform: str, **kw: object) -> Host:
        return service_host(name, platform, "http_metrics", http_port, user=None, password=None, timeout=1.5, **kw)

    hosts = [target("exporter", "prometheus"), target("app-health", "http_json"), target("web-nginx", "nginx"),
             target("hung", "prometheus", patrol_path="/hang"), target("missing", "http_json", patrol_path="/x"),
             target("locked", "prometheus", patrol_path="/secret")]  # fmt: skip
    results = collect(HttpMetricsCollector(), hosts, tmp_path)
    status = {name: r.status for name, r in results.items()}
    assert status == {"exporter": HostStatus.OK, "app-health": HostStatus.OK, "web-nginx": HostStatus.OK,
                      "hung": HostStatus.TIMEOUT, "missing": HostStatus.ERROR,
                      "locked": HostStatus.AUTH_FAILED}  # fmt: skip
    assert f"127.0.0.1:{http_port}/hang" in (results["hung"].error or "")
    by_name = {h.name: h for h in hosts}
    assert _failed(by_name["exporter"], results["exporter"]) == [
        'mw.exporter.up up{instance="app2:8080",job="tomcat"}',
        'mw.rabbitmq.queue_ready rabbitmq_queue_messages_ready{queue="orders",vhost="/"}']  # fmt: skip
    assert _failed(by_name["app-health"], results["app-health"]) == ["mw.health.status"]
    assert _failed(by_name["web-nginx"], results["web-nginx"]) == ["mw.nginx.dropped"]


def test_parsers() -> None:
    samples = parse_prometheus(METRICS, include=["^up$"])
    assert samples == [{"name": "up", "labels": {"job": "tomcat", "instance": "app1:8080"}, "value": 1.0},
                       {"name": "up", "labels": {"job": "tomcat", "instance": "app2:8080"}, "value": 0.0}]  # fmt: skip
    assert parse_stub_status(STUB)["dropped"] == 3
    with pytest.raises(ValueError, match="stub_status"):
        parse_stub_status("<html>")
    assert PASSWORD  # the module's canary is only used by the server fixtures here
