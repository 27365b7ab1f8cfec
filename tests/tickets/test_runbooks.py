"""Emergency plans (inspect/runbooks/): loading, links from checks and ticket classes, steps recorded
on tickets, drills on the lab's local host, and the monthly report's incidents per plan."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from patrol.checks import load_profiles
from patrol.errors import ProfileError
from patrol.history.processor import HistoryProcessor
from patrol.models import DeviceClass, Host, HostStatus, RunStatus, Snapshot
from patrol.paths import PROFILES_DIR
from patrol.store import Store
from patrol.tickets.runbooks import load_index, load_runbooks
from tests.conftest import PatrolCLI
from tests.report.ingest import Case, ingest

AT = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)


def test_shipped_plans_load_and_every_linked_check_has_one() -> None:
    index = load_index()
    assert set(index.runbooks) >= {"cert-renewal", "app-5xx", "disk-full", "fault-triage"}
    assert index.checks_of("cert-renewal") == ["app.tls.expired", "app.tls.expiry", "app.tls.hostname",
                                               "app.tls.trusted"]  # fmt: skip
    assert index.plan("app.http.server_error", "defect").id == "app-5xx"
    assert index.plan("net.ntp.servers", "defect").id == "fault-triage"  # no plan of its own: the class's
    assert index.plan(None, "consultation") is None
    book = index.runbooks["disk-full"]
    assert [s.number for s in book.steps()] == [1, 2, 3, 4] and book.steps()[2].phase == "resolution"
    assert all(b.title.zh and b.escalation.contact for b in index.runbooks.values())


def test_a_bad_plan_names_its_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "broken.yml").write_text("runbook: broken\ntitle: {en: x, zh: 甲}\nsymptoms: []\n", encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_runbooks(tmp_path)
    assert str(tmp_path / "broken.yml") in str(info.value) and "'symptoms'" in str(info.value)
    (tmp_path / "broken.yml").unlink()
    (tmp_path / "other.yml").write_text((PROFILES_DIR / "runbooks" / "disk-full.yml").read_text(), encoding="utf-8")
    with pytest.raises(ProfileError, match="must match the file name 'other'"):
        load_runbooks(tmp_path)


def test_list_and_show(patrol_cli: PatrolCLI) -> None:
    listed = patrol_cli("runbook", "list", "--json")
    assert listed.code == 0, listed.output
    rows = {r["id"]: r for r in json.loads(listed.stdout)}
    assert rows["disk-full"]["checks"] == ["host.fs.used_critical", "host.fs.used_urgent"]
    assert rows["fault-triage"]["ticket_classes"] == ["defect"] and rows["disk-full"]["last_drill"] is None
    shown = patrol_cli("runbook", "show", "app-5xx", "--lang", "zh-Hant")
    assert shown.code == 0, shown.output
    assert "業務應用回應伺服器錯誤" in shown.stdout and "立即處置步驟:" in shown.stdout
    assert "  3. 重新啟動失敗的應用服務（關聯劇本）" in shown.stdout and "app-oncall@example.net" in shown.stdout
    missing = patrol_cli("runbook", "show", "nope")
    assert missing.code == 2 and "no runbook 'nope' (known: app-5xx, cert-renewal" in missing.stderr


def _app(status_code: int) -> Case:
    host = Host(name="app-api", address="127.0.0.1", device_class=DeviceClass.HOST, platform="http",
                collector="http", groups=("apps",), vars={"patrol_url": "http://app-api.example/"})  # fmt: skip
    http = {"status_code": status_code, "client_status": None, "latency_ms": 5.0, "content_ok": None}
    snapshot = Snapshot(host="app-api", device_class=DeviceClass.HOST, platform="http",
                        extra={"http": http, "tls": None, "transaction_failures": None})  # fmt: skip
    return host, snapshot, HostStatus.OK, None


@pytest.fixture
def incident(patrol_cli: PatrolCLI) -> Iterator[tuple[PatrolCLI, int]]:
    """A store with one run in October 2026 where app-api answered 500: one critical defect ticket."""
    patrol_cli.home.mkdir(parents=True)
    store = Store.open(f"sqlite:///{patrol_cli.home / 'patrol.db'}")
    ingest(store, "20261005-020000-r1", [_app(500)], load_profiles([PROFILES_DIR]), AT)
    HistoryProcessor().run_done(store, "20261005-020000-r1", RunStatus.COMPLETED)
    store.close()
    tickets = json.loads(patrol_cli("tickets", "--json").stdout)
    [ticket] = [t for t in tickets if t["check_id"] == "app.http.server_error"]
    yield patrol_cli, int(ticket["id"])


def test_ticket_shows_its_plan_and_the_steps_recorded_against_it(incident: tuple[PatrolCLI, int]) -> None:
    cli, ticket_id = incident
    recorded = cli("runbook", "step", str(ticket_id), "1", "--note", "no deployment since Friday", "--by", "alice")
    assert recorded.code == 0, recorded.output
    assert "app-5xx step 1 (immediate): Check whether a change was deployed recently" in recorded.stdout
    assert cli("runbook", "step", str(ticket_id), "9").code == 3  # the plan has 5 steps
    shown = cli("ticket", "show", str(ticket_id))
    assert shown.code == 0, shown.output
    assert "plan app-5xx Business application answers server errors" in shown.stdout
    assert "escalation Application on-call <app-oncall@example.net> after 1h" in shown.stdout
    assert "step done" in shown.stdout and "by alice: app-5xx step 1 (immediate)" in shown.stdout
    assert "— no deployment since Friday" in shown.stdout
    data = json.loads(cli("ticket", "show", str(ticket_id), "--json").stdout)
    assert data["runbook"]["id"] == "app-5xx" and len(data["runbook"]["steps_done"]) == 1
    assert any(e["action"] == "runbook_step" for e in data["timeline"])


def test_desk_tickets_get_their_class_plan(patrol_cli: PatrolCLI) -> None:
    opened = patrol_cli("ticket", "new", "--class", "defect", "--channel", "phone", "--reporter", "Ms Chan",
                        "--location", "HQ", "--priority", "normal", "Printer queue stuck")  # fmt: skip
    assert opened.code == 0, opened.output
    shown = patrol_cli("ticket", "show", "1")
    assert "plan fault-triage General fault triage" in shown.stdout
    asked = patrol_cli("ticket", "new", "--class", "consultation", "--channel", "phone", "--reporter", "Mr Lee",
                       "--location", "HQ", "--priority", "other", "How to reset a password?")  # fmt: skip
    assert asked.code == 0
    assert "plan: none" in patrol_cli("ticket", "show", "2").stdout
    refused = patrol_cli("runbook", "step", "2", "1")
    assert refused.code == 2 and "ticket 2 has no plan" in refused.stderr


@pytest.mark.parametrize("lang", ["en", "zh-Hant"])
def test_monthly_report_groups_incidents_by_plan(incident: tuple[PatrolCLI, int], tmp_path: Path, lang: str) -> None:
    cli, _ = incident
    out = tmp_path / "period.md"
    result = cli("report", "--period", "2026-10", "--format", "md", "--lang", lang, "-o", str(out))
    assert result.code == 0, result.output
    text = out.read_text(encoding="utf-8")
    heading, title = ("## Incidents by emergency plan", "Business application answers server errors (HTTP 5xx)") \
        if lang == "en" else ("## 各應急預案的事件", "業務應用回應伺服器錯誤（HTTP 5xx）")  # fmt: skip
    assert heading in text and f"| app-5xx | {title} | 1 | 0 |" in text


def test_drill_walks_the_plan_on_the_lab_and_is_recorded(patrol_cli: PatrolCLI) -> None:
    drilled = patrol_cli("runbook", "drill", "disk-full", "--by", "bob")
    assert drilled.code == 0, drilled.output
    assert "step 2 (immediate): Delete rotated logs past retention (linked playbook)" in drilled.stdout
    assert "log_cleanup.yml on ctl1 (check mode): passed" in drilled.stdout
    failed = patrol_cli("runbook", "drill", "disk-full", "--host", "branch-sw9", "--json")
    assert failed.code == 3, failed.output
    record = json.loads(failed.stdout)
    assert record["outcome"] == "failed" and record["host"] == "branch-sw9" and record["detail"]
    walked = json.loads(patrol_cli("runbook", "drill", "fault-triage", "--json").stdout)
    assert walked["outcome"] == "walked" and walked["steps"][0].startswith("step 1 (immediate)")
    shown = json.loads(patrol_cli("runbook", "show", "disk-full", "--json").stdout)
    assert [(d["outcome"], d["host"], d["actor"]) for d in shown["drills"]][-1] == ("passed", "ctl1", "bob")
    assert {d["outcome"] for d in shown["drills"]} == {"passed", "failed"}
    listed = {r["id"]: r for r in json.loads(patrol_cli("runbook", "list", "--json").stdout)}
    assert listed["fault-triage"]["last_outcome"] == "walked"
