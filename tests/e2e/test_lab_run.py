"""End to end, as a user: `patrol run` against the bundled lab, then runs/show/findings/report."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IS_ROOT, LAB_INVENTORY, LAB_VAULT, PatrolCLI, Result
from tests.lab_hosts import LAB_HOSTS, lab_coverage_line

pytestmark = pytest.mark.usefixtures("lab")

RUN_ARGS = ("run", "-i", str(LAB_INVENTORY), "--vault-password-file", str(LAB_VAULT))
LAB_SECRETS = ("Lab-Net-Pass1", "Lab-Sec-Pass1", "Lab-Enable-Pass1", "nas1-ro-Lab7", "san1-ro-Lab7", "CANARY")


@pytest.fixture(scope="module")
def lab_run(tmp_path_factory: pytest.TempPathFactory, lab: Any) -> tuple[PatrolCLI, Result]:
    cli = PatrolCLI(tmp_path_factory.mktemp("e2e") / "home")
    return cli, cli(*RUN_ARGS)


def findings_json(cli: PatrolCLI, *args: str) -> list[dict[str, Any]]:
    result = cli("findings", "--json", *args)
    assert result.code == 0, result.output
    return list(json.loads(result.stdout))


def test_run_prints_coverage_counting_the_unreachable_host(lab_run: tuple[PatrolCLI, Result]) -> None:
    _, result = lab_run
    assert result.code == 0, result.output
    assert lab_coverage_line(IS_ROOT) in result.stdout
    assert "branch-sw9" in result.stdout and "unreachable" in result.stdout
    report = Path(result.stdout.split("report: ", 1)[1].split()[0])
    assert report.is_file() and report.suffix == ".html"


def test_findings_cover_all_four_domains(lab_run: tuple[PatrolCLI, Result]) -> None:
    cli, _ = lab_run
    found = findings_json(cli)
    assert {f["domain"] for f in found} == {"network", "security", "host", "storage"}
    keys = {(f["host"], f["check_id"].split(".")[0]) for f in found}
    assert ("branch-sw9", "coverage") in keys
    assert any(f["host"] == "nas1" and "/vol/data" in f["object"] for f in found)
    assert any(f["host"] == "fw1" for f in found) and any(f["host"] == "core-sw1" for f in found)
    if IS_ROOT:
        assert any(f["host"] == "web1" for f in found) and any(f["host"] == "db1" for f in found)
        app = {(f["host"], f["check_id"], f["severity"]) for f in found if f["host"].startswith("app-")}
        assert app == {("app-web", "app.tls.expiry", "urgent"), ("app-api", "app.http.server_error", "critical")}
    assert not any(f["host"] == "core-sw2" for f in found), "core-sw2 is the compliant device"


def test_findings_filters(lab_run: tuple[PatrolCLI, Result]) -> None:
    cli, _ = lab_run
    critical = findings_json(cli, "--severity", "critical")
    assert critical and all(f["severity"] == "critical" for f in critical)
    storage = findings_json(cli, "--domain", "storage", "--run", "latest")
    assert storage and {f["host"] for f in storage} <= {"nas1", "san1"}


def test_runs_and_show(lab_run: tuple[PatrolCLI, Result]) -> None:
    cli, _ = lab_run
    runs = json.loads(cli("runs", "--json").stdout)
    assert runs[0]["status"] == "completed" and runs[0]["hosts_total"] == LAB_HOSTS
    run_id = runs[0]["run_id"]
    shown = cli("show", run_id[:10])
    assert shown.code == 0, shown.output
    assert "branch-sw9" in shown.stdout and "connection refused" in shown.stdout.lower()
    host = cli("show", "latest", "nas1")
    assert host.code == 0 and "/vol/data" in host.stdout
    missing = cli("show", "latest", "no-such-host")
    assert missing.code == 2 and "no host 'no-such-host'" in missing.stderr


def test_report_formats(lab_run: tuple[PatrolCLI, Result], tmp_path: Path) -> None:
    cli, _ = lab_run
    out = tmp_path / "r.json"
    assert cli("report", "latest", "--format", "json", "-o", str(out)).code == 0
    data = json.loads(out.read_text())
    assert data["coverage"]["total"] == LAB_HOSTS
    html = tmp_path / "r.html"
    assert cli("report", "latest", "--format", "html", "-o", str(html)).code == 0
    text = html.read_text()
    assert "<script>alert" not in text and "&lt;script&gt;alert" in text
    bad = cli("report", "latest", "--format", "pdf")
    assert bad.code == 2 and "unknown report format 'pdf'" in bad.stderr


def test_no_secret_reaches_store_reports_or_output(lab_run: tuple[PatrolCLI, Result]) -> None:
    cli, result = lab_run
    con = sqlite3.connect(cli.home / "patrol.db")
    dump = "\n".join(con.iterdump())
    con.close()
    texts = {"store": dump, "output": result.output}
    texts.update({str(p): p.read_text(errors="replace") for p in (cli.home / "runs").rglob("report.*")})
    for name, text in texts.items():
        for secret in LAB_SECRETS:
            assert secret not in text, f"{secret} leaked into {name}"


def test_fail_on_severity_sets_exit_code(patrol_cli: PatrolCLI) -> None:
    result = patrol_cli(*RUN_ARGS, "--limit", "fw1", "--fail-on", "critical")
    assert result.code == 1, result.output
    clean = patrol_cli(*RUN_ARGS, "--limit", "core-sw2", "--fail-on", "other")
    assert clean.code == 0, clean.output


def test_bad_inputs_exit_2_with_the_fix(patrol_cli: PatrolCLI, tmp_path: Path) -> None:
    profile = tmp_path / "bad.yml"
    profile.write_text("profile: x\nchecks:\n  - id: a.b\n    kind: nosuchkind\n")
    result = patrol_cli(*RUN_ARGS, "-p", str(profile))
    assert result.code == 2 and str(profile) in result.stderr and "a.b" in result.stderr
    result = patrol_cli("run", "-i", str(tmp_path / "missing.yml"))
    assert result.code == 2 and "does not exist" in result.stderr
    result = patrol_cli("run", "-i", str(LAB_INVENTORY), "--forks", "0")
    assert result.code == 2 and "--forks" in result.stderr
    result = patrol_cli("show", "nosuchrun")
    assert result.code == 2 and "no run 'nosuchrun'" in result.stderr
    assert not (patrol_cli.home / "runs").exists() or not any((patrol_cli.home / "runs").iterdir())


def wait_until_running(cli: PatrolCLI, timeout: float = 60) -> None:
    """Until the run is in the store (the inventory is read and checked before that)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = cli("runs", "--json")
        if result.code == 0 and json.loads(result.stdout):
            return
        time.sleep(0.3)
    raise AssertionError("the run never started")


def test_interrupted_run_is_marked_aborted(patrol_cli: PatrolCLI) -> None:
    proc = patrol_cli.popen(*RUN_ARGS)
    wait_until_running(patrol_cli)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 3, stderr
    runs = json.loads(patrol_cli("runs", "--json").stdout)
    assert runs[0]["status"] == "aborted"
    hosts = json.loads(patrol_cli("show", "latest", "--json").stdout)["hosts"]
    assert all(h["status"] != "pending" for h in hosts)


def test_killed_run_is_marked_aborted_by_the_next_command(patrol_cli: PatrolCLI) -> None:
    proc = patrol_cli.popen(*RUN_ARGS)
    wait_until_running(patrol_cli)
    proc.kill()
    proc.communicate(timeout=30)
    result = patrol_cli(*RUN_ARGS, "--limit", "core-sw2")
    assert result.code == 0, result.output
    runs = json.loads(patrol_cli("runs", "--json").stdout)
    assert [r["status"] for r in runs[:2]] == ["completed", "aborted"]


def test_lab_status_probes_each_kind_of_server_by_its_own_protocol(lab_run: tuple[PatrolCLI, Result]) -> None:
    """SSH devices by their banner, SNMP agents by a GET, PostgreSQL/MariaDB/Redis/nginx by what they
    answer first: every device the lab serves shows up (none is "down (no SSH banner)" for not speaking SSH)."""
    cli, _ = lab_run
    status = cli("lab", "status", "--json")
    assert status.code == 0, status.output
    served = [e for e in json.loads(status.stdout)["endpoints"] if not e["skipped"]]
    assert {e["kind"] for e in served} >= {"fakenos:cisco_ios", "snmpsim"}
    assert [e["host"] for e in served if not e["reachable"]] == [], served
    shown = cli("lab", "status")
    assert "no SSH banner" not in shown.stdout, shown.stdout
