"""API writes against a real `patrol serve`: baselines, waivers, remediation approval, desk tickets, by role.

Every write is checked with what the CLI shows afterwards, and every bad-input class (no/wrong
token 401, role 403, malformed/invalid body 422, unknown id 404, domain refusal 400/409) with
the store unchanged.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from patrol.remediate.changelog import create_change
from patrol.remediate.model import Plan
from patrol.store import Store
from tests.conftest import LAB_INVENTORY, ROOT, PatrolCLI
from tests.service.conftest import Server, Site

pytestmark = pytest.mark.usefixtures("lab")

API = "/api/v1"


@pytest.fixture
def site(api_site: Site) -> Site:
    return api_site


def _json_error(answer: Any, status: int, text: str = "") -> None:
    assert answer.status_code == status, answer.text
    assert text in answer.json()["detail"] if isinstance(answer.json()["detail"], str) else not text


def test_roles_guard_every_write(site: Site) -> None:
    _, server, tokens = site
    writes = [("/hosts/core-sw1/baselines", "approver"), ("/waivers", "approver"),
              ("/changes/x/approve", "approver"), ("/tickets", "operator"), ("/tickets/1/assign", "operator"),
              ("/tickets/1/comments", "operator")]  # fmt: skip
    for path, needed in writes:
        assert server.call("POST", API + path, json={}).status_code == 401
        assert server.call("POST", API + path, "ptl_wrong", json={}).status_code == 401
        lower = "viewer" if needed == "operator" else "operator"
        denied = server.call("POST", API + path, tokens[lower], json={})
        _json_error(denied, 403, f"needs {needed!r}")
    spec = server.call("GET", "/openapi.json", tokens["viewer"]).json()
    assert "reason" in spec["components"]["schemas"]["BaselineBody"]["properties"]
    assert {"WaiverBody", "DeskBody", "AssignBody", "CommentBody"} <= set(spec["components"]["schemas"])


def test_approver_promotes_a_baseline_and_bad_requests_change_nothing(site: Site) -> None:
    cli, server, tokens = site
    url, approver = f"{API}/hosts/core-sw1/baselines", tokens["approver"]
    for body, status, text in (
        ({"reason": "   "}, 400, "--reason is required"),
        ({"reason": "ok", "run": "nope"}, 404, "nope"),
        ({"reason": "ok", "as_group": "access"}, 404, "not in 'access'"),
        ({"run": "latest"}, 422, ""),
    ):  # fmt: skip
        _json_error(server.call("POST", url, approver, json=body), status, text)
    _json_error(server.call("POST", f"{API}/hosts/ghost/baselines", approver, json={"reason": "x"}), 404, "ghost")
    malformed = server.call("POST", url, approver, content=b"{", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 422
    assert server.call("GET", url, tokens["viewer"]).json() == []  # nothing stored by any refusal
    made = server.call("POST", url, approver, json={"reason": "CAB-42 reviewed"})
    assert made.status_code == 201, made.text
    shown = cli("baseline", "show", "core-sw1", "--json")
    assert shown.code == 0 and "api:t-approver" in shown.stdout and "CAB-42 reviewed" in shown.stdout


def _critical_ticket(server: Server, viewer: str) -> dict[str, Any]:
    listed = server.call("GET", f"{API}/tickets?host=core-sw1", viewer).json()
    return next(t for t in listed if t["priority"] == "critical")


def test_approver_grants_a_waiver_and_past_dates_are_refused(site: Site) -> None:
    _, server, tokens = site
    ticket = _critical_ticket(server, tokens["viewer"])
    body = {"check_id": ticket["check_id"], "host": "core-sw1", "reason": "replacement ordered",
            "until": (datetime.now(UTC) + timedelta(days=30)).isoformat()}  # fmt: skip
    for change, status, text in (
        ({"until": "2020-01-01T00:00:00"}, 409, "not in the future"),
        ({"group": "core"}, 409, "exactly one"),
        ({"check_id": "not a check"}, 409, "is not a check id"),
        ({"until": "someday"}, 422, ""),
    ):  # fmt: skip
        _json_error(server.call("POST", f"{API}/waivers", tokens["approver"], json=body | change), status, text)
    assert server.call("GET", f"{API}/waivers", tokens["viewer"]).json() == []
    granted = server.call("POST", f"{API}/waivers", tokens["approver"], json=body)
    assert granted.status_code == 201, granted.text
    assert ticket["id"] in granted.json()["covered_tickets"]
    [waiver] = server.call("GET", f"{API}/waivers", tokens["viewer"]).json()
    assert (waiver["approver"], waiver["created_by"]) == ("api:t-approver", "api:t-approver")
    waived = server.call("GET", f"{API}/tickets?status=waived", tokens["viewer"]).json()
    assert ticket["id"] in [t["id"] for t in waived]


def _seed_preview(cli: PatrolCLI) -> str:
    """A previewed change as `patrol remediate --check` records it (critical: two approvers needed)."""
    playbook = ROOT / "playbooks" / "remediate" / "banner.yml"
    plan = Plan(playbook=str(playbook), playbook_sha="0" * 64, vars={"banner_text": "x"}, hosts=("core-sw1",),
                inventory=(str(LAB_INVENTORY),), severity="critical", source="playbook")  # fmt: skip
    preview = {"core-sw1": {"changed": True, "diff": "+ banner", "failed": False}}
    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        return create_change(store, plan, preview=preview, requested_by="alice", options={}).id


def test_approver_approves_a_previewed_change(site: Site) -> None:
    cli, server, tokens = site
    change_id = _seed_preview(cli)
    listed = server.call("GET", f"{API}/changes", tokens["viewer"]).json()
    assert [c["id"] for c in listed] == [change_id] and listed[0]["status"] == "previewed"
    _json_error(server.call("POST", f"{API}/changes/chg-nope/approve", tokens["approver"]), 404, "chg-nope")
    approved = server.call("POST", f"{API}/changes/{change_id}/approve", tokens["approver"])
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "awaiting_approval"  # critical: waits for a second, different approver
    assert [a["approver"] for a in body["approvals"]] == ["api:t-approver"]
    again = server.call("POST", f"{API}/changes/{change_id}/approve", tokens["approver"])
    _json_error(again, 409, "already approved")
    [shown] = json.loads(cli("changes", change_id, "--json").stdout)
    assert len(shown["approvals"]) == 1 and shown["status"] == "awaiting_approval"


def test_operator_opens_assigns_and_comments_desk_tickets(site: Site) -> None:
    cli, server, tokens = site
    operator = tokens["operator"]
    body = {"class": "defect", "channel": "phone", "reporter": "Li", "location": "DC1", "priority": "urgent",
            "description": "core switch fan noise"}  # fmt: skip
    before = server.call("GET", f"{API}/tickets?status=all", tokens["viewer"]).json()
    for change, status in (({"priority": "asap"}, 422), ({"reporter": "   "}, 409), ({"answer": "done"}, 409)):
        assert server.call("POST", f"{API}/tickets", operator, json=body | change).status_code == status
    assert server.call("GET", f"{API}/tickets?status=all", tokens["viewer"]).json() == before
    made = server.call("POST", f"{API}/tickets", operator, json=body)
    assert made.status_code == 201, made.text
    ticket_id = made.json()["id"]
    assigned = server.call("POST", f"{API}/tickets/{ticket_id}/assign", operator, json={"person": "wang"})
    assert assigned.status_code == 200 and assigned.json()["assignee"] == "wang"
    said = server.call("POST", f"{API}/tickets/{ticket_id}/comments", operator, json={"text": "on site at 10:00"})
    assert said.status_code == 201
    _json_error(server.call("POST", f"{API}/tickets/999999/comments", operator, json={"text": "x"}), 404, "999999")
    assert server.call("POST", f"{API}/tickets/{ticket_id}/comments", operator, json={"text": ""}).status_code == 422
    shown = cli("ticket", "show", str(ticket_id)).stdout
    assert "api:t-operator" in shown and "on site at 10:00" in shown and "wang" in shown


def test_a_missing_body_is_a_validation_error(site: Site) -> None:
    _, server, tokens = site
    answer = server.call("POST", f"{API}/waivers", tokens["approver"])
    assert answer.status_code == 422 and isinstance(answer.json()["detail"], list)


def test_reports_download_in_every_format(site: Site) -> None:
    _, server, tokens = site
    viewer = tokens["viewer"]
    run_id = server.call("GET", f"{API}/runs?limit=1", viewer).json()[0]["run_id"]
    for fmt, media, name, head in (
        ("html", "text/html", f"report-{run_id}.html", b"<!doctype html"),
        ("md", "text/markdown", f"report-{run_id}.md", b"#"),
        ("json", "application/json", f"report-{run_id}.json", b"{"),
        ("junit", "application/xml", f"report-{run_id}.xml", b"<?xml"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"report-{run_id}.xlsx", b"PK"),
    ):  # fmt: skip
        got = server.call("GET", f"{API}/runs/{run_id}/report?format={fmt}&lang=zh", viewer)
        assert got.status_code == 200, (fmt, got.text[:300])
        assert got.headers["content-type"].startswith(media)
        assert got.headers["content-disposition"] == f'attachment; filename="{name}"'
        assert got.content.lstrip()[: len(head)].lower() == head.lower(), fmt
    month = datetime.now(UTC).strftime("%Y-%m")
    for fmt, media, head in (("html", "text/html", b"<!doctype html"), ("md", "text/markdown", b"#"),
                             ("xlsx", "application/vnd.openxmlformats", b"PK")):  # fmt: skip
        got = server.call("GET", f"{API}/reports/period/{month}?format={fmt}&lang=zh", viewer)
        assert got.status_code == 200, (fmt, got.text[:300])
        assert got.headers["content-type"].startswith(media)
        assert got.headers["content-disposition"] == f'attachment; filename="period-{month}.{fmt}"'
        assert got.content.lstrip()[: len(head)].lower() == head.lower(), fmt
    assert server.call("GET", f"{API}/reports/period/2026-13", viewer).status_code == 422
    assert server.call("GET", f"{API}/reports/period/{month}?format=junit", viewer).status_code == 422
    assert server.call("GET", f"{API}/runs/{run_id}/report?format=pdf", viewer).status_code == 422
