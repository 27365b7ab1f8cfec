"""Every report and CLI table in zh-Hans and zh-Hant: no English word left, no character of the other script.

The history is the recorded lab (network, security, servers, storage; one host never reachable)
fed through patrol's own ingest path for 20 days, with tickets. Each surface is rendered through
the CLI as a user would, its visible text extracted (HTML without tags, scripts and styles;
xlsx cells and sheet names; docx paragraphs and tables; JUnit messages) and cut into words.
A word of 3+ ASCII letters that is not part of an id (a host, check id, path, address, version)
and not a product or protocol name in :data:`NAMES` is an untranslated word.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from patrol.history.processor import HistoryProcessor
from patrol.models import RunStatus
from patrol.store import Store
from tests.history.incli import patrol
from tests.report.conftest import LAB_FIXTURES, lab_case
from tests.report.ingest import ingest

END = datetime(2026, 10, 31, 2, 0, tzinfo=UTC)
LANGS = ("zh-Hans", "zh-Hant")

#: Names that stay as they are in Chinese text: products, protocols, units, file formats.
NAMES = frozenset(w.lower() for w in (
    "patrol", "Cisco", "IOS", "Juniper", "JunOS", "Arista", "EOS", "FortiOS", "FortiGate", "NetApp", "ONTAP", "Linux",
    "NTP", "SNMP", "SNMPv", "SSH", "Telnet", "HTTP", "HTTPS", "TLS", "SSL", "API", "CPU", "RAM", "LUN", "SLA", "UTC",
    "PNG", "TCP", "UDP", "AAA", "TACACS", "RADIUS", "VLAN", "ACL", "BGP", "OSPF", "DNS", "NFS", "SMB", "CIFS",
    "iSCSI", "RAID",
    "syslog", "JSON", "XML", "UID", "PermitRootLogin",
))
#: Snapshot keys whose values are not device data (they are rendered translated): the resource kind,
#: and the running config (its words would hide an untranslated label).
NOT_DEVICE_DATA = {"kind", "config"}


def _strings(value: object, key: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in NOT_DEVICE_DATA:
                yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str):
        yield value


def device_words() -> frozenset[str]:
    """Every word of the lab's device data (facts, descriptions, names, users …) and of its inventory
    group names (the availability table names groups): shown as they are."""
    texts = [t for p in LAB_FIXTURES.glob("*.json") for t in _strings(json.loads(p.read_text())["snapshot"] or {})]
    for p in LAB_FIXTURES.glob("*.json"):
        texts += [str(g) for g in (json.loads(p.read_text()).get("host") or {}).get("groups") or []]
    return frozenset(w.lower() for t in texts for w in re.findall(r"[A-Za-z]+", t))
#: Characters only one script uses (Traditional | Simplified), one pair per line of the glossary.
TRADITIONAL_ONLY = set("網儲務設檢報單態將據")
SIMPLIFIED_ONLY = set("网储务设检报单态将据")


class _Text(HTMLParser):
    """The visible text of an HTML page (no tags, scripts, styles; alt texts count)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")
        self.parts += [v or "" for k, v in attrs if k in ("alt", "title")]

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return "\n".join(parser.parts)


def xlsx_text(path: Path) -> str:
    book = load_workbook(path)
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    return "\n".join([*book.sheetnames, *cells])


def docx_text(path: Path) -> str:
    doc = Document(str(path))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([*(p.text for p in doc.paragraphs), *cells])


def junit_text(path: Path) -> str:
    root = ET.parse(path).getroot()
    return "\n".join(t for e in root.iter() for t in (e.get("message"), e.text) if t)


def markdown_text(path: Path) -> str:
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", path.read_text(encoding="utf-8"))  # image: alt text only
    return re.sub(r"`[^`]*`", " ", text)  # inline code is an id


_CHUNKS = re.compile(r"[^\x21-\x7e]+|[\"'`,;()\[\]{}<>|*#=]")  # split on spaces, CJK, punctuation, key=value
_ID = re.compile(r"[0-9._/:@\\%+-]")  # an id, address, path, version or number


def english_words(text: str, names: frozenset[str] = frozenset()) -> set[str]:
    """Words of 3+ ASCII letters outside ids and :data:`NAMES`/``names``."""
    found = set()
    for chunk in _CHUNKS.split(text):
        word = chunk.strip("?!.:")
        if len(word) < 3 or _ID.search(word) or not word.isascii() or not word.isalpha():
            continue
        if word.lower() not in NAMES and word.lower() not in names:
            found.add(word)
    return found


def other_script(text: str, lang: str) -> set[str]:
    return set(text) & (TRADITIONAL_ONLY if lang == "zh-Hans" else SIMPLIFIED_ONLY)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """20 daily runs in October 2026 over the whole recorded lab, with tickets and history."""
    from patrol.checks import load_profiles
    from patrol.paths import PROFILES_DIR

    home = tmp_path_factory.mktemp("i18n") / "home"
    home.mkdir()
    store = Store.open(f"sqlite:///{home / 'patrol.db'}")
    profiles = load_profiles([PROFILES_DIR])
    cases = [lab_case(p) for p in sorted(LAB_FIXTURES.glob("*.json"))]
    for day in range(20):
        ingest(store, f"oct-{day:02d}", cases, profiles, END - timedelta(days=19 - day))
        HistoryProcessor().run_done(store, f"oct-{day:02d}", RunStatus.COMPLETED)
    store.close()
    yield home


def _render(home: Path, out: Path, *args: str) -> None:
    result = patrol(home, *args, "-o", str(out))
    assert result.code == 0, result.stderr


READERS = {"html": lambda p: html_text(p.read_text(encoding="utf-8")), "md": markdown_text, "xlsx": xlsx_text,
           "junit": junit_text, "docx": docx_text}  # fmt: skip


def _assert_translated(text: str, lang: str) -> None:
    assert len(text) > 200, text  # the surface rendered something
    assert english_words(text, device_words()) == set(), text
    assert other_script(text, lang) == set()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["html", "md", "xlsx", "junit"])
@pytest.mark.parametrize("run", ["oct-00", "oct-19"])  # the first run opens the tickets (their titles are listed)
def test_run_report_is_fully_translated(home: Path, tmp_path: Path, run: str, fmt: str, lang: str) -> None:
    out = tmp_path / f"report.{fmt}"
    _render(home, out, "report", run, "--format", fmt, "--lang", lang)
    text = READERS[fmt](out)
    _assert_translated(text, lang)
    if run == "oct-00" and fmt != "junit":
        assert ("新开" if lang == "zh-Hans" else "新開") in text and "Telnet" in text


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["html", "md", "xlsx", "docx"])
def test_monthly_report_is_fully_translated(home: Path, tmp_path: Path, fmt: str, lang: str) -> None:
    out = tmp_path / f"period.{fmt}"
    _render(home, out, "report", "--period", "2026-10", "--format", fmt, "--lang", lang)
    _assert_translated(READERS[fmt](out), lang)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["html", "md", "docx"])
def test_proposals_are_fully_translated(home: Path, tmp_path: Path, fmt: str, lang: str) -> None:
    out = tmp_path / f"proposals.{fmt}"
    _render(home, out, "propose", "--since", "all", "--format", fmt, "--lang", lang)
    _assert_translated(READERS[fmt](out), lang)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("command", [("propose", "--since", "all"), ("tickets", "--state", "all")])
def test_cli_tables_are_fully_translated(home: Path, command: tuple[str, ...], lang: str) -> None:
    result = patrol(home, *command, "--lang", lang)
    assert result.code == 0, result.stderr
    _assert_translated(result.stdout, lang)


def test_the_checker_finds_english_and_the_other_script(home: Path, tmp_path: Path) -> None:
    """The same surfaces in English are full of English words, so the checks above can fail."""
    out = tmp_path / "report.md"
    _render(home, out, "report", "oct-19", "--format", "md", "--lang", "en")
    assert {"Findings", "expected", "unreachable"} <= english_words(markdown_text(out), device_words())
    assert other_script("網路設備", "zh-Hans") == {"網", "設"} and other_script("网络设备", "zh-Hant") == {"网", "设"}


@pytest.mark.parametrize(
    ("locale", "lang", "words"),
    [("zh_CN.UTF-8", "zh-Hans", ("巡检报告", "网络设备", "存储设备")),
     ("zh_SG.UTF-8", "zh-Hans", ("巡检报告",)),
     ("zh_TW.UTF-8", "zh-Hant", ("巡檢報告", "網路設備", "儲存設備")),
     ("zh_HK.UTF-8", "zh-Hant", ("巡檢報告",)),
     ("en_US.UTF-8", "en", ("Inspection report", "Network devices"))],
)  # fmt: skip
def test_the_locale_picks_the_script(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, locale: str,
                                     lang: str, words: tuple[str, ...]) -> None:  # fmt: skip
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", locale)
    out = tmp_path / "report.html"
    _render(home, out, "report", "oct-19", "--format", "html")
    page = out.read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in page and all(w in page for w in words)


def test_plain_zh_is_simplified_and_said_so_in_help(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    _render(home, out, "report", "oct-19", "--format", "md", "--lang", "zh")
    assert "# 巡检报告 oct-19" in out.read_text(encoding="utf-8")
    assert "zh means zh-Hans" in " ".join(patrol(home, "report", "--help").stdout.split())
    bad = patrol(home, "report", "oct-19", "--lang", "fr")
    assert bad.code == 2 and "'en', 'zh', 'zh-Hans', 'zh-Hant'" in bad.stderr


def test_simplified_workbooks_use_simplified_glyphs(home: Path, tmp_path: Path) -> None:
    for lang, font in (("zh-Hans", "Noto Sans CJK SC"), ("zh-Hant", "Noto Sans CJK TC")):
        out = tmp_path / f"{lang}.xlsx"
        _render(home, out, "report", "oct-19", "--format", "xlsx", "--lang", lang)
        book = load_workbook(out)
        assert {c.font.name for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value} == {font}
