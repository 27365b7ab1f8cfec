"""The web dashboard in real headless Chromium: log in with a token, tickets by SLA, move one, zh/en, escaping;
sortable and filterable tables, labelled charts, a run in progress refreshed live (and paused), finding links.

Screenshots go to ``$PATROL_TEST_ARTIFACTS`` when set (:func:`tests.browser.artifacts`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patrol.models import DeviceClass, Host, HostResult, HostStatus, RunStatus
from patrol.service.tokens import add_token
from patrol.store import Store
from tests.browser import Page as BrowserPage
from tests.browser import artifacts
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
    assert page.locator("h1").inner_text() == "工单"  # zh is zh-Hans
    page.screenshot(path=str(artifacts(tmp_path) / "dashboard-tickets.png"), full_page=True)
    assert (artifacts(tmp_path) / "dashboard-tickets.png").stat().st_size > 1000
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
    page.screenshot(path=str(artifacts(tmp_path) / "dashboard-host.png"), full_page=True)
    assert (artifacts(tmp_path) / "dashboard-host.png").stat().st_size > 1000
    page.goto(server.url + "/ui/fleet?lang=zh")
    for chart_id in ("#compliance-chart", "#tickets-chart"):
        assert page.locator(chart_id).evaluate("img => img.complete && img.naturalWidth > 100"), chart_id
    page.screenshot(path=str(artifacts(tmp_path) / "dashboard-fleet-zh.png"), full_page=True)
    downloads = page.locator("#runs a.download")
    assert [downloads.nth(i).inner_text() for i in range(5)] == ["html", "md", "json", "junit", "xlsx"]
    page.goto(server.url + "/ui/tickets?lang=zh")
    states = page.locator("#tickets td.state").all_inner_texts()
    assert "提交" in states and "submitted" not in states
    assert tab.problems == []


def _host(name: str) -> Host:
    return Host(name=name, address="192.0.2.1", device_class=DeviceClass.NETWORK, platform="ios", collector="netmiko")


def _done(store: Store, run_id: str, host: str) -> None:
    store.record_host_result(run_id, HostResult(host=host, status=HostStatus.UNREACHABLE, collector="netmiko",
                                                error="no route"))  # fmt: skip


def _outside(tab: BrowserPage, server: Server) -> list[str]:
    """Requests leaving the dashboard (a CDN, a font, a script): recorded from now on."""
    leaving: list[str] = []
    tab.page.on("request", lambda r: None if r.url.startswith((server.url, "data:")) else leaving.append(r.url))
    return leaving


def test_findings_link_to_their_ticket_drift_and_history(site: tuple[PatrolCLI, Server, dict[str, str]],
                                                         browser: Any, tmp_path: Path) -> None:  # fmt: skip
    _, server, tokens = site
    shots = artifacts(tmp_path)
    tab = Page(browser)
    leaving = _outside(tab, server)
    tab.login(server, tokens["operator"])
    page = tab.page
    page.goto(server.url + "/ui/hosts/core-sw1?lang=en")
    assert page.evaluate("getComputedStyle(document.querySelector('h2')).borderBottomStyle") == "solid"  # report CSS
    findings = page.locator("#findings tr.finding")
    assert findings.count() > 0
    links = page.eval_on_selector_all("#findings td.links a", "els => els.map(a => [a.className, a.href])")
    kinds = {kind for kind, _ in links}
    assert kinds == {"ticket-link", "drift-link", "history-link"}, links
    assert sum(1 for kind, _ in links if kind == "history-link") == findings.count()  # every finding
    for _, href in links:
        assert page.request.get(href).status == 200, href
    # filtering: only the rows holding the text stay visible
    first_check = findings.first.locator("code").inner_text()
    page.fill("#findings-filter", first_check)
    visible = [r for r in findings.all() if r.is_visible()]
    assert visible and all(first_check in r.inner_text() for r in visible)
    page.fill("#findings-filter", "no-such-thing-anywhere")
    assert not any(r.is_visible() for r in findings.all())
    page.fill("#findings-filter", "")
    assert all(r.is_visible() for r in findings.all())
    page.screenshot(path=str(shots / "dashboard-host-findings.png"), full_page=True)
    ticket_link = page.locator("#findings a.ticket-link").first
    number = ticket_link.inner_text().split("#")[-1]
    ticket_link.click()
    page.wait_for_url(f"**/ui/tickets/{number}")
    assert f"#{number}" in page.locator("h1").inner_text()
    assert page.locator("#events tr").count() >= 2  # header + "opened"
    page.screenshot(path=str(shots / "dashboard-ticket.png"), full_page=True)
    page.click("#ticket-meta a.history-link")
    assert page.locator("#history td.outcome").first.inner_text() == "fail"
    page.screenshot(path=str(shots / "dashboard-history.png"), full_page=True)
    assert page.request.get(server.url + "/ui/tickets/999999").status == 404
    assert leaving == [] and tab.problems == []


def test_fleet_sorts_filters_charts_and_follows_a_run_in_progress(site: tuple[PatrolCLI, Server, dict[str, str]],
                                                                  browser: Any, tmp_path: Path) -> None:  # fmt: skip
    cli, server, tokens = site
    shots = artifacts(tmp_path)
    tab = Page(browser)
    leaving = _outside(tab, server)
    tab.login(server, tokens["viewer"])
    page = tab.page
    page.goto(server.url + "/ui/fleet?lang=en")
    # labelled charts: the SVG names its title and both axes, the PNGs say theirs in alt
    assert page.text_content("#trend .chart-title") == "Findings per run"
    assert page.text_content("#trend .x-label") == "Run (start, UTC)"
    assert page.text_content("#trend .y-label") == "Findings"
    assert page.locator("#trend .y-tick").count() >= 2 and page.locator("#trend rect.bar").count() >= 1
    assert page.get_attribute("#compliance-chart", "alt") == "Compliance over time (Date / Compliance (%))"
    assert "Week / Tickets" in (page.get_attribute("#tickets-chart", "alt") or "")
    assert page.locator("#run-progress").count() == 0
    # a run in progress: three planned hosts, one done
    run_id = "20991231-235959-dash"
    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        store.create_run(run_id, inventory=["lab"], profiles=["p"], limit=None, forks=5,
                         hosts=[_host(n) for n in ("mm-dist", "zz-edge", "aa-core")])  # fmt: skip
        _done(store, run_id, "mm-dist")
        page.goto(server.url + "/ui/fleet?lang=en")
        assert page.inner_text("#progress-count") == "1/3"
        assert page.get_attribute("#run-progress progress", "value") == "1"
        assert page.locator("main").get_attribute("data-refresh") == "5"
        page.screenshot(path=str(shots / "dashboard-fleet-running.png"), full_page=True)
        # sorting by a click on the heading, both ways
        names = lambda: [c.inner_text() for c in page.locator("#hosts tr td:first-child").all()]  # noqa: E731
        page.click("#hosts th >> nth=0")
        assert names() == ["aa-core", "mm-dist", "zz-edge"]
        assert page.get_attribute("#hosts th >> nth=0", "aria-sort") == "ascending"
        page.click("#hosts th >> nth=0")
        assert names() == ["zz-edge", "mm-dist", "aa-core"]
        page.fill("#hosts-filter", "ZZ")
        assert [r.is_visible() for r in page.locator("#hosts tr:has(td)").all()] == [True, False, False]
        # auto-refresh: the next host done shows without reloading, sort and filter kept
        _done(store, run_id, "zz-edge")
        page.wait_for_function("document.querySelector('#progress-count').textContent === '2/3'", timeout=15_000)
        assert names() == ["zz-edge", "mm-dist", "aa-core"] and page.input_value("#hosts-filter") == "ZZ"
        # paused: nothing changes; resumed: it does
        page.click("#refresh-toggle")
        assert page.inner_text("#refresh-toggle") == "Resume"
        _done(store, run_id, "aa-core")
        page.wait_for_timeout(7_000)
        assert page.inner_text("#progress-count") == "2/3"
        page.click("#refresh-toggle")
        page.wait_for_function("document.querySelector('#progress-count').textContent === '3/3'", timeout=15_000)
        store.finish_run(run_id, RunStatus.COMPLETED)
        page.wait_for_function("document.querySelector('#run-progress') === null", timeout=15_000)
    page.screenshot(path=str(shots / "dashboard-fleet.png"), full_page=True)
    assert leaving == [] and tab.problems == []
