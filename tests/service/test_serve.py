"""`patrol serve` as a real process on a loopback port, against the lab, driven over HTTP."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from patrol.service.schedules import ReportDelivery, Schedule, add_schedule, get_schedule, previous_month
from patrol.service.tokens import add_token
from patrol.store import Store
from tests.conftest import LAB_INVENTORY, LAB_VAULT, PatrolCLI
from tests.service.conftest import Server, start_server, start_servers, stop_servers, wait_for
from tests.tickets.conftest import running_smtp

pytestmark = pytest.mark.usefixtures("lab")

LAB = ("-i", str(LAB_INVENTORY), "--vault-password-file", str(LAB_VAULT))
API = "/api/v1"


def token(cli: PatrolCLI, name: str, role: str) -> str:
    result = cli("token", "add", name, "--role", role)
    assert result.code == 0, result.output
    assert "not shown again" in result.stderr
    return result.stdout.strip()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PatrolCLI, Server, dict[str, str]]]:
    cli = PatrolCLI(tmp_path_factory.mktemp("serve") / "home")
    tokens = {"viewer": token(cli, "t-viewer", "viewer")}  # the CLI once; the others straight through the store
    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        tokens |= {role: add_token(store, f"t-{role}", role) for role in ("operator", "approver")}
    assert cli("schedule", "add", "core", "--cron", "0 2 * * *", "--limit", "core-sw1", *LAB).code == 0
    # API schedules may name inventories under the lab's folder only; the vault secret is the server's
    server = start_server(cli, "--tick", "0.5", "--vault-password-file", str(LAB_VAULT),
                          env={"PATROL_INVENTORY_ROOTS": str(LAB_INVENTORY.parent)})  # fmt: skip
    yield cli, server, tokens
    server.stop()


def schedule(server: Server, tok: str, name: str) -> dict[str, Any]:
    rows = server.call("GET", f"{API}/schedules", tok).json()
    return next(s for s in rows if s["name"] == name)


def test_requests_without_or_with_a_wrong_token_are_refused(served: tuple[PatrolCLI, Server, dict[str, str]]) -> None:
    _, server, tokens = served
    missing = server.call("GET", f"{API}/runs")
    assert missing.status_code == 401 and "Authorization: Bearer" in missing.json()["detail"]
    assert server.call("GET", f"{API}/runs", "ptl_wrong").status_code == 401
    assert server.call("GET", f"{API}/runs", tokens["viewer"]).status_code == 200
    assert server.call("POST", f"{API}/schedules/core/run-now", tokens["viewer"]).status_code == 403
    assert server.call("GET", "/openapi.json").status_code == 401  # the docs need a token too
    spec = server.call("GET", "/openapi.json", tokens["viewer"]).json()
    assert f"{API}/tickets/{{ticket_id}}/transitions" in spec["paths"]


def test_run_now_over_http_then_read_results(served: tuple[PatrolCLI, Server, dict[str, str]]) -> None:
    _, server, tokens = served
    viewer = tokens["viewer"]
    started = server.call("POST", f"{API}/schedules/core/run-now", tokens["operator"])
    assert started.status_code == 202, started.text
    done = wait_for(lambda: (s := schedule(server, viewer, "core"))["last_status"] == "completed" and s)
    run_id = done["last_run_id"]
    run = server.call("GET", f"{API}/runs/{run_id}", viewer).json()
    assert (run["status"], run["hosts_total"], run["hosts_inspected"]) == ("completed", 1, 1)
    [host] = server.call("GET", f"{API}/runs/{run_id}/hosts", viewer).json()
    assert (host["host"], host["status"]) == ("core-sw1", "ok")
    findings = server.call("GET", f"{API}/runs/{run_id}/findings", viewer).json()
    assert any(f["host"] == "core-sw1" and f["severity"] == "critical" for f in findings)
    assert all(f["waived"] is False for f in findings), "each finding says whether a waiver covers it"
    snap = server.call("GET", f"{API}/runs/{run_id}/hosts/core-sw1/snapshot", viewer)
    assert snap.status_code == 200 and snap.json()["host"] == "core-sw1"
    report = server.call("GET", f"{API}/runs/{run_id}/report?format=html&lang=zh", viewer)
    assert report.headers["content-type"].startswith("text/html") and "core-sw1" in report.text
    assert server.call("GET", f"{API}/runs/nope", viewer).status_code == 404
    metrics = server.call("GET", "/metrics", viewer).text
    assert 'patrol_last_run_hosts{state="inspected"} 1' in metrics
    assert 'patrol_open_tickets{priority="critical"} 1' in metrics


def test_ticket_transitions_by_role(served: tuple[PatrolCLI, Server, dict[str, str]]) -> None:
    _, server, tokens = served
    viewer, operator = tokens["viewer"], tokens["operator"]
    wait_for(lambda: server.call("GET", f"{API}/tickets", viewer).json())
    ticket = next(t for t in server.call("GET", f"{API}/tickets", viewer).json() if t["priority"] == "critical")
    assert ticket["class"] == "defect" and "klass" not in ticket, "the API names the class as the CLI does"
    url = f"{API}/tickets/{ticket['id']}"
    denied = server.call("POST", f"{url}/transitions", viewer, json={"action": "analyse"})
    assert denied.status_code == 403 and "needs 'operator'" in denied.json()["detail"]
    bad_json = server.call("POST", f"{url}/transitions", operator, content=b"{not json",
                           headers={"Content-Type": "application/json"})  # fmt: skip
    assert bad_json.status_code == 422
    refused = server.call("POST", f"{url}/transitions", operator, json={"action": "close"})
    assert refused.status_code == 409 and "analyse" in refused.json()["detail"]
    assert server.call("GET", url, viewer).json()["state"] == "submitted"  # nothing changed
    moved = server.call("POST", f"{url}/transitions", operator, json={"action": "analyse", "note": "looking"})
    assert moved.status_code == 200, moved.text
    assert server.call("GET", url, viewer).json()["state"] == "analysing"


def test_bad_schedule_over_http_changes_nothing(served: tuple[PatrolCLI, Server, dict[str, str]]) -> None:
    _, server, tokens = served
    before = server.call("GET", f"{API}/schedules", tokens["viewer"]).json()
    body = {"name": "x", "cron": "0 2 * * *", "inventory": [str(LAB_INVENTORY)]}
    for change, status in (({"cron": "99 * * * *"}, 422), ({"timezone": "Nowhere/Else"}, 422),
                           ({"name": "core"}, 422), ({"inventory": []}, 422)):  # fmt: skip
        answer = server.call("POST", f"{API}/schedules", tokens["operator"], json=body | change)
        assert answer.status_code == status, answer.text
    assert server.call("GET", f"{API}/schedules", tokens["viewer"]).json() == before


def test_a_cron_a_few_seconds_ahead_fires(served: tuple[PatrolCLI, Server, dict[str, str]]) -> None:
    cli, server, tokens = served
    at = datetime.now(UTC) + timedelta(seconds=4)
    cron = f"{at.minute} {at.hour} {at.day} {at.month} * {at.second}"
    body = {"name": "soon", "cron": cron, "inventory": [str(LAB_INVENTORY)], "limit": "core-sw2",
            "report": {"format": "json", "lang": "zh"}}  # fmt: skip
    assert server.call("POST", f"{API}/schedules", tokens["operator"], json=body).status_code == 201
    done = wait_for(lambda: (s := schedule(server, tokens["viewer"], "soon"))["last_status"] == "completed" and s)
    run = server.call("GET", f"{API}/runs/{done['last_run_id']}", tokens["viewer"]).json()
    assert datetime.fromisoformat(run["started_at"]) >= at - timedelta(seconds=1)
    written = json.loads((cli.home / "runs" / done["last_run_id"] / "report.json").read_text())  # the schedule's
    assert (written["lang"], [h["host"] for h in written["hosts"]]) == ("zh-Hans", ["core-sw2"])  # zh is zh-Hans


def test_two_servers_on_one_database_run_a_due_schedule_and_deliver_a_due_report_once(tmp_path: Any) -> None:
    """One inspection and one monthly report due at the same second, two servers: one run, one mail."""
    cli = PatrolCLI(tmp_path / "home")
    with running_smtp() as smtp:
        service = tmp_path / "service.yml"
        service.write_text(f"notify:\n  - {{name: noc-mail, type: smtp, host: 127.0.0.1, port: {smtp.port}, "
                           "sender: patrol@example.net, to: [noc@example.net], events: [breach]}\n")  # fmt: skip
        servers = start_servers(2, cli, "--tick", "0.2", "--sla-every", "1", env={"PATROL_SERVICE": str(service)})
        try:
            at = datetime.now(UTC) + timedelta(seconds=4)
            cron = f"{at.minute} {at.hour} {at.day} {at.month} * {at.second}"
            with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
                add_schedule(store, Schedule("once", cron, LAB[1:2], limit="fw1", vault_password_file=LAB[3]))
                monthly = Schedule("monthly", cron, (), report=ReportDelivery("md", recipients=("noc-mail",),
                                                                              period="monthly"))  # fmt: skip
                add_schedule(store, monthly)
                wait_for(lambda: get_schedule(store, "once").last_status == "completed")
                delivered = wait_for(lambda: get_schedule(store, "monthly").last_status, timeout=30)
                wait_for(lambda: smtp.messages, timeout=20)
                time.sleep(1)  # both servers' timers ticked many times since the firing
                runs = store.list_runs(10)
                error = get_schedule(store, "monthly").last_error
        finally:
            codes = stop_servers(servers)
    assert codes == [0, 0]
    assert [r.hosts_total for r in runs] == [1]
    assert delivered == "delivered", error
    period = previous_month(monthly, at)
    assert len(smtp.messages) == 1 and period in str(smtp.messages[0]["Subject"])
    assert (cli.home / "reports" / f"period-{period}.md").read_text().strip()


def test_sigterm_closes_the_running_inspection(tmp_path: Any) -> None:
    cli = PatrolCLI(tmp_path / "home")
    assert cli("schedule", "add", "all", "--cron", "0 2 * * *", "--limit", "network", *LAB).code == 0
    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        tok = add_token(store, "op", "operator")
    server = start_server(cli, "--tick", "0.5")
    assert server.call("POST", f"{API}/schedules/all/run-now", tok).status_code == 202
    wait_for(lambda: schedule(server, tok, "all")["last_status"] == "running", every=0.1)
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=60) == 0
    with sqlite3.connect(cli.home / "patrol.db") as conn:
        [(status,)] = conn.execute("select status from runs").fetchall()
        pending = conn.execute("select count(*) from host_results where status = 'pending'").fetchone()[0]
    assert status in ("aborted", "completed") and pending == 0
