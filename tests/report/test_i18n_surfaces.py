"""The last surfaces in zh-Hans and zh-Hant: ``patrol ticket show``, the dashboard, ``patrol diff --format html``.

Same history and checker as :mod:`tests.report.test_i18n_complete` (the recorded lab over 20
days, with tickets), plus a service-desk ticket moved, commented, recorded and waived so that
every kind of timeline entry is shown. The dashboard is a real ``patrol serve`` read over HTTP
with a session of a real API token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from patrol.service.tokens import add_token
from patrol.store import Store
from tests.conftest import PatrolCLI
from tests.history.incli import patrol
from tests.report.test_i18n_complete import END, LANGS, english_words, home, html_text, markdown_text, other_script
from tests.report.test_i18n_complete import device_words as _device_words
from tests.service.conftest import Server, start_server

__all__ = ["home"]  # the module's history fixture, shared
#: The link to the English pages names its language; downloads are named by their file format.
DASHBOARD_NAMES = frozenset({"english", "html", "xlsx", "junit"})

#: People, places and words a user typed (shown as written), and the person in charge as
#: inspect/service.yml names them ("Project manager (負責人)"): not untranslated labels.
TYPED = frozenset({"alice", "bob", "carol", "ops", "noted", "spare", "replaced", "cable", "audit", "project",
                   "manager"})


def _check(text: str, lang: str, names: frozenset[str] = frozenset()) -> None:
    assert len(text) > 200, text
    assert english_words(text, _device_words() | TYPED | names) == set(), text
    assert other_script(text, lang) == set(), text


@pytest.fixture(scope="module")
def desk(home: Path) -> Path:
    """A desk ticket through its trail (``desk_id`` holds its id), and ticket 1 (agg-sw1) waived."""
    new = patrol(home, "ticket", "new", "--class", "defect", "--channel", "hotline", "--reporter", "alice",
                 "--location", "ops", "--priority", "urgent", "cable replaced", "--by", "carol")  # fmt: skip
    assert new.code == 0, new.stderr
    desk_id = re.search(r"ticket (\d+) opened", new.stdout).group(1)  # type: ignore[union-attr]
    steps = [("ticket", "assign", desk_id, "bob"), ("ticket", "comment", desk_id, "noted"),
             ("ticket", "move", desk_id, "analyse", "--note", "spare"),
             ("ticket", "record", desk_id, "--cause", "cable", "--fix", "replaced"),
             ("waive", "--check", "net.snmp.v3_only", "--host", "agg-sw1", "--until", "+30d", "--reason", "audit",
              "--approver", "alice")]  # fmt: skip
    for step in steps:
        done = patrol(home, *step, "--by", "carol")
        assert done.code == 0, done.stderr
    (home / "desk_id").write_text(desk_id)
    return home


def _show(home: Path, ticket_id: str, lang: str) -> str:
    result = patrol(home, "ticket", "show", ticket_id, "--lang", lang)
    assert result.code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("lang", LANGS)
def test_ticket_show_is_fully_translated(desk: Path, lang: str) -> None:
    shown = _show(desk, "1", lang) + _show(desk, (desk / "desk_id").read_text(), lang)
    _check(shown, lang)
    assert ("工单" if lang == "zh-Hans" else "工單") in shown and "SLA" in shown
    assert "豁免" in shown and ("热线电话" if lang == "zh-Hans" else "熱線電話") in shown  # the waiver, the channel


@pytest.mark.parametrize("lang", LANGS)
def test_ticket_export_markdown_is_fully_translated(desk: Path, tmp_path: Path, lang: str) -> None:
    text = ""
    for ticket_id in ("1", (desk / "desk_id").read_text()):
        out = tmp_path / f"record-{ticket_id}.md"
        result = patrol(desk, "ticket", "export", ticket_id, "--format", "md", "--lang", lang, "-o", str(out))
        assert result.code == 0, result.stderr
        text += markdown_text(out)
    _check(text, lang)
    assert ("故障记录" if lang == "zh-Hans" else "故障記錄") in text and "豁免" in text


def test_ticket_show_in_english_is_english(desk: Path) -> None:
    """The checker sees the English words of the same output: the test above can fail."""
    shown = _show(desk, "1", "en") + _show(desk, (desk / "desk_id").read_text(), "en")
    assert {"priority", "timeline", "opened"} <= english_words(shown, _device_words() | TYPED)


@pytest.fixture(scope="module")
def dashboard(desk: Path) -> Iterator[tuple[Server, httpx.Client]]:
    """``patrol serve`` on the history, and a browser-like client logged in with a viewer's token."""
    with Store.open(f"sqlite:///{desk / 'patrol.db'}") as store:
        token = add_token(store, "i18n-viewer", "viewer")
    server = start_server(PatrolCLI(desk))
    try:
        with httpx.Client(base_url=server.url, timeout=30, headers={"Accept-Language": "en-US,en;q=0.9"}) as client:
            login = client.post("/ui/login", data={"token": token})
            assert login.status_code in (200, 303), login.text
            yield server, client
    finally:
        server.stop()


def _pages(desk: Path) -> list[str]:
    host = "agg-sw1"
    return ["/ui/fleet", "/ui/tickets", "/ui/tickets/1", f"/ui/tickets/{(desk / 'desk_id').read_text()}",
            f"/ui/hosts/{host}", f"/ui/hosts/{host}/history", f"/ui/hosts/{host}/history?check=net.snmp.v3_only"]


@pytest.mark.parametrize("lang", LANGS)
def test_dashboard_is_fully_translated(desk: Path, dashboard: tuple[Server, httpx.Client], lang: str) -> None:
    _, client = dashboard
    for page in _pages(desk):
        got = client.get(page, params={"lang": lang})
        assert got.status_code == 200, (page, got.text)
        assert f'<html lang="{lang}">' in got.text
        text = html_text(re.sub(r"<(pre|code)\b.*?</\1>", " ", got.text, flags=re.S))  # raw data, ids: as is
        _check(text, lang, DASHBOARD_NAMES)
        assert ("工单" if lang == "zh-Hans" else "工單") in text, page


def test_dashboard_language_comes_from_the_query_then_the_browser(dashboard: tuple[Server, httpx.Client]) -> None:
    server, client = dashboard
    assert '<html lang="zh-Hans">' in client.get("/ui/tickets", params={"lang": "zh"}).text
    assert '<html lang="zh-Hans">' in client.get("/ui/tickets").text  # the cookie keeps the choice
    for header, lang in (("zh-TW,zh;q=0.8", "zh-Hant"), ("zh-CN", "zh-Hans"), ("zh-HK", "zh-Hant"),
                         ("fr-FR,en;q=0.5", "en"), ("de;q=0.9,zh-Hant;q=0.3", "zh-Hant")):  # fmt: skip
        fresh = httpx.get(server.url + "/ui/login", headers={"Accept-Language": header}, timeout=30)
        assert f'<html lang="{lang}">' in fresh.text, header


def test_dashboard_in_english_is_english(desk: Path, dashboard: tuple[Server, httpx.Client]) -> None:
    _, client = dashboard
    text = html_text(client.get("/ui/tickets/1", params={"lang": "en"}).text)
    assert {"opened", "submitted", "State"} <= english_words(text, _device_words())


@pytest.fixture(scope="module")
def diff_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two runs of agg-sw1: the second adds and removes a config line and reports a new OS version."""
    from patrol.checks import load_profiles
    from patrol.paths import PROFILES_DIR
    from tests.report.conftest import LAB_FIXTURES, lab_case
    from tests.report.ingest import ingest

    home = tmp_path_factory.mktemp("i18n-diff") / "home"
    home.mkdir()
    host, snapshot, status, error = lab_case(LAB_FIXTURES / "agg-sw1.json")
    assert snapshot is not None and snapshot.config
    config = snapshot.config.replace("snmp-agent sys-info version v2c v3\n", "") + "ntp-server 192.0.2.10\n"
    facts = snapshot.facts.model_copy(update={"os_version": "8.190 (ATN 910C-B V300R003C10SPC600)"})
    later = snapshot.model_copy(update={"config": config, "facts": facts})
    store, profiles = Store.open(f"sqlite:///{home / 'patrol.db'}"), load_profiles([PROFILES_DIR])
    ingest(store, "d-0", [(host, snapshot, status, error)], profiles, END - timedelta(days=1), tickets=False)
    ingest(store, "d-1", [(host, later, status, error)], profiles, END, tickets=False)
    store.close()
    return home


def _diff(home: Path, out: Path, lang: str) -> str:
    result = patrol(home, "diff", "agg-sw1", "--from", "d-0", "--to", "d-1", "--format", "html", "--explain",
                    "--lang", lang, "-o", str(out))  # fmt: skip
    assert result.code == 0, result.stderr
    return out.read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", LANGS)
def test_diff_page_is_fully_translated(diff_home: Path, tmp_path: Path, lang: str) -> None:
    page = _diff(diff_home, tmp_path / "diff.html", lang)
    assert f'<html lang="{lang}">' in page and 'id="config-count">2<' in page  # one line added, one removed
    text = html_text(re.sub(r"<code\b.*?</code>", " ", page, flags=re.S))  # config lines and paths: as they are
    _check(text, lang)
    assert ("新增" in text and "删除" in text) if lang == "zh-Hans" else ("新增" in text and "刪除" in text)
    assert ("配置差异" if lang == "zh-Hans" else "設定差異") in text  # the glossary's word for configuration


def test_diff_page_in_english_keeps_its_words(diff_home: Path, tmp_path: Path) -> None:
    text = html_text(_diff(diff_home, tmp_path / "diff.html", "en"))
    assert "Configuration diff 配置差異" in text and {"added", "removed", "severity"} <= english_words(text)
