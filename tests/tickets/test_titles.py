"""Titles say what is wrong and what is expected (issue 15): what a user reads in ``patrol tickets``,
``patrol ticket show`` and the run report, in English and Chinese, for the telnet check (critical)
and a threshold check (a storage volume over 85 %); the field path stays in the message.

The store holds runs over the recorded lab snapshots, fed through the real checks and ticket stage.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from patrol.checks import load_profiles
from patrol.paths import PROFILES_DIR
from patrol.store import Store
from tests.conftest import PatrolCLI
from tests.report.conftest import LAB_FIXTURES, LAB_NOW, lab_case
from tests.report.ingest import ingest

RUN_1, RUN_2 = "20261126-020003-9f3a", "20261127-020003-4c1d"
TELNET_EN = "Telnet management is enabled; it must be disabled"
TELNET_ZH = "Telnet 管理已啟用；必須禁用"
VOLUME_EN = "Volume /vol/data is 92 % full; it must stay below 85 %"
VOLUME_ZH = "存儲卷 /vol/data 使用率為 92%；必須低於 85%"
#: as a zh-Hant reader sees it (the Taiwan/Hong Kong glossary: 存儲 -> 儲存)
VOLUME_ZH_HANT = "儲存卷 /vol/data 使用率為 92%；必須低於 85%"
AT = (LAB_NOW + timedelta(days=1, hours=1)).isoformat()


def feed(path: Path, run_id: str, days: int = 0) -> None:
    store = Store.open(f"sqlite:///{path}")
    cases = [lab_case(p) for p in sorted(LAB_FIXTURES.glob("*.json"))]
    ingest(store, run_id, cases, load_profiles([PROFILES_DIR]), LAB_NOW + timedelta(days=days))
    store.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "patrol.db"
    feed(path, RUN_1)
    return path


def tickets(cli: PatrolCLI, db: Path, *args: str) -> Any:
    result = cli("--db", str(db), "tickets", "--at", AT, *args)
    assert result.code == 0, result.output
    return result.stdout if "--json" not in args else json.loads(result.stdout)


def by_check(found: list[dict[str, Any]], check_id: str, host: str) -> dict[str, Any]:
    return next(t for t in found if t["check_id"] == check_id and t["host"] == host)


def test_tickets_list_says_what_is_wrong_in_english_and_chinese(patrol_cli: PatrolCLI, db: Path) -> None:
    english = tickets(patrol_cli, db, "--lang", "en")
    assert TELNET_EN in english and VOLUME_EN in english
    assert "Telnet management is disabled" not in english and "Volume usage below" not in english
    chinese = tickets(patrol_cli, db, "--lang", "zh-Hant")
    assert TELNET_ZH in chinese and VOLUME_ZH_HANT in chinese and "已禁用 Telnet 管理" not in chinese

    found = tickets(patrol_cli, db, "--json")
    telnet = by_check(found, "net.telnet.disabled", "core-sw1")
    assert (telnet["title"], telnet["title_zh"], telnet["priority"]) == (TELNET_EN, TELNET_ZH, "critical")
    assert telnet["message"] == "security.telnet_enabled is True, expected False"  # the detail keeps the field path
    volume = by_check(found, "stor.volume.used_urgent", "nas1")
    assert (volume["title"], volume["title_zh"]) == (VOLUME_EN, VOLUME_ZH)


def test_ticket_show_titles_in_both_languages(patrol_cli: PatrolCLI, db: Path) -> None:
    telnet = by_check(tickets(patrol_cli, db, "--json"), "net.telnet.disabled", "core-sw1")
    for lang, word, title, finding in (("en", "ticket", TELNET_EN, "security.telnet_enabled is True, expected False"),
                                       ("zh-Hant", "工單", TELNET_ZH, "security.telnet_enabled 為 是，預期為 否")):
        shown = patrol_cli("--db", str(db), "ticket", "show", str(telnet["id"]), "--lang", lang, "--at", AT)
        assert shown.code == 0, shown.output
        assert f"{word} {telnet['id']} {title}" in shown.stdout
        assert finding in shown.stdout


@pytest.mark.parametrize(
    ("lang", "telnet", "volume"), [("en", TELNET_EN, VOLUME_EN), ("zh-Hant", TELNET_ZH, VOLUME_ZH_HANT)]
)
def test_report_check_column_shows_the_problem(
    patrol_cli: PatrolCLI, db: Path, tmp_path: Path, lang: str, telnet: str, volume: str
) -> None:
    out = tmp_path / f"report-{lang}.md"
    result = patrol_cli("--db", str(db), "report", RUN_1, "--format", "md", "--lang", lang, "-o", str(out))
    assert result.code == 0, result.output
    rows = [line for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    assert any(f"| core-sw1 | {telnet} (`net.telnet.disabled`) |" in row for row in rows)
    assert any(f"| nas1 | {volume} (`stor.volume.used_urgent`) | /vol/data |" in row for row in rows)
    assert any(f"| {telnet} |" in row and "core-sw1" in row for row in rows)  # the tickets opened by the run


def test_an_open_ticket_titled_by_an_older_patrol_takes_the_problem_title_at_the_next_run(
    patrol_cli: PatrolCLI, db: Path
) -> None:
    con = sqlite3.connect(db)
    with con:  # what patrol stored before problem titles: the state the check wants
        con.execute("UPDATE tickets SET title = 'Telnet management is disabled' WHERE check_id = 'net.telnet.disabled'")
    con.close()
    assert "Telnet management is disabled" in tickets(patrol_cli, db, "--lang", "en")
    feed(db, RUN_2, days=1)
    english = tickets(patrol_cli, db, "--lang", "en")
    assert "Telnet management is disabled" not in english and TELNET_EN in english
    telnet = by_check(tickets(patrol_cli, db, "--json"), "net.telnet.disabled", "core-sw1")
    assert telnet["occurrences"] == 2 and telnet["description"] == f"core-sw1: {TELNET_EN} ({TELNET_ZH})"
