"""The last surfaces in zh-Hans and zh-Hant: ``patrol ticket show``, the dashboard, ``patrol diff --format html``.

Same history and checker as :mod:`tests.report.test_i18n_complete` (the recorded lab over 20
days, with tickets), plus a service-desk ticket moved, commented, recorded and waived so that
every kind of timeline entry is shown. The dashboard is a real ``patrol serve`` read over HTTP
with a session of a real API token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from patrol.service.tokens import add_token
from patrol.store import Store
from tests.conftest import PatrolCLI
from tests.history.incli import patrol
from tests.report.test_i18n_complete import LANGS, english_words, home, html_text, other_script
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
