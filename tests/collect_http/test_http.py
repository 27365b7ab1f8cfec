"""HttpCollector against real peers: the lab's nginx + app, Python HTTPS servers with bad
certificates, a hanging listener and a name that does not resolve. Findings come from the shipped
app-baseline profile, as a run would make them."""

from __future__ import annotations

from pathlib import Path

import pytest

from patrol import plugins
from patrol.checks.engine import evaluate, findings_for
from patrol.checks.profile import load_profiles
from patrol.collect.base import CollectContext
from patrol.collect.http import HTTP_PLATFORM, HttpCollector
from patrol.collect.tls import hostname_matches
from patrol.models import Finding, Host, HostResult, HostStatus
from patrol.paths import SHIPPED_PROFILES_DIR

from .conftest import TargetFactory, TlsServer

APP_PROFILE = SHIPPED_PROFILES_DIR / "app.yml"


def collect(hosts: list[Host], work_dir: Path) -> dict[str, HostResult]:
    results: list[HostResult] = []
    HttpCollector().collect(hosts, CollectContext(run_id="t", work_dir=work_dir, forks=8), results.append)
    assert len(results) == len(hosts), "exactly one result per target"
    return {result.host: result for result in results}


def findings(host: Host, result: HostResult) -> dict[str, Finding]:
    profiles = load_profiles([APP_PROFILE])
    checks = evaluate(profiles, host, result.snapshot, result.status, error=result.error)
    return {f.check_id: f for f in findings_for("t", host, checks, profiles, result)}


def test_http_is_a_registered_platform_and_collector() -> None:
    assert plugins.load("patrol.platforms", "http") is HTTP_PLATFORM
    assert plugins.load("patrol.collectors", "http") is HttpCollector


def test_lab_app_shows_the_seeded_certificate_and_server_error(
    web_lab: dict, target: TargetFactory, tmp_path: Path
) -> None:
    web = target("app-web", f"https://localhost:{web_lab['https']}/", patrol_expect_text="Sign in",
                 patrol_ca_file=web_lab["ca"], patrol_transactions=["lab-login"])  # fmt: skip
    api = target("app-api", f"http://localhost:{web_lab['http']}/api/orders")
    results = collect([web, api], tmp_path)
    assert results["app-web"].status is HostStatus.OK and results["app-api"].status is HostStatus.OK
    snap = results["app-web"].snapshot
    assert snap is not None and snap.platform == "http" and snap.facts.vendor.startswith("nginx")
    http, tls = snap.extra["http"], snap.extra["tls"]
    assert http["status_code"] == 200 and http["content_ok"] is True
    assert http["final_url"].endswith("/login") and http["redirects"] == [
        f"https://localhost:{web_lab['https']}/ -> 302"
    ]
    assert http["addresses"] and http["latency_ms"] > 0
    assert tls["chain_valid"] is True and tls["hostname_match"] is True and tls["issuer"] == "CN=patrol lab CA"
    assert snap.extra["transaction_failures"] == []
    web_findings = findings(web, results["app-web"])
    assert set(web_findings) == {"app.tls.expiry"}
    assert web_findings["app.tls.expiry"].severity == "urgent"
    assert 9 <= web_findings["app.tls.expiry"].evidence["days_left"] <= 10
    assert "renew it" in web_findings["app.tls.expiry"].title_en
    api_findings = findings(api, results["app-api"])
    assert set(api_findings) == {"app.http.server_error"}
    assert api_findings["app.http.server_error"].severity == "critical"
    assert api_findings["app.http.server_error"].title_en.startswith("The application answers HTTP 500")


def test_without_the_lab_ca_the_chain_is_untrusted(web_lab: dict, target: TargetFactory, tmp_path: Path) -> None:
    host = target("app-web", f"https://localhost:{web_lab['https']}/login")
    result = collect([host], tmp_path)["app-web"]
    assert result.snapshot is not None
    assert result.snapshot.extra["tls"]["verify_error"] == "unable to get local issuer certificate"
    assert {"app.tls.trusted", "app.tls.expiry"} == set(findings(host, result))


def test_a_failing_transaction_names_its_step(web_lab: dict, target: TargetFactory, tmp_path: Path) -> None:
    folder = tmp_path / "transactions"
    folder.mkdir()
    (folder / "orders.yml").write_text(
        "transaction: orders\nsteps:\n"
        "  - {name: health, url: /api/health, expect: {json: {path: version, equals: '2.0'}}}\n"
        "  - {name: list orders, url: /api/orders}\n",
        encoding="utf-8",
    )
    host = target("app-api", f"http://localhost:{web_lab['http']}/login",
                  patrol_transactions=["orders", "nosuch"], patrol_transactions_dir=str(folder))  # fmt: skip
    result = collect([host], tmp_path)["app-api"]
    assert result.snapshot is not None
    failures = result.snapshot.extra["transaction_failures"]
    assert failures[0] == "orders: step 'health': JSON field 'version' is '1.4.2', expected '2.0'"
    assert failures[1].startswith("nosuch: ") and "no such transaction file" in failures[1]
    finding = findings(host, result)["app.transactions"]
    assert finding.title_en.startswith("Synthetic transaction failed (") and "step 'health'" in finding.title_en


def test_certificate_faults_are_findings_never_failures(
    tls_server: TlsServer, target: TargetFactory, tmp_path: Path
) -> None:
    self_signed = target("self-signed", f"https://localhost:{tls_server('self', 200, 'localhost')}/")
    expired_port = tls_server("old", -3, "localhost")  # trusted (its own CA file), only expired
    expired = target("expired", f"https://localhost:{expired_port}/", patrol_ca_file=str(tmp_path / "old.pem"))
    misnamed = target("misnamed", f"https://localhost:{tls_server('other', 200, 'shop.example.com')}/")
    results = collect([self_signed, expired, misnamed], tmp_path)
    assert {name: r.status for name, r in results.items()} == dict.fromkeys(results, HostStatus.OK)
    assert set(findings(self_signed, results["self-signed"])) == {"app.tls.trusted"}
    assert results["self-signed"].snapshot.extra["tls"]["self_signed"] is True
    expired_findings = findings(expired, results["expired"])
    assert set(expired_findings) == {"app.tls.expired", "app.tls.expiry"}
    assert expired_findings["app.tls.expired"].severity == "critical"
    assert expired_findings["app.tls.expired"].title_en.startswith("Certificate of https://localhost:")
    assert "expired" in expired_findings["app.tls.expired"].message
    assert set(findings(misnamed, results["misnamed"])) == {"app.tls.trusted", "app.tls.hostname"}
    no_ca = target("no-ca", misnamed.vars["patrol_url"], patrol_ca_file=str(tmp_path / "missing-ca.pem"))
    tls = collect([no_ca], tmp_path)["no-ca"].snapshot.extra["tls"]
    assert (
        tls["chain_valid"] is False
        and f"the CA file {tmp_path / 'missing-ca.pem'} cannot be used" in tls["verify_error"]
    )


def test_dns_refused_and_hanging_targets_are_per_target_statuses(
    hanging_port: int, tls_server: TlsServer, target: TargetFactory, tmp_path: Path
) -> None:
    healthy = target("healthy", f"https://localhost:{tls_server('ok', 200, 'localhost')}/")
    nodns = target("nodns", "https://shop.patrol-test.invalid/")
    hangs = target("hangs", f"http://127.0.0.1:{hanging_port}/slow", timeout=1.0)
    refused = target("refused", "http://127.0.0.1:1/")
    results = collect([healthy, nodns, hangs, refused], tmp_path)
    assert results["healthy"].status is HostStatus.OK
    assert results["nodns"].status is HostStatus.UNREACHABLE
    assert (
        "DNS name 'shop.patrol-test.invalid'" in results["nodns"].error and "does not resolve" in results["nodns"].error
    )
    assert results["hangs"].status is HostStatus.TIMEOUT
    assert f"GET http://127.0.0.1:{hanging_port}/slow did not answer within 1s" in results["hangs"].error
    assert "the endpoint hangs" in results["hangs"].error
    assert (
        results["refused"].status is HostStatus.UNREACHABLE
        and "check that the service listens" in results["refused"].error
    )
    gap = findings(nodns, results["nodns"])["coverage.not_inspected"]
    assert gap.host == "nodns" and "does not resolve" in gap.message


def test_a_target_without_an_url_says_what_to_set(target: TargetFactory, tmp_path: Path) -> None:
    result = collect([target("nourl", "")], tmp_path)["nourl"]
    assert result.status is HostStatus.ERROR and "set patrol_url for this host" in result.error


@pytest.mark.parametrize(
    ("hostname", "names", "matches"),
    [
        ("shop.example.com", ["shop.example.com"], True),
        ("SHOP.example.com.", ["shop.example.com"], True),
        ("shop.example.com", ["*.example.com"], True),
        ("a.shop.example.com", ["*.example.com"], False),  # a wildcard covers one label only
        ("example.com", ["*.example.com"], False),
        ("127.0.0.1", ["127.0.0.1"], True),
        ("10.0.0.1", ["*.0.0.1"], False),  # never a wildcard for an address
        ("shop.example.com", [], False),
    ],
)
def test_hostname_matching(hostname: str, names: list[str], matches: bool) -> None:
    assert hostname_matches(hostname, names) is matches
