"""The web dashboard in real headless Chromium: log in with a token, tickets by SLA, move one, zh/en, escaping."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patrol.service.tokens import add_token
from patrol.store import Store
from tests.browser import Page as BrowserPage
from tests.conftest import LAB_INVENTORY, LAB_VAULT, PatrolCLI
from tests.service.conftest import Server, start_server

pytestmark = [pytest.mark.usefixtures("lab"), pytest.mark.browser]

HOSTILE = "<img src=x onerror=alert(1)><script>alert(2)</script> fan noise"
SERVICE = "sla:\n  critical: {respond: 1s, resolve: 1h}\n  normal: {respond: 1h, resolve: 12h}\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PatrolCLI, Server, dict[str, str]]]:
    base = tmp_path_factory.mktemp("dash")
    cli = PatrolCLI(base / "home")
    service = base / "service.yml"
    service.write_text(SERVICE)
    assert cli("schedule", "add", "core", "--cron", "0 2 * * *", "--limit", "core-sw1", "-i", str(LAB_INVENTORY),
               "--vault-password-file", str(LAB_VAULT)).code == 0  # fmt: skip
    assert cli("schedule", "run-now", "core").code == 0
    assert cli("baseline", "approve", "core-sw1", "--reason", "CAB-7 <b>reviewed</b>").code == 0
    new = cli("ticket", "new", "--class", "defect", "--channel", "phone", "--reporter", "Li", "--location", "DC1",
              "--priority", "normal", HOSTILE)  # fmt: skip
    assert new.code == 0, new.output
    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        tokens = {role: add_token(store, f"web-{role}", role) for role in ("viewer", "operator")}
    server = start_server(cli, "--tick", "1", env={"PATROL_SERVICE": str(service)})
    yield cli, server, tokens
    server.stop()


class Page(BrowserPage):
    """A recording browser page that can log in to the dashboard."""

    def login(self, server: Server, token: str) -> None:
        self.page.goto(server.url + "/ui/tickets")
        assert self.page.url.endswith("/ui/login")
        self.page.fill("#token", token)
        self.page.click("#login")
        self.page.wait_for_url("**/ui/tickets")


def test_operator_moves_a_ticket_in_the_browser(site: tuple[PatrolCLI, Server, dict[str, str]], browser: Any,
                                                tmp_path: Path) -> None:  # fmt: skip
    cli, server, tokens = site
    tab = Page(browser)
    tab.login(server, tokens["operator"])
    page = tab.page
    rows = page.locator("#tickets tr[id^=ticket-]")
    first = rows.first
    assert first.locator("td").nth(1).inner_text() == "critical"  # least SLA time left first
    sla = first.locator("td.sla")
    assert "breached" in (sla.get_attribute("class") or "") and "breached" in sla.inner_text()
    assert sla.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(192, 57, 43)"
    assert HOSTILE in page.inner_text("#tickets")  # shown as text, never run
    ticket_id = (first.get_attribute("id") or "").removeprefix("ticket-")
    first.locator("button[data-action=analyse]").click()
    page.wait_for_load_state()
    assert page.locator(f"#ticket-{ticket_id} td.state").inner_text() == "analysing"
    shown = cli("ticket", "show", ticket_id)
    assert "analysing" in shown.stdout and "web:web-operator" in shown.stdout
    page.goto(server.url + "/ui/tickets?lang=zh")
    assert page.locator("h1").inner_text() == "工單"
    page.screenshot(path=str(tmp_path / "dashboard-tickets.png"), full_page=True)
    assert (tmp_path / "dashboard-tickets.png").stat().st_size > 1000
    page.goto(server.url + "/ui/fleet?lang=en")
    assert "1/1 inspected" in page.inner_text("#coverage")
    page.click("#hosts a")
    assert page.locator("h1").inner_text() == "Host core-sw1"
    assert "core-sw1" in page.inner_text("#facts")
    assert tab.problems == []


def test_viewer_sees_no_workflow_and_bad_token_is_refused(site: tuple[PatrolCLI, Server, dict[str, str]],
                                                          browser: Any) -> None:  # fmt: skip
    _, server, tokens = site
    tab = Page(browser)
    tab.page.goto(server.url + "/ui/login")
    tab.page.fill("#token", "ptl_not-a-token")
    tab.page.click("#login")
    assert "Unknown or revoked token" in tab.page.inner_text("#error")
    viewer = Page(browser)
    viewer.login(server, tokens["viewer"])
    assert viewer.page.locator("button.move").count() == 0
    status = viewer.page.evaluate(
        "fetch('/ui/tickets/1/move', {method: 'POST', body: 'action=analyse',"
        " headers: {'Content-Type': 'application/x-www-form-urlencoded'}}).then(r => r.status)"
    )
    assert status == 403
    assert [p for p in viewer.problems if "403" not in p] == []


def test_host_page_shows_drift_against_baseline_and_charts(site: tuple[PatrolCLI, Server, dict[str, str]],
                                                           browser: Any, tmp_path: Path) -> None:  # fmt: skip
    _, server, tokens = site
    tab = Page(browser)
    tab.login(server, tokens["viewer"])
    page = tab.page
    page.goto(server.url + "/ui/hosts/core-sw1?lang=en")
    side = page.locator("#drift-side")
    assert "Baseline: baseline host core-sw1 v1" in side.locator("th").first.inner_text()
    assert side.locator("tr.same").count() > 10  # the config, hierarchical, both sides
    assert "hostname core-sw1" in side.inner_text()
    assert page.locator("#no-drift").is_visible()  # the approved snapshot is the latest one
    chart = page.locator("#capacity-chart")
    assert chart.evaluate("img => img.complete && img.naturalWidth > 100")
    assert "CAB-7 <b>reviewed</b>" in page.inner_text("#baselines")  # escaped, shown as text
    page.screenshot(path=str(tmp_path / "dashboard-host.png"), full_page=True)
    assert (tmp_path / "dashboard-host.png").stat().st_size > 1000
    page.goto(server.url + "/ui/fleet?lang=zh")
    for chart_id in ("#compliance-chart", "#tickets-chart"):
        assert page.locator(chart_id).evaluate("img => img.complete && img.naturalWidth > 100"), chart_id
    page.screenshot(path=str(tmp_path / "dashboard-fleet-zh.png"), full_page=True)
    downloads = page.locator("#runs a.download")
    assert [downloads.nth(i).inner_text() for i in range(5)] == ["html", "md", "json", "junit", "xlsx"]
    page.goto(server.url + "/ui/tickets?lang=zh")
    states = page.locator("#tickets td.state").all_inner_texts()
    assert "提交" in states and "submitted" not in states
    assert tab.problems == []
